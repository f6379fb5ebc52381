/* The overview's charts (console/overview.html), drawn with Chart.js 4 (window.Chart, from
   vendor/chart.js/chart.umd.min.js) from the figures the server put in #overview-data. Every number on screen —
   tooltips and money axes — arrives already written by Babel in the fleet's locale; this file only places it.
   Also: the fleet picker opens the chosen fleet's overview. */
(function () {
  "use strict";

  const STATUS_COLORS = {
    requested: "#f2a93b", assigned: "#8fb8ff", en_route: "#4f8cff", at_pickup: "#2f6fd0",
    in_progress: "#1f4f9c", completed: "#2e9e5b", cancelled: "#9aa5b1", failed: "#d64545",
  };
  const BLUE = "#3d7be0";
  const TEAL = "#21a38a";
  const AMBER = "#e08e0b";
  const FLAT = { maxRotation: 0, autoSkip: true, autoSkipPadding: 8 }; // day labels level, thinned when crowded

  function css(name, fallback) {
    const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || fallback;
  }

  function fixedTicks(axis) {
    // exactly the server's ticks, each with its Babel label
    return {
      min: 0,
      max: axis.max,
      afterBuildTicks: (scale) => { scale.ticks = axis.ticks.map(([value]) => ({ value })); },
      ticks: {
        callback: (value) => {
          const found = axis.ticks.find(([v]) => Math.abs(v - value) < 1e-9);
          return found ? found[1] : "";
        },
      },
    };
  }

  function empty(holder, text) {
    const note = document.createElement("p");
    note.className = "ov-empty";
    note.textContent = text;
    holder.replaceChildren(note);
  }

  function barsHeight(holder, count) {
    holder.style.height = `${Math.max(120, 30 * count + 36)}px`; // CSSOM, allowed under the CSP
  }

  function horizontal(holder, canvas, labels, values, { color, axis, tips, emptyText }) {
    if (!values.length) { empty(holder, emptyText); return null; }
    barsHeight(holder, values.length);
    const x = axis ? fixedTicks(axis) : { beginAtZero: true, ticks: { precision: 0 } };
    return new Chart(canvas, {
      type: "bar",
      data: { labels, datasets: [{ data: values, backgroundColor: color, borderRadius: 4, maxBarThickness: 18 }] },
      options: {
        indexAxis: "y",
        scales: { x: { ...x, grid: { color: css("--hairline-color", "#e6ebf1") } }, y: { grid: { display: false } } },
        plugins: {
          legend: { display: false },
          tooltip: tips ? { callbacks: { label: (ctx) => tips[ctx.dataIndex] } } : {},
        },
      },
    });
  }

  function draw(data) {
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.font.size = 12;
    Chart.defaults.color = css("--body-quiet-color", "#6b7785");
    Chart.defaults.borderColor = css("--hairline-color", "#e6ebf1");
    Chart.defaults.animation = false; // calm, and what a screenshot shows is what the page shows
    Chart.defaults.maintainAspectRatio = false;
    Chart.defaults.responsive = true;
    const grid = { color: css("--hairline-color", "#e6ebf1") };
    const drawn = [];

    const status = document.getElementById("chart-status");
    if (status) {
      const s = data.status;
      drawn.push(new Chart(status, {
        type: "bar",
        data: {
          labels: s.labels,
          datasets: [{ data: s.values, backgroundColor: s.keys.map((k) => STATUS_COLORS[k] || BLUE), borderRadius: 4,
                       maxBarThickness: 18 }],
        },
        options: {
          indexAxis: "y",
          scales: { x: { beginAtZero: true, ticks: { precision: 0 }, grid }, y: { grid: { display: false } } },
          plugins: { legend: { display: false } },
        },
      }));
    }

    const onTime = document.getElementById("chart-ontime");
    if (onTime && !data.onTime.values.some((v) => v !== null)) {
      empty(onTime.parentElement, "No stop with a time window has been reached in this period.");
    } else if (onTime) {
      const o = data.onTime;
      drawn.push(new Chart(onTime, {
        type: "line",
        data: {
          labels: data.days,
          datasets: [{
            data: o.values, borderColor: TEAL, backgroundColor: "rgba(33, 163, 138, .12)", fill: true,
            tension: 0.25, spanGaps: true, pointRadius: 3, pointHoverRadius: 5,
          }],
        },
        options: {
          scales: { y: { ...fixedTicks(o.axis), grid }, x: { grid: { display: false }, ticks: FLAT } },
          plugins: { legend: { display: false }, tooltip: { callbacks: { label: (ctx) => o.tips[ctx.dataIndex] } } },
        },
      }));
    }

    // what customers were charged and the platform's fees, one chart each over the same days (the fees are about a
    // fiftieth: on one axis they would vanish, on a second one beside it they would look as large); the value axes
    // have one width, so the days line up
    const money = (holder, values, tips, axis, color, limit) => new Chart(holder.querySelector("canvas"), {
      type: "bar",
      data: { labels: data.days, datasets: [{ data: values, backgroundColor: color, borderRadius: 3 }] },
      options: {
        scales: {
          y: { ...fixedTicks(limit ? { ...axis, ticks: [axis.ticks[0], axis.ticks[axis.ticks.length - 1]] } : axis),
               grid, afterFit: (scale) => { scale.width = 64; } },
          x: { grid: { display: false }, ticks: limit ? { display: false } : FLAT },
        },
        plugins: { legend: { display: false }, tooltip: { callbacks: { label: (ctx) => tips[ctx.dataIndex] } } },
      },
    });
    document.querySelectorAll('[data-chart="revenue"]').forEach((holder) => {
      const r = data.revenue[Number(holder.dataset.index)];
      drawn.push(money(holder, r.charged, r.chargedTips, r.chargedAxis, BLUE, false));
    });
    document.querySelectorAll('[data-chart="fees"]').forEach((holder) => {
      const r = data.revenue[Number(holder.dataset.index)];
      drawn.push(money(holder, r.fees, r.feesTips, r.feesAxis, AMBER, true));
    });

    const utilisation = document.getElementById("chart-utilisation");
    if (utilisation) {
      const u = data.utilisation;
      drawn.push(horizontal(utilisation.parentElement, utilisation, u.labels, u.values,
        { color: TEAL, axis: u.axis, tips: u.tips, emptyText: "No shift in this period yet." }));
    }
    const perDriver = document.getElementById("chart-per-driver");
    if (perDriver) {
      drawn.push(horizontal(perDriver.parentElement, perDriver, data.perDriver.labels, data.perDriver.values,
        { color: BLUE, emptyText: "No completed trip in this period." }));
    }
    const perVehicle = document.getElementById("chart-per-vehicle");
    if (perVehicle) {
      drawn.push(horizontal(perVehicle.parentElement, perVehicle, data.perVehicle.labels, data.perVehicle.values,
        { color: "#6f7fa8", emptyText: "No completed trip in this period." }));
    }
    document.documentElement.dataset.chartsDrawn = String(drawn.filter(Boolean).length);
  }

  function pickFleet() {
    const select = document.getElementById("ov-fleet");
    if (select) select.addEventListener("change", () => select.form.submit());
  }

  document.addEventListener("DOMContentLoaded", () => {
    pickFleet();
    const source = document.getElementById("overview-data");
    if (!source || typeof Chart === "undefined") return;
    draw(JSON.parse(source.textContent));
  });
})();

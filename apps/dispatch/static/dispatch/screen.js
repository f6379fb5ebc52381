// The dispatch screen: state comes from the fleet's snapshot (REST or the socket's first message), then from
// numbered feed messages. A gap in the numbers means something was missed: reload the snapshot.
"use strict";

(() => {
  const fleet = JSON.parse(document.getElementById("fleet-config").textContent);
  const api = "/api/v1";
  const SVG = "http://www.w3.org/2000/svg";
  // the statuses that end a trip, as trips defines them (TERMINAL_STATUSES): its card leaves the board
  const ENDED = JSON.parse(document.getElementById("trip-statuses").textContent).ended;
  const COLOURS = ["#1f6feb", "#8250df", "#bf3989", "#d97706", "#0f766e", "#6e7781", "#b91c1c", "#15803d"];

  const state = { seq: 0, trips: new Map(), drivers: new Map(), shifts: new Map(), plan: null, jobs: new Map() };
  // the newest version of each trip shown so far, ended ones too: a trip message carries the trip as its event
  // saw it, and events may arrive out of order, so one older than what the board has is not applied
  const versions = new Map();
  let bounds = null;
  let socket = null;
  let backoff = 500;

  // ---- helpers --------------------------------------------------------------------------------------------
  const $ = (sel) => document.querySelector(sel);
  const el = (tag, attrs = {}, text = "") => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text) node.textContent = text;
    return node;
  };
  const svg = (tag, attrs = {}) => {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    return node;
  };
  const short = (id) => String(id).slice(0, 8);
  const time = (iso) =>
    new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", timeZone: fleet.time_zone });
  const csrf = () => (document.cookie.match(/(?:^|; )csrftoken=([^;]+)/) || [])[1] || "";

  function toast(message, bad = false) {
    const p = el("p", bad ? { class: "bad" } : {}, message);
    $("#toast").append(p);
    setTimeout(() => p.remove(), 6000);
  }

  async function call(method, path, body, headers = {}) {
    const response = await fetch(api + path, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    if (!response.ok) {
      const detail = (data && (data.detail || data.title)) || response.statusText;
      throw new Error(detail);
    }
    return data;
  }

  // ---- map: an equirectangular projection of the fleet's area, drawn in SVG (no tiles, no CDN) --------------
  function fitBounds(points) {
    // the drivers and stops with a margin (the fleet's area when there are none), true to scale: 1 km is as
    // long east-west as north-south
    let b;
    if (points.length) {
      b = { minLat: Infinity, maxLat: -Infinity, minLng: Infinity, maxLng: -Infinity };
      for (const p of points) {
        b.minLat = Math.min(b.minLat, p.lat); b.maxLat = Math.max(b.maxLat, p.lat);
        b.minLng = Math.min(b.minLng, p.lng); b.maxLng = Math.max(b.maxLng, p.lng);
      }
    } else {
      const centre = fleet.center || [0, 0];
      const span = (fleet.radius_m || 10000) / 111320;
      b = { minLat: centre[0] - span, maxLat: centre[0] + span, minLng: centre[1] - span, maxLng: centre[1] + span };
    }
    const midLat = (b.minLat + b.maxLat) / 2;
    const cos = Math.cos((midLat * Math.PI) / 180) || 1;
    let heightKm = Math.max((b.maxLat - b.minLat) * 111.32, 2) * 1.25;
    let widthKm = Math.max((b.maxLng - b.minLng) * 111.32 * cos, 2) * 1.25;
    if (widthKm / heightKm > 960 / 660) heightKm = (widthKm * 660) / 960; else widthKm = (heightKm * 960) / 660;
    const midLng = (b.minLng + b.maxLng) / 2;
    const halfLat = heightKm / 2 / 111.32, halfLng = widthKm / 2 / (111.32 * cos);
    bounds = { minLat: midLat - halfLat, maxLat: midLat + halfLat, minLng: midLng - halfLng, maxLng: midLng + halfLng };
    drawGrid();
  }

  function project(lat, lng) {
    const b = bounds;
    const x = ((lng - b.minLng) / (b.maxLng - b.minLng || 1)) * 960 + 20;
    const y = ((b.maxLat - lat) / (b.maxLat - b.minLat || 1)) * 660 + 20;
    return [Math.round(x * 10) / 10, Math.round(y * 10) / 10];
  }

  function inside(lat, lng) {
    return bounds && lat >= bounds.minLat && lat <= bounds.maxLat && lng >= bounds.minLng && lng <= bounds.maxLng;
  }

  function drawGrid() {
    const grid = $("#grid");
    grid.replaceChildren();
    const kmLat = 1 / 111.32;
    for (let lat = Math.ceil(bounds.minLat / kmLat) * kmLat; lat < bounds.maxLat; lat += kmLat) {
      const [, y] = project(lat, bounds.minLng);
      grid.append(svg("line", { x1: 0, x2: 1000, y1: y, y2: y }));
    }
    const kmLng = kmLat / (Math.cos((((bounds.minLat + bounds.maxLat) / 2) * Math.PI) / 180) || 1);
    for (let lng = Math.ceil(bounds.minLng / kmLng) * kmLng; lng < bounds.maxLng; lng += kmLng) {
      const [x] = project(bounds.minLat, lng);
      grid.append(svg("line", { x1: x, x2: x, y1: 0, y2: 700 }));
    }
    $("#scale").textContent = "· grid 1 km";
  }

  function drawDriver(d) {
    if (!bounds) return;
    if (!inside(d.lat, d.lng)) { redrawAll(); return; }
    let g = document.querySelector(`#drivers [data-driver-id="${d.driver_id}"]`);
    if (!g) {
      g = svg("g", { class: "driver", "data-driver-id": d.driver_id });
      const name = driverName(d.driver_id);
      const title = svg("title"); title.textContent = name; g.append(title);
      g.append(svg("circle", { r: 9 }));
      const initials = svg("text"); initials.textContent = name.split(/\s+/).map((w) => w[0] || "").join("").slice(0, 2).toUpperCase();
      g.append(initials);
      const label = svg("text", { class: "label", x: 12, y: 4 }); label.textContent = name; g.append(label);
      $("#drivers").append(g);
    }
    const [x, y] = project(d.lat, d.lng);
    g.setAttribute("transform", `translate(${x} ${y})`);
    g.dataset.lat = d.lat; g.dataset.lng = d.lng; g.dataset.at = d.recorded_at;
    g.dataset.x = x; g.dataset.y = y;
    scheduleDeclutter();
  }

  // Names of drivers close together would print over each other: keep the first of any overlapping labels
  // (top to bottom) and hide the others; their initials stay and the full name is in the marker's tooltip.
  let declutterPending = false;
  function scheduleDeclutter() {
    if (declutterPending) return;
    declutterPending = true;
    requestAnimationFrame(() => {
      declutterPending = false;
      const placed = [];
      // later markers are drawn on top: at the same height their name wins (the sort is stable)
      const groups = [...document.querySelectorAll("#drivers .driver")].reverse().sort((a, b) => a.dataset.y - b.dataset.y);
      for (const g of groups) {
        const label = g.querySelector(".label");
        const x = Number(g.dataset.x) + 12, y = Number(g.dataset.y) - 8;
        const box = { x, y, w: label.textContent.length * 6.5, h: 12 };
        const clash = placed.some((o) => box.x < o.x + o.w && o.x < box.x + box.w && box.y < o.y + o.h && o.y < box.y + box.h);
        label.classList.toggle("hidden", clash);
        if (!clash) placed.push(box);
      }
    });
  }

  function driverName(id) {
    const known = state.drivers.get(id);
    if (known && known.name) return known.name;
    for (const s of state.shifts.values()) if (s.driver_id === id && s.driver_name) return s.driver_name;
    return "driver " + short(id);
  }

  function drawStops() {
    const layer = $("#stops");
    layer.replaceChildren();
    for (const trip of state.trips.values()) {
      for (const stop of trip.stops) {
        if (stop.status === "done" || stop.status === "failed") continue;
        const [x, y] = project(stop.lat, stop.lng);
        const shape = stop.kind === "pickup"
          ? svg("path", { d: `M${x} ${y - 6} L${x + 6} ${y + 5} L${x - 6} ${y + 5} Z` })
          : svg("rect", { x: x - 5, y: y - 5, width: 10, height: 10 });
        shape.setAttribute("class", `stop ${stop.kind}`);
        shape.dataset.tripId = trip.id;
        const title = svg("title"); title.textContent = `${stop.kind} ${short(trip.id)} · ${stop.address}`;
        shape.append(title);
        layer.append(shape);
      }
    }
  }

  function drawRoutes() {
    const layer = $("#routes");
    layer.replaceChildren();
    if (!state.plan) return;
    state.plan.routes.forEach((route, i) => {
      const points = [];
      const here = state.drivers.get(route.driver_id);
      if (here) points.push(project(here.lat, here.lng));
      for (const stop of route.stops) points.push(project(stop.lat, stop.lng));
      if (points.length < 2) return;
      layer.append(svg("polyline", {
        class: "route", stroke: COLOURS[i % COLOURS.length], points: points.map((p) => p.join(",")).join(" "),
        "data-shift-id": route.shift_id,
      }));
    });
  }

  function redrawAll() {
    const points = [...state.drivers.values()];
    for (const t of state.trips.values()) for (const s of t.stops) points.push({ lat: s.lat, lng: s.lng });
    fitBounds(points);
    $("#drivers").replaceChildren();
    for (const d of state.drivers.values()) drawDriver(d);
    drawStops();
    drawRoutes();
  }

  // ---- board ---------------------------------------------------------------------------------------------
  // only shifts whose vehicle is of the type the trip was booked for (trips refuses any other)
  function shiftOptions(select, trip) {
    const fitting = [...state.shifts.values()].filter((s) => s.vehicle_type === trip.vehicle_type);
    for (const s of fitting) {
      select.append(el("option", { value: s.id }, `${s.driver_name || short(s.driver_id)} · ${s.registration}`));
    }
    if (!fitting.length) select.append(el("option", { value: "" }, `no ${trip.vehicle_type} on shift`));
  }

  // what the trip carries: a ride has seats and no weight, a delivery weight and no seats
  function load(trip) {
    const parts = [];
    if (trip.seats) parts.push(trip.seats === 1 ? "1 seat" : `${trip.seats} seats`);
    if (trip.weight_kg) parts.push(`${trip.weight_kg} kg`);
    return parts.join(", ");
  }

  function card(trip) {
    const node = el("article", { class: "trip", "data-trip-id": trip.id, "data-status": trip.status });
    const flagged = trip.dispatch && trip.dispatch.status === "flagged";
    if (flagged) node.classList.add("flagged");
    node.append(el("div", { class: "id" }, short(trip.id)));
    const pickup = trip.stops[0], last = trip.stops[trip.stops.length - 1];
    node.append(el("div", {}, `${pickup ? pickup.address : ""} → ${last ? last.address : ""}`));
    node.append(el("div", { class: "note" }, [load(trip), trip.vehicle_type, trip.driver_id && driverName(trip.driver_id)].filter(Boolean).join(" · ")));
    if (flagged) node.append(el("div", { class: "flag" }, `Needs a dispatcher: ${trip.dispatch.flag_reason}`));
    else if (trip.dispatch && trip.dispatch.status === "offered") node.append(el("div", { class: "note" }, "offered, waiting for the driver"));
    if (trip.status === "requested" || trip.status === "assigned") {
      const actions = el("div", { class: "actions" });
      const select = el("select", { "aria-label": "Shift" });
      shiftOptions(select, trip);
      const button = el("button", {}, trip.status === "requested" ? "Assign" : "Reassign");
      button.addEventListener("click", () => assign(trip, select.value));
      actions.append(select, button);
      node.append(actions);
    }
    return node;
  }

  function placeCard(trip) {
    const old = document.querySelector(`.trip[data-trip-id="${trip.id}"]`);
    if (old) old.remove();
    if (ENDED.includes(trip.status)) return;
    document.querySelector(`[data-column="${trip.status}"] .cards`).append(card(trip));
  }

  function counts() {
    for (const column of document.querySelectorAll(".column")) {
      column.querySelector(".count").textContent = column.querySelectorAll(".trip").length || "";
    }
  }

  async function assign(trip, shiftId) {
    if (!shiftId) { toast("Pick a shift first", true); return; }
    const body = { shift_id: shiftId };
    if (trip.status === "assigned") {
      const reason = window.prompt("Why is it reassigned?");
      if (!reason) return;
      body.reason = reason;
    }
    try {
      await call("POST", `/trips/trips/${trip.id}/assign/`, body, { "If-Match": `W/"${trip.version}"` });
      toast(`Trip ${short(trip.id)} assigned`);
    } catch (error) {
      toast(`Could not assign ${short(trip.id)}: ${error.message}`, true);
    }
  }

  // ---- plan and jobs -----------------------------------------------------------------------------------------
  function renderJobs() {
    const box = $("#jobs");
    box.replaceChildren();
    const latest = [...state.jobs.values()].sort((a, b) => (a.created_at < b.created_at ? 1 : -1)).slice(0, 4);
    for (const job of latest) {
      const chip = el("span", { class: "job", "data-status": job.status, "data-job-id": job.id }, `job ${short(job.id)}: ${job.status}`);
      if (job.error) chip.title = job.error;
      box.append(chip);
    }
  }

  function renderPlan() {
    const body = $("#plan-body");
    body.replaceChildren();
    const plan = state.plan;
    $("#accept").disabled = !plan || plan.status !== "proposed";
    if (!plan) {
      body.append(el("p", { class: "muted" }, "No plan yet. Run an optimisation to plan the open trips over the shifts."));
      drawRoutes();
      return;
    }
    body.dataset.planId = plan.id;
    body.append(el("p", { class: "muted" }, `Plan ${short(plan.id)} · ${plan.status} · ${(plan.distance_m / 1000).toFixed(1)} km`));
    const grid = el("div", { class: "routes" });
    plan.routes.forEach((route, i) => {
      const box = el("div", { class: "vehicle", "data-shift-id": route.shift_id });
      const head = el("strong", {}, `${route.registration} · ${driverName(route.driver_id)}`);
      head.style.color = COLOURS[i % COLOURS.length];
      box.append(head);
      const list = el("ol");
      for (const stop of route.stops) list.append(el("li", {}, `${time(stop.eta)} ${stop.kind} ${short(stop.trip_id)} · ${stop.address}`));
      box.append(list);
      grid.append(box);
    });
    body.append(grid);
    if (plan.unserved.length) {
      const list = el("ul");
      for (const u of plan.unserved) list.append(el("li", {}, `${short(u.trip_id)}: ${u.reason}`));
      body.append(el("p", {}, "Not served:"), list);
    }
    drawRoutes();
  }

  $("#optimise").addEventListener("click", async () => {
    const seconds = Number($("#seconds").value) || 5;
    const body = { seconds };
    if (state.plan && state.plan.status !== "superseded") body.from_plan_id = state.plan.id;
    try {
      const job = await call("POST", `/dispatch/fleets/${fleet.id}/routing-jobs/`, body);
      state.jobs.set(job.id, job);
      renderJobs();
    } catch (error) {
      toast(`Could not start the optimisation: ${error.message}`, true);
    }
  });

  $("#accept").addEventListener("click", async () => {
    if (!state.plan) return;
    try {
      const plan = await call("POST", `/dispatch/plans/${state.plan.id}/accept/`);
      const skipped = Object.values(plan.outcome).filter((o) => o.result === "skipped").length;
      toast(skipped ? `Plan accepted; ${skipped} trips changed meanwhile and were left` : "Plan accepted");
      state.plan = plan;
      renderPlan();
    } catch (error) {
      toast(`Could not accept the plan: ${error.message}`, true);
    }
  });

  // ---- state from the snapshot and the feed ---------------------------------------------------------------------
  function applySnapshot(snapshot) {
    // the snapshot holds everything up to its number; changes held while it was on its way follow it
    const later = [...early.values()].filter((m) => m.seq > snapshot.seq).sort((a, b) => a.seq - b.seq);
    early.clear();
    if (gapTimer) { clearTimeout(gapTimer); gapTimer = null; }
    state.seq = snapshot.seq;
    state.trips = new Map(snapshot.trips.map((t) => [t.id, t]));
    for (const t of snapshot.trips) versions.set(t.id, t.version);
    state.drivers = new Map(snapshot.drivers.map((d) => [d.driver_id, d]));
    state.shifts = new Map(snapshot.shifts.map((s) => [s.id, s]));
    state.plan = snapshot.plan;
    state.jobs = new Map(snapshot.jobs.map((j) => [j.id, j]));
    for (const node of document.querySelectorAll(".trip")) node.remove();
    for (const trip of state.trips.values()) placeCard(trip);
    counts();
    redrawAll();
    renderPlan();
    renderJobs();
    for (const message of later) onMessage(message);
  }

  async function resync() {
    try {
      applySnapshot(await call("GET", `/dispatch/fleets/${fleet.id}/snapshot/`));
    } catch (error) {
      toast(`Could not reload the board: ${error.message}`, true);
    }
  }

  function onMessage(message) {
    if (message.type === "snapshot") { applySnapshot(message); return; }
    if (message.type === "positions") {
      for (const p of message.positions) {
        const known = state.drivers.get(p.driver_id) || {};
        const merged = { ...known, ...p };
        state.drivers.set(p.driver_id, merged);
        drawDriver(merged);
      }
      drawRoutes();
      return;
    }
    if (typeof message.seq === "number") {
      if (message.seq <= state.seq) return; // already in what we show
      if (message.seq > state.seq + 1) { holdUntilTheGapCloses(message); return; }
      state.seq = message.seq;
    }
    applyChange(message);
    const next = early.get(state.seq + 1);
    if (next) { early.delete(next.seq); onMessage(next); return; }
    if (early.size === 0 && gapTimer) { clearTimeout(gapTimer); gapTimer = null; }
  }

  // Several workers push at once, so a change numbered earlier can arrive a moment after the next one: hold the
  // early ones briefly and apply them in order; only a gap that stays open means a change was lost (resync).
  const GAP_GRACE_MS = 1500;
  const early = new Map();
  let gapTimer = null;
  function holdUntilTheGapCloses(message) {
    early.set(message.seq, message);
    if (gapTimer) return;
    gapTimer = setTimeout(() => { gapTimer = null; early.clear(); resync(); }, GAP_GRACE_MS);
  }

  function applyChange(message) {
    switch (message.type) {
      case "trip": {
        const trip = message.trip;
        if ((versions.get(trip.id) ?? -1) > trip.version) break; // older than what the board shows
        versions.set(trip.id, trip.version);
        if (ENDED.includes(trip.status)) state.trips.delete(trip.id); else state.trips.set(trip.id, trip);
        placeCard(trip);
        counts();
        drawStops();
        break;
      }
      case "driver_off": {
        state.drivers.delete(message.driver_id);
        const g = document.querySelector(`#drivers [data-driver-id="${message.driver_id}"]`);
        if (g) g.remove();
        break;
      }
      case "job":
        state.jobs.set(message.job.id, message.job);
        renderJobs();
        if (message.job.status === "failed") toast(`Optimisation failed: ${message.job.error}`, true);
        break;
      case "plan":
        state.plan = message.plan;
        renderPlan();
        break;
      case "offer":
      case "offer_declined":
        break; // the trip message that follows carries the new dispatch state
      default:
        break;
    }
  }

  // ---- the socket: reconnect with backoff; the server sends a snapshot on every connect -------------------------
  function setLink(state_, text) {
    const link = $("#link");
    link.dataset.state = state_;
    link.textContent = text;
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}/ws/dispatch/fleets/${fleet.id}/`);
    socket.addEventListener("open", () => { backoff = 500; setLink("live", "live"); });
    socket.addEventListener("message", (event) => onMessage(JSON.parse(event.data)));
    socket.addEventListener("close", (event) => {
      // 4401: the session is gone; 4403: not allowed on this fleet's feed (docs/api.md). Neither heals by
      // retrying: sign in again. Anything else (network, a server restart) reconnects with backoff.
      if (event.code === 4401 || event.code === 4403) {
        setLink("signed-out", "signed out");
        location.href = `/login/?next=${encodeURIComponent(location.pathname + location.search)}`;
        return;
      }
      setLink("reconnecting", "reconnecting…");
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 10000);
    });
  }

  // the fleet picker submits on change (here, not in an inline handler: the Content-Security-Policy forbids those)
  const picker = document.querySelector(".fleet-pick select");
  if (picker) picker.addEventListener("change", () => picker.form.submit());

  window.logitrackDispatch = { state, resync, dropConnection: () => socket && socket.close() };
  fitBounds([]);
  connect();
})();

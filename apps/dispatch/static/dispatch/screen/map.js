// The live map: an equirectangular projection of the fleet's area, drawn in SVG (no tiles).

import { $, $$, ROUTE_COLOURS, short } from "./dom.js";
import { driverName, fleet, on, state } from "./store.js";

const SVG = "http://www.w3.org/2000/svg";
let bounds = null;

const svg = (tag, attrs = {}) => {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
};

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
  let g = $(`#drivers [data-driver-id="${d.driver_id}"]`);
  if (!g) {
    g = svg("g", { class: "driver", "data-driver-id": d.driver_id });
    const name = driverName(d.driver_id);
    const title = svg("title"); title.textContent = name; g.append(title);
    g.append(svg("circle", { r: 9 }));
    const initials = svg("text");
    initials.textContent = name.split(/\s+/).map((w) => w[0] || "").join("").slice(0, 2).toUpperCase();
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
    const groups = $$("#drivers .driver").reverse().sort((a, b) => a.dataset.y - b.dataset.y);
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
      class: "route", stroke: ROUTE_COLOURS[i % ROUTE_COLOURS.length], points: points.map((p) => p.join(",")).join(" "),
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

export function start() {
  fitBounds([]);
  on("snapshot", redrawAll);
  on("positions", (moved) => { for (const d of moved) drawDriver(d); drawRoutes(); });
  on("trip", drawStops);
  on("plan", drawRoutes);
  on("driver_off", (driverId) => { const g = $(`#drivers [data-driver-id="${driverId}"]`); if (g) g.remove(); });
}

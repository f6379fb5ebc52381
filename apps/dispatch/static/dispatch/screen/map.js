// The live map (Leaflet, served from our static files): drivers by state, open trips' stops linked per trip,
// planned routes per vehicle, the service area and surcharge zones. Position batches move markers in place
// once per animation frame; nothing is redrawn whole except on a snapshot.

import { $, ROUTE_COLOURS, short } from "./dom.js";
import { driverName, emit, fleet, on, STALE_MS, state } from "./store.js";

const L = window.L; // leaflet.js and leaflet.markercluster.js are classic deferred scripts, run before modules
const config = JSON.parse($("#map-config").textContent);

const CLUSTER_FROM = 40; // drivers: below this, every marker shows; from it on, nearby ones cluster when zoomed out
const CLUSTER_UNTIL = 30; // ...and stop clustering again below this (no flapping around one number)
const LABELS_FROM_ZOOM = 13; // driver names only when zoomed in enough to read them
const MAX_LABELS = 150; // more markers than this in view: initials only
const STATES = { idle: "idle", offered: "offered", on_trip: "on a trip", stale: "stale / offline" };

let map, plainDrivers, clusterDrivers, driversLayer, stopsLayer, linksLayer, routesLayer, gridLayer, stopRenderer;
const drivers = new Map(); // driver id -> { marker, record, state }
const tripLayers = new Map(); // trip id -> { stops: [layers], link: layer | null }
const routeOf = new Map(); // driver id -> { line, route }
const boardInfo = new Map(); // driver id -> { state, trip_ids } from the latest board message
let fitted = false;
let haveSnapshot = false; // the first view waits for the fleet's snapshot

// ---- shapes ----------------------------------------------------------------------------------------------

// A stop a few pixels wide whatever the zoom: a triangle for a pickup, a square for a drop-off. In the SVG
// renderer one <path> each carrying data-trip-id and data-kind; with many trips they go on a canvas instead
// (thousands of SVG paths take seconds to re-project on every zoom step), coloured from the options.
// Defined when the map starts: without Leaflet (static files missing) the rest of the screen still runs.
let StopMarker, TaggedLine;
function defineShapes() {
  StopMarker = L.CircleMarker.extend({
    onAdd(m) {
      L.CircleMarker.prototype.onAdd.call(this, m);
      if (!this._path) return; // on a canvas: no element of its own
      this._path.dataset.tripId = this.options.tripId;
      this._path.dataset.kind = this.options.kind;
    },
    _updatePath() {
      const { x, y } = this._point, r = this._radius;
      const corners = this.options.kind === "pickup"
        ? [[x, y - r], [x + r, y + r * 0.8], [x - r, y + r * 0.8]]
        : [[x - r * 0.8, y - r * 0.8], [x + r * 0.8, y - r * 0.8], [x + r * 0.8, y + r * 0.8], [x - r * 0.8, y + r * 0.8]];
      if (this._renderer instanceof L.Canvas) {
        this._parts = this._empty() ? [] : [corners.map(([px, py]) => L.point(px, py))];
        this._renderer._updatePoly(this, true);
        return;
      }
      if (this._empty()) { this._renderer._setPath(this, "M0 0"); return; }
      this._renderer._setPath(this, corners.map(([px, py], i) => `${i ? "L" : "M"}${px} ${py}`).join("") + "Z");
    },
  });
  // a line that names what it draws on its <path> (data-* attributes), for styling and tests
  TaggedLine = L.Polyline.extend({
    onAdd(m) {
      L.Polyline.prototype.onAdd.call(this, m);
      if (!this._path) return;
      for (const [k, v] of Object.entries(this.options.data || {})) this._path.dataset[k] = v;
    },
  });
}

// Above this many open trips, stops and their links are drawn on a canvas (no per-stop DOM, no CSS focus
// styles: focus is shown by restyling the few focused shapes instead).
const CANVAS_FROM_TRIPS = 300;
const STOP_COLOURS = { pickup: "#2e7d32", dropoff: "#c62828" };
let svgStops, canvasStops;

const textNode = (text) => document.createTextNode(text);

function initials(name) {
  return name.split(/\s+/).map((w) => w[0] || "").join("").slice(0, 2).toUpperCase();
}

// ---- drivers ---------------------------------------------------------------------------------------------

// What a driver is doing: stale when the last ping is old; on a trip when the trips say so (each trip message is
// newer than the last board message); else the backend's word (idle or offered).
function driverState(record) {
  const at = Date.parse(record.recorded_at);
  if (!Number.isNaN(at) && Date.now() - at > STALE_MS) return "stale";
  if (tripsOf(record.driver_id).length) return "on_trip";
  const told = (boardInfo.get(record.driver_id) || {}).state || record.state;
  return told === "offered" ? "offered" : "idle";
}

function tripsOf(driverId) {
  const out = [];
  for (const t of state.trips.values()) if (t.driver_id === driverId && t.status !== "requested") out.push(t.id);
  return out;
}

function driverIcon(name) {
  return L.divIcon({
    className: "driver",
    iconSize: [26, 26],
    iconAnchor: [13, 13],
    html: `<span class="shape"></span><span class="initials"></span><span class="heading"></span>`
      + `<span class="driver-name"></span>`,
  });
}

// The marker's element exists only while it is on the map (a clustered marker has none): paint it when it is
// added, and on every change while it is there.
function paint(entry) {
  const node = entry.marker.getElement();
  if (!node) return;
  const { record } = entry;
  const name = driverName(record.driver_id);
  node.dataset.driverId = record.driver_id;
  node.dataset.lat = String(record.lat);
  node.dataset.lng = String(record.lng);
  node.dataset.state = entry.state;
  node.className = node.className.replace(/\bstate-\S+/g, "").trim() + ` state-${entry.state}`;
  node.classList.toggle("is-focus", focus.drivers.has(record.driver_id));
  node.title = `${name} · ${STATES[entry.state]}`;
  node.setAttribute("aria-label", node.title);
  const label = node.querySelector(".driver-name");
  if (label.textContent !== name) { label.textContent = name; node.querySelector(".initials").textContent = initials(name); }
  const arrow = node.querySelector(".heading");
  const heading = typeof record.heading === "number" ? record.heading : null;
  arrow.hidden = heading === null;
  if (heading !== null) arrow.style.transform = `rotate(${heading}deg)`; // CSSOM: allowed by style-src 'self'
}

const placed = (record) => typeof record.lat === "number" && typeof record.lng === "number";

function placeDriver(record) {
  if (!placed(record)) { removeDriver(record.driver_id); return; } // on shift, no position yet: the list shows them
  let entry = drivers.get(record.driver_id);
  if (!entry) {
    const marker = L.marker([record.lat, record.lng], { icon: driverIcon(), keyboard: true, riseOnHover: true });
    entry = { marker, record, state: "idle" };
    marker.on("add", () => paint(entry));
    marker.on("click", () => emit("select", { driverId: record.driver_id, tripId: null }));
    marker.on("mouseover", () => emit("hover", { driverId: record.driver_id, tripId: null }));
    marker.on("mouseout", () => emit("hover", { driverId: null, tripId: null }));
    drivers.set(record.driver_id, entry);
    entry.record = record;
    entry.state = driverState(record);
    driversLayer.addLayer(marker);
    regroup();
  } else {
    entry.record = record;
    entry.state = driverState(record);
    const at = entry.marker.getLatLng();
    if (at.lat !== record.lat || at.lng !== record.lng) entry.marker.setLatLng([record.lat, record.lng]);
  }
  paint(entry);
  const route = routeOf.get(record.driver_id);
  if (route) route.line.setLatLngs(routePoints(route.route));
}

function removeDriver(driverId) {
  const entry = drivers.get(driverId);
  if (!entry) return;
  driversLayer.removeLayer(entry.marker);
  drivers.delete(driverId);
  regroup();
}

// A handful of drivers all show; a big fleet clusters when zoomed out (moved over in one go when it crosses).
function regroup() {
  const want = drivers.size >= CLUSTER_FROM || (driversLayer === clusterDrivers && drivers.size >= CLUSTER_UNTIL)
    ? clusterDrivers : plainDrivers;
  if (want === driversLayer) return;
  const markers = [...drivers.values()].map((e) => e.marker);
  driversLayer.clearLayers();
  map.removeLayer(driversLayer);
  driversLayer = want;
  map.addLayer(driversLayer);
  if (want === clusterDrivers) clusterDrivers.addLayers(markers); else for (const m of markers) plainDrivers.addLayer(m);
  map.getContainer().dataset.clustering = want === clusterDrivers ? "on" : "off";
}

// Positions come in batches, several per second with a big fleet: keep the newest per driver and apply them
// all in the next animation frame.
const pending = new Map();
let frame = 0;
function queue(moved) {
  for (const d of moved) pending.set(d.driver_id, d);
  if (!frame) frame = requestAnimationFrame(flush);
}
function flush() {
  frame = 0;
  if (driversLayer === clusterDrivers) moveClustered([...pending.values()]);
  else for (const record of pending.values()) placeDriver(record);
  pending.clear();
  scheduleLabels();
}

// markercluster re-files a marker on each setLatLng (a remove and an add, each rebuilding its clusters' icons):
// with a thousand drivers a second that is most of the frame budget. Take the moved ones out in one go, move
// them, and put them back in one go, so clusters are rebuilt once per batch.
function moveClustered(records) {
  const moved = [];
  for (const record of records) {
    const entry = drivers.get(record.driver_id);
    if (!entry) { placeDriver(record); continue; }
    const at = entry.marker.getLatLng();
    if (at.lat === record.lat && at.lng === record.lng) { entry.record = record; paint(entry); continue; }
    moved.push([entry, record]);
  }
  const markers = moved.map(([entry]) => entry.marker);
  clusterDrivers.removeLayers(markers);
  for (const [entry, record] of moved) {
    entry.record = record;
    entry.state = driverState(record);
    entry.marker.setLatLng([record.lat, record.lng]); // off the map now: no redraw, no re-filing
    const route = routeOf.get(record.driver_id);
    if (route) route.line.setLatLngs(routePoints(route.route));
  }
  clusterDrivers.addLayers(markers); // painted as each shows ("add")
}

// Names of drivers close together would print over each other: keep the first of any overlapping ones (top to
// bottom) and hide the rest; initials stay and the full name is the marker's tooltip.
let labelsPending = false;
function scheduleLabels() {
  if (labelsPending) return;
  labelsPending = true;
  requestAnimationFrame(() => {
    labelsPending = false;
    const container = map.getContainer();
    const view = map.getBounds();
    const shown = [];
    for (const e of drivers.values()) {
      const node = e.marker.getElement();
      if (node && view.contains(e.marker.getLatLng())) shown.push([node, map.latLngToContainerPoint(e.marker.getLatLng())]);
    }
    const on = map.getZoom() >= LABELS_FROM_ZOOM && shown.length <= MAX_LABELS;
    container.classList.toggle("labels-off", !on);
    if (!on) return;
    shown.sort((a, b) => a[1].y - b[1].y);
    const placed = [];
    for (const [node, p] of shown) {
      const label = node.querySelector(".driver-name");
      const box = { x: p.x + 15, y: p.y - 8, w: label.textContent.length * 6.5 + 6, h: 16 };
      const clash = placed.some((o) => box.x < o.x + o.w && o.x < box.x + box.w && box.y < o.y + o.h && o.y < box.y + box.h);
      label.classList.toggle("hidden", clash);
      if (!clash) placed.push(box);
    }
  });
}

// ---- trips and routes ------------------------------------------------------------------------------------

function drawTrip(trip) {
  clearTrip(trip.id);
  if (!state.trips.has(trip.id)) return; // ended: its stops leave the map
  const open = trip.stops.filter((s) => s.status !== "done" && s.status !== "failed");
  if (!open.length) return;
  const layers = { stops: [], link: null };
  if (open.length > 1) {
    layers.link = new TaggedLine(open.map((s) => [s.lat, s.lng]), {
      className: "trip-link", weight: 1.5, dashArray: "4 4", interactive: false, data: { tripId: trip.id },
      renderer: stopRenderer, color: "#6e7781", opacity: 0.55,
    });
    linksLayer.addLayer(layers.link);
  }
  for (const stop of open) {
    const shape = new StopMarker([stop.lat, stop.lng], {
      renderer: stopRenderer, radius: 6, className: `stop ${stop.kind}`, weight: 1.5, fillOpacity: 1,
      color: "#fff", fillColor: STOP_COLOURS[stop.kind],
      tripId: trip.id, kind: stop.kind, bubblingMouseEvents: false, // a stop's click is not the map's
    });
    // Leaflet takes a string tooltip as HTML: addresses come from whoever booked, so hand it a text node
    shape.bindTooltip(textNode(`${stop.kind === "pickup" ? "Pickup" : "Drop-off"} · ${short(trip.id)} · ${stop.address}`));
    shape.on("click", () => emit("select", { tripId: trip.id, driverId: trip.driver_id || null }));
    shape.on("mouseover", () => emit("hover", { tripId: trip.id, driverId: null }));
    shape.on("mouseout", () => emit("hover", { tripId: null, driverId: null }));
    stopsLayer.addLayer(shape);
    layers.stops.push(shape);
  }
  tripLayers.set(trip.id, layers);
  if (focus.trips.has(trip.id)) markFocus();
}

function clearTrip(tripId) {
  const layers = tripLayers.get(tripId);
  if (!layers) return;
  for (const s of layers.stops) stopsLayer.removeLayer(s);
  if (layers.link) linksLayer.removeLayer(layers.link);
  tripLayers.delete(tripId);
}

function drawTrips() {
  for (const id of [...tripLayers.keys()]) clearTrip(id);
  stopRenderer = state.trips.size >= CANVAS_FROM_TRIPS ? canvasStops : svgStops;
  map.getContainer().dataset.stops = stopRenderer === canvasStops ? "canvas" : "svg";
  for (const trip of state.trips.values()) drawTrip(trip);
}

function routePoints(route) {
  const points = [];
  const here = state.drivers.get(route.driver_id);
  if (here) points.push([here.lat, here.lng]); // from where the vehicle is now
  for (const stop of route.stops) points.push([stop.lat, stop.lng]);
  return points;
}

function drawRoutes() {
  routesLayer.clearLayers();
  routeOf.clear();
  if (!state.plan || state.plan.status === "superseded") return;
  state.plan.routes.forEach((route, i) => {
    const points = routePoints(route);
    if (points.length < 2) return;
    const line = new TaggedLine(points, {
      className: `route plan-${state.plan.status}`, color: ROUTE_COLOURS[i % ROUTE_COLOURS.length], weight: 4,
      opacity: 0.8, interactive: false, data: { shiftId: route.shift_id, driverId: route.driver_id },
    });
    routesLayer.addLayer(line);
    routeOf.set(route.driver_id, { line, route });
  });
  markFocus();
}

// ---- focus: hovering or selecting a driver (or a trip) highlights its trips and route, dims the rest ------

let selected = { driverId: null, tripId: null };
let hovered = { driverId: null, tripId: null };
const focus = { drivers: new Set(), trips: new Set(), nodes: [], restyled: [] };

function markFocus() {
  const target = hovered.driverId || hovered.tripId ? hovered : selected;
  for (const n of focus.nodes) n.classList.remove("is-focus");
  focus.nodes = [];
  for (const layer of focus.restyled) layer.setStyle(layer instanceof StopMarker ? { color: "#fff", weight: 1.5 } : { color: "#6e7781", opacity: 0.55, weight: 1.5 });
  focus.restyled = [];
  focus.drivers.clear();
  focus.trips.clear();
  if (target.driverId) {
    focus.drivers.add(target.driverId);
    for (const id of tripsOf(target.driverId)) focus.trips.add(id);
  }
  if (target.tripId) {
    focus.trips.add(target.tripId);
    const trip = state.trips.get(target.tripId);
    if (trip && trip.driver_id) focus.drivers.add(trip.driver_id);
  }
  const mark = (node) => { if (node) { node.classList.add("is-focus"); focus.nodes.push(node); } };
  for (const id of focus.trips) {
    const layers = tripLayers.get(id);
    if (!layers) continue;
    if (stopRenderer === canvasStops) { // no elements to style: restyle the focused shapes themselves
      for (const s of layers.stops) { s.setStyle({ color: "#111", weight: 3 }); s.bringToFront(); focus.restyled.push(s); }
      if (layers.link) { layers.link.setStyle({ color: "#111", opacity: 0.9, weight: 2.5 }); focus.restyled.push(layers.link); }
      continue;
    }
    for (const s of layers.stops) { mark(s.getElement()); s.bringToFront(); }
    if (layers.link) mark(layers.link.getElement());
  }
  for (const id of focus.drivers) {
    const entry = drivers.get(id);
    if (entry) mark(entry.marker.getElement());
    const route = routeOf.get(id);
    if (route) { mark(route.line.getElement()); route.line.bringToFront(); }
  }
  map.getContainer().classList.toggle("has-focus", focus.drivers.size + focus.trips.size > 0);
}

// Selected from elsewhere (the board): bring it into view if it is not (out of the view, or in a cluster).
function reveal({ driverId, tripId }) {
  const entry = driverId && drivers.get(driverId);
  if (entry) {
    if (driversLayer === clusterDrivers && !entry.marker.getElement()) clusterDrivers.zoomToShowLayer(entry.marker);
    else if (!map.getBounds().contains(entry.marker.getLatLng())) map.panTo(entry.marker.getLatLng());
    return;
  }
  const layers = tripId && tripLayers.get(tripId);
  if (layers && layers.stops.length) {
    const bounds = L.latLngBounds(layers.stops.map((s) => s.getLatLng()));
    if (!map.getBounds().contains(bounds)) map.fitBounds(bounds, { padding: [40, 40], maxZoom: Math.max(map.getZoom(), 13) });
  }
}

// ---- the base: tiles or a neutral background with a 1 km grid, the service area and zones ----------------

function serviceAreaBounds() {
  const parts = [];
  if (fleet.polygon && fleet.polygon.length) parts.push(L.latLngBounds(fleet.polygon));
  if (fleet.center) parts.push(L.latLng(fleet.center).toBounds(2 * (fleet.area_radius_m || fleet.radius_m || 10000)));
  if (!parts.length) return null;
  return parts.reduce((a, b) => a.extend(b));
}

function drawArea(pane) {
  const options = { pane, interactive: false };
  if (fleet.center && fleet.area_radius_m) {
    L.circle(fleet.center, { ...options, radius: fleet.area_radius_m, className: "service-area" }).addTo(map);
  }
  if (fleet.polygon && fleet.polygon.length > 2) L.polygon(fleet.polygon, { ...options, className: "service-area" }).addTo(map);
  for (const zone of fleet.zones || []) {
    const circle = L.circle(zone.center, { ...options, radius: zone.radius_m, className: "zone" }).addTo(map);
    if (zone.label) {
      circle.bindTooltip(textNode(zone.label), { permanent: true, direction: "center", className: "zone-label", interactive: false });
    }
  }
}

// Without tiles: a light grid of whole kilometres (1 km when zoomed in; 2, 5, 10... when zoomed out, so lines
// stay at least ~50 px apart), so distances read at a glance.
const GRID_KM = [1, 2, 5, 10, 20, 50, 100];
function drawGrid() {
  gridLayer.clearLayers();
  const b = map.getBounds().pad(0.2);
  const mid = b.getCenter();
  const metresPerPixel = map.distance(map.containerPointToLatLng([0, 0]), map.containerPointToLatLng([100, 0])) / 100;
  const km = GRID_KM.find((k) => (k * 1000) / metresPerPixel >= 50);
  map.getContainer().dataset.gridKm = km || "";
  if (!km) return;
  const stepLat = km / 111.32;
  const stepLng = stepLat / (Math.cos((mid.lat * Math.PI) / 180) || 1);
  const style = { pane: "area", className: "km-grid", interactive: false, weight: 1 };
  for (let lat = Math.ceil(b.getSouth() / stepLat) * stepLat; lat < b.getNorth(); lat += stepLat) {
    gridLayer.addLayer(L.polyline([[lat, b.getWest()], [lat, b.getEast()]], style));
  }
  for (let lng = Math.ceil(b.getWest() / stepLng) * stepLng; lng < b.getEast(); lng += stepLng) {
    gridLayer.addLayer(L.polyline([[b.getSouth(), lng], [b.getNorth(), lng]], style));
  }
}

// The first view fits the fleet, once the map has a size: on a phone it starts hidden behind another tab, and a
// fit to a 0×0 map zooms all the way in.
function fitOnce() {
  const size = map.getSize();
  if (fitted || !haveSnapshot || !size.x || !size.y) return;
  fitted = true;
  fitFleet(false); // the page opens on the fleet, without flying there
}

// Fit to the fleet: every driver and open stop, else the service area.
function fitFleet(animate = true) {
  const points = [...drivers.values()].map((e) => e.marker.getLatLng());
  for (const layers of tripLayers.values()) for (const s of layers.stops) points.push(s.getLatLng());
  if (points.length) map.fitBounds(L.latLngBounds(points), { padding: [40, 40], maxZoom: 15, animate });
  else map.fitBounds(serviceAreaBounds() || L.latLng(52.52, 13.405).toBounds(20000), { animate });
}

const fitControl = () => new (L.Control.extend({
  options: { position: "topleft" },
  onAdd() {
    const bar = L.DomUtil.create("div", "leaflet-bar map-fit");
    const button = L.DomUtil.create("button", "", bar);
    button.type = "button";
    button.textContent = "⤢";
    button.title = "Fit to fleet";
    button.setAttribute("aria-label", "Fit to fleet");
    L.DomEvent.disableClickPropagation(bar);
    L.DomEvent.on(button, "click", () => fitFleet());
    return bar;
  },
}))();

function clusterIcon(cluster) {
  const count = cluster.getChildCount();
  const size = count < 10 ? 30 : count < 100 ? 36 : 44;
  return L.divIcon({
    html: `<span>${count}</span>`, className: "driver-cluster", iconSize: [size, size],
  });
}

export function start() {
  const node = $("#map");
  if (!L || !L.markerClusterGroup) {
    const note = document.createElement("p");
    note.className = "map-missing";
    note.textContent = "The map's library did not load (its static files are missing: scripts/run.sh installs "
      + "them). Everything else on this screen works without it.";
    node.replaceChildren(note);
    return;
  }
  defineShapes();
  map = L.map(node, { minZoom: 3, maxZoom: config.max_zoom || 19, zoomSnap: 0.5 });
  // a view before any layer: layers added to a map without one wait, and their renderers would be late
  map.fitBounds(serviceAreaBounds() || L.latLng(52.52, 13.405).toBounds(20000));
  map.createPane("area").style.zIndex = 350; // under routes and stops
  map.createPane("stops").style.zIndex = 450; // over routes and links, under drivers (600)
  svgStops = L.svg({ pane: "stops" });
  canvasStops = L.canvas({ pane: "stops", padding: 0.3 });
  stopRenderer = svgStops;
  if (config.tiles_url) {
    node.dataset.tiles = "on";
    const tiles = L.tileLayer(config.tiles_url, {
      maxZoom: config.max_zoom || 19, attribution: config.attribution || "", className: "base-tiles",
    });
    let warned = false;
    tiles.on("tileerror", () => { if (!warned) { warned = true; node.dataset.tiles = "failing"; } });
    tiles.addTo(map);
  } else {
    node.dataset.tiles = "off";
    gridLayer = L.layerGroup().addTo(map);
    map.on("moveend", drawGrid);
    drawGrid();
  }
  L.control.scale({ metric: true, imperial: false, maxWidth: 140 }).addTo(map);
  fitControl().addTo(map);
  drawArea("area");
  routesLayer = L.layerGroup().addTo(map);
  linksLayer = L.layerGroup().addTo(map);
  stopsLayer = L.layerGroup().addTo(map);
  plainDrivers = L.layerGroup();
  clusterDrivers = L.markerClusterGroup({
    maxClusterRadius: 50, disableClusteringAtZoom: 16, showCoverageOnHover: false, chunkedLoading: true,
    spiderfyOnMaxZoom: false, iconCreateFunction: clusterIcon,
  });
  driversLayer = plainDrivers.addTo(map);
  node.dataset.clustering = "off";
  map.on("zoomend moveend", scheduleLabels);
  // a click on the empty map lets go of what was selected (and of a hover whose mouseout went missing)
  map.on("click", () => { hovered = { driverId: null, tripId: null }; emit("select", { driverId: null, tripId: null }); });
  // the layout may resize or hide the pane (tabs on a phone): Leaflet must re-measure
  new ResizeObserver(() => { map.invalidateSize({ pan: false }); fitOnce(); }).observe(node);

  on("snapshot", () => {
    boardInfo.clear();
    const live = new Set(state.drivers.keys());
    for (const id of [...drivers.keys()]) if (!live.has(id)) removeDriver(id);
    pending.clear();
    for (const d of state.drivers.values()) placeDriver(d);
    drawTrips();
    drawRoutes();
    haveSnapshot = true;
    fitOnce();
    scheduleLabels();
  });
  on("positions", queue);
  on("trip", (trip) => {
    drawTrip(trip);
    // who holds it may have changed: their state without a board message follows the trips
    if (trip.driver_id && drivers.has(trip.driver_id)) placeDriver(drivers.get(trip.driver_id).record);
  });
  on("plan", drawRoutes);
  on("driver_off", (driverId) => { pending.delete(driverId); removeDriver(driverId); });
  on("board", (message) => {
    for (const [id, info] of Object.entries(message.drivers || {})) {
      boardInfo.set(id, info);
      const entry = drivers.get(id);
      if (entry) { entry.state = driverState(entry.record); paint(entry); }
    }
  });
  on("select", (target) => { selected = { driverId: target.driverId || null, tripId: target.tripId || null }; markFocus(); reveal(selected); });
  on("hover", (target) => { hovered = { driverId: target.driverId || null, tripId: target.tripId || null }; markFocus(); });
  // a driver with no ping for a while turns stale without any message saying so
  setInterval(() => {
    for (const entry of drivers.values()) {
      const now = driverState(entry.record);
      if (now !== entry.state) { entry.state = now; paint(entry); }
    }
  }, 10_000);

  window.logitrackMap = { map, fitFleet }; // for tests and the console
}

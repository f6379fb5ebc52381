// The driver list: everyone on shift (and anyone pinging), with their state in words and colour, current trip,
// vehicle and last ping age. A row is a drop target: a trip card dropped on it is assigned to the driver's shift.

import { $, $$, el, toast } from "./dom.js";
import { assign, isReassign } from "./assign.js";
import { ref, since } from "./format.js";
import { driverName, emit, on, select, shiftOf, STALE_MS, state } from "./store.js";

const STATES = {
  idle: "○ Idle", offered: "◐ Offered", on_trip: "● On a trip", stale: "✕ Offline", unknown: "? No position",
};

// the open trips a driver holds, from the trips themselves: each trip message is newer than the last board message
function tripsOf(driverId) {
  return [...state.trips.values()].filter((t) => t.driver_id === driverId && t.status !== "requested");
}

// stale by the last ping, on a trip by the trips (fresher than the board message), else the server's word
function driverState(driverId) {
  const info = state.driverInfo.get(driverId);
  const position = state.drivers.get(driverId);
  if (!position) return info && info.state ? info.state : "unknown";
  if (Date.now() - new Date(position.recorded_at).getTime() > STALE_MS) return "stale";
  if (tripsOf(driverId).length) return "on_trip";
  if (info && info.state && info.state !== "on_trip") return info.state;
  return "idle";
}

function everyone() {
  const ids = new Set([...state.shifts.values()].map((s) => s.driver_id));
  for (const id of state.drivers.keys()) ids.add(id);
  for (const id of state.driverInfo.keys()) ids.add(id);
  return [...ids].map((id) => ({ id, name: driverName(id), state: driverState(id) }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

function row(driver) {
  const shift = shiftOf(driver.id);
  const info = state.driverInfo.get(driver.id) || {};
  const node = el("li", { class: "driver-row", "data-driver-id": driver.id, "data-state": driver.state });
  if (shift) node.dataset.shiftId = shift.id;
  const open = el("button", { type: "button", class: "open" });
  const head = el("span", { class: "line head" });
  head.append(el("span", { class: "badge", "data-driver-state": driver.state }, STATES[driver.state] || driver.state));
  head.append(el("strong", {}, driver.name));
  open.append(head);
  const vehicle = [info.registration || (shift && shift.registration), info.vehicle_type || (shift && shift.vehicle_type)].filter(Boolean).join(" · ");
  open.append(el("span", { class: "line note" }, vehicle || "no shift"));
  const position = state.drivers.get(driver.id);
  const ping = el("span", { class: "line ping" }, position ? `last ping ${since(position.recorded_at)} ago` : "no position yet");
  if (position) ping.dataset.since = position.recorded_at;
  open.append(ping);
  open.addEventListener("click", () => emit("select", { tripId: null, driverId: driver.id }));
  node.append(open);
  for (const trip of tripsOf(driver.id)) {
    const link = el("button", { type: "button", class: "link-button current-trip" },
      `${ref(trip.id)} ${trip.customer_name || ""} · ${trip.status.replace("_", " ")}`);
    link.addEventListener("click", () => select(trip.id, driver.id));
    node.append(link);
  }
  node.addEventListener("dragover", (e) => {
    if (!shift || !e.dataTransfer.types.includes("application/x-logitrack-trip")) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "move";
    node.classList.add("drop-target");
  });
  node.addEventListener("dragleave", () => node.classList.remove("drop-target"));
  node.addEventListener("drop", (e) => {
    e.preventDefault();
    node.classList.remove("drop-target");
    dropped(e.dataTransfer.getData("application/x-logitrack-trip"), driver, shift);
  });
  return node;
}

async function dropped(tripId, driver, shift) {
  const trip = state.trips.get(tripId);
  if (!trip || !shift) return;
  if (trip.shift_id === shift.id) { toast(`${driver.name} already has this trip`); return; }
  if (isReassign(trip)) { // a reassignment says why: the detail panel asks, with this driver picked
    select(trip.id);
    emit("reassign-to", { tripId: trip.id, shiftId: shift.id });
    return;
  }
  try {
    await assign(trip, shift.id);
    toast(`${ref(trip.id)} assigned to ${driver.name}`);
  } catch (error) {
    toast(`Could not assign ${ref(trip.id)} to ${driver.name}: ${error.message}`, true);
  }
}

// a fleet has hundreds of drivers: the list is drawn only while it can be seen, and at most once a second
let pending = false, lastDrawn = 0;
const visible = () => !$("#panel-drivers").hidden && $("#panel-drivers").offsetParent !== null;
function render() {
  if (pending) return;
  pending = true;
  const wait = Math.max(0, 1000 - (performance.now() - lastDrawn));
  setTimeout(() => requestAnimationFrame(() => {
    pending = false;
    if (!visible()) { stale = true; return; }
    draw();
  }), wait);
}

let stale = true;
function draw() {
  stale = false;
  lastDrawn = performance.now();
  const list = everyone();
  $("#driver-list").replaceChildren(...list.map(row));
  $("#driver-count").textContent = String(list.length);
}

function tick() {
  for (const node of $$(".driver-row .ping[data-since]")) node.textContent = `last ping ${since(node.dataset.since)} ago`;
}

export function start() {
  on("snapshot", () => { $("#driver-count").textContent = String(everyone().length); render(); });
  on("side", (name) => { if (name === "drivers" && stale) draw(); });
  on("trip", render);
  on("board", render);
  on("driver_off", render);
  on("positions", (moved) => { if (moved.some((d) => !$(`.driver-row[data-driver-id="${d.driver_id}"]`))) render(); });
  on("select", ({ driverId }) => {
    for (const node of $$(".driver-row.selected")) node.classList.remove("selected");
    const node = driverId && $(`.driver-row[data-driver-id="${driverId}"]`);
    if (node) node.classList.add("selected");
  });
  setInterval(tick, 5_000);
}

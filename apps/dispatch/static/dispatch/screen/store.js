// What the screen knows: the fleet's snapshot (REST or the socket's first message), then numbered feed messages.
// A gap in the numbers means something was missed: reload the snapshot. Parts of the screen (map, board, plan)
// subscribe to what changed with on(kind, fn) instead of calling each other.

import { call } from "./net.js";
import { toast } from "./dom.js";

export const fleet = JSON.parse(document.getElementById("fleet-config").textContent);
// the statuses that end a trip, as trips defines them (TERMINAL_STATUSES): its card leaves the board
// no ping for this long: a driver shows stale / offline on the map and in the list alike (selectors.map_config)
export const STALE_MS = (JSON.parse(document.getElementById("map-config").textContent).stale_after_s || 60) * 1000;
export const ENDED = JSON.parse(document.getElementById("trip-statuses").textContent).ended;

// timings: trip id -> timing (server-computed ETA and lateness, from trips or the ~10 s "board" message);
// driverInfo: driver id -> {state, trip_ids, shift_id, ...} (snapshot drivers and "board" messages); alerts: the
// server's list, null while the server sends none (alerts.js then derives what it can from the trips)
export const state = {
  seq: 0, trips: new Map(), drivers: new Map(), shifts: new Map(), plan: null, jobs: new Map(),
  timings: new Map(), driverInfo: new Map(), alerts: null, selected: null,
};
// the newest version of each trip shown so far, ended ones too: a trip message carries the trip as its event
// saw it, and events may arrive out of order, so one older than what the board has is not applied
const versions = new Map();

const listeners = new Map();
export function on(kind, fn) {
  if (!listeners.has(kind)) listeners.set(kind, []);
  listeners.get(kind).push(fn);
}
export function emit(kind, payload) {
  for (const fn of listeners.get(kind) || []) fn(payload);
}

// the trip a dispatcher is looking at: the detail panel opens it, the board and the map highlight it
export function select(tripId, driverId = null) {
  emit("select", { tripId, driverId });
}
on("select", ({ tripId }) => { if (tripId) state.selected = tripId; });

export const timingOf = (trip) => state.timings.get(trip.id) || trip.timing || null;

// the shift a driver works now: from the driver's state, else the open shifts
export function shiftOf(driverId) {
  const info = state.driverInfo.get(driverId);
  if (info && info.shift_id && state.shifts.has(info.shift_id)) return state.shifts.get(info.shift_id);
  for (const s of state.shifts.values()) if (s.driver_id === driverId) return s;
  return null;
}

export function driverName(id) {
  const known = state.drivers.get(id);
  if (known && known.name) return known.name;
  for (const s of state.shifts.values()) if (s.driver_id === id && s.driver_name) return s.driver_name;
  return "driver " + String(id).slice(0, 8);
}

function applySnapshot(snapshot) {
  // the snapshot holds everything up to its number; changes held while it was on its way follow it
  const later = [...early.values()].filter((m) => m.seq > snapshot.seq).sort((a, b) => a.seq - b.seq);
  early.clear();
  if (gapTimer) { clearTimeout(gapTimer); gapTimer = null; }
  state.seq = snapshot.seq;
  state.trips = new Map(snapshot.trips.map((t) => [t.id, t]));
  for (const t of snapshot.trips) versions.set(t.id, t.version);
  state.timings = new Map(snapshot.trips.filter((t) => t.timing).map((t) => [t.id, t.timing]));
  // drivers on shift without a position (lat/lng null) are in the driver list, not on the map's position layer
  state.drivers = new Map(snapshot.drivers.filter((d) => d.lat != null).map((d) => [d.driver_id, d]));
  state.driverInfo = new Map(snapshot.drivers.map((d) => [d.driver_id, d]));
  state.alerts = Array.isArray(snapshot.alerts) ? snapshot.alerts : null;
  state.shifts = new Map(snapshot.shifts.map((s) => [s.id, s]));
  state.plan = snapshot.plan;
  state.jobs = new Map(snapshot.jobs.map((j) => [j.id, j]));
  emit("snapshot", snapshot);
  for (const message of later) receive(message);
}

export async function resync() {
  try {
    applySnapshot(await call("GET", `/dispatch/fleets/${fleet.id}/snapshot/`));
  } catch (error) {
    toast(`Could not reload the board: ${error.message}`, true);
  }
}

export function receive(message) {
  if (message.type === "snapshot") { applySnapshot(message); return; }
  if (message.type === "positions") {
    const moved = [];
    for (const p of message.positions) {
      const merged = { ...(state.drivers.get(p.driver_id) || {}), ...p };
      state.drivers.set(p.driver_id, merged);
      moved.push(merged);
    }
    emit("positions", moved);
    return;
  }
  if (typeof message.seq === "number" && message.type !== "board") {
    if (message.seq <= state.seq) return; // already in what we show
    if (message.seq > state.seq + 1) { holdUntilTheGapCloses(message); return; }
    state.seq = message.seq;
  }
  applyChange(message);
  const next = early.get(state.seq + 1);
  if (next) { early.delete(next.seq); receive(next); return; }
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

function applyTrip(trip) {
  if ((versions.get(trip.id) ?? -1) > trip.version) return; // older than what the board shows
  versions.set(trip.id, trip.version);
  if (ENDED.includes(trip.status)) state.trips.delete(trip.id); else state.trips.set(trip.id, trip);
  if (trip.timing) state.timings.set(trip.id, trip.timing);
  emit("trip", trip);
}

function applyChange(message) {
  switch (message.type) {
    case "trip":
      applyTrip(message.trip);
      break;
    case "trips": // several trips' cards under one number (the server applied a batch of events at once)
      for (const trip of message.trips) applyTrip(trip);
      break;
    case "driver_off":
      state.drivers.delete(message.driver_id);
      emit("driver_off", message.driver_id);
      break;
    case "job":
      state.jobs.set(message.job.id, message.job);
      emit("job", message.job);
      break;
    case "board": // unnumbered, every ~10 s: what the clock changed (timings, driver states, alerts)
      for (const [id, timing] of Object.entries(message.timings || {})) state.timings.set(id, timing);
      for (const [id, info] of Object.entries(message.drivers || {})) {
        state.driverInfo.set(id, { ...(state.driverInfo.get(id) || {}), ...info, driver_id: id });
      }
      if (Array.isArray(message.alerts)) state.alerts = message.alerts;
      emit("board", message);
      break;
    case "plan":
      state.plan = message.plan;
      emit("plan", message.plan);
      break;
    default:
      emit(message.type, message); // offers and anything newer: whoever cares subscribes
      break;
  }
}

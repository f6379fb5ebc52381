// The board's filters (state, vehicle type, driver, late/at risk) and the search text: which open trips are shown.
// Changing any of them emits "filter"; the board redraws what it shows.

import { $, el } from "./dom.js";
import { driverName, emit, on, state } from "./store.js";
import { timingState } from "./urgency.js";

export const filter = { status: "", vehicle: "", driver: "", urgent: false, text: "" };

// what a search matches a trip on: its id, addresses, customer, driver and vehicle
export function haystack(trip) {
  return [
    trip.id, trip.customer_name, trip.driver_name, trip.registration,
    trip.driver_id && driverName(trip.driver_id), ...(trip.stops || []).map((s) => s.address),
  ].filter(Boolean).join(" ").toLowerCase();
}

export function matchesText(trip, text) {
  const words = text.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return true;
  const hay = haystack(trip);
  return words.every((w) => hay.includes(w));
}

export function shown(trip) {
  if (filter.status && trip.status !== filter.status) return false;
  if (filter.vehicle && trip.vehicle_type !== filter.vehicle) return false;
  if (filter.driver && trip.driver_id !== filter.driver) return false;
  if (filter.urgent && !["late", "at_risk"].includes(timingState(trip))) return false;
  return matchesText(trip, filter.text);
}

function driverOptions() {
  const select = $("#filter-driver");
  const keep = select.value;
  const seen = new Map();
  for (const s of state.shifts.values()) seen.set(s.driver_id, s.driver_name || driverName(s.driver_id));
  for (const t of state.trips.values()) if (t.driver_id && !seen.has(t.driver_id)) seen.set(t.driver_id, driverName(t.driver_id));
  const options = [...seen].sort((a, b) => a[1].localeCompare(b[1]));
  select.replaceChildren(el("option", { value: "" }, "any"), ...options.map(([id, name]) => el("option", { value: id }, name)));
  select.value = seen.has(keep) ? keep : "";
}

export function start() {
  const bind = (id, key, read) => $(id).addEventListener("change", (e) => { filter[key] = read(e.target); emit("filter"); });
  bind("#filter-status", "status", (t) => t.value);
  bind("#filter-vehicle", "vehicle", (t) => t.value);
  bind("#filter-driver", "driver", (t) => t.value);
  bind("#filter-urgent", "urgent", (t) => t.checked);
  on("snapshot", driverOptions);
}

// The board: one column per open status, a card per trip, one-click assign to a fitting shift.

import { $, $$, el, short, toast } from "./dom.js";
import { call } from "./net.js";
import { driverName, ENDED, on, state } from "./store.js";

// only shifts whose vehicle is of the type the trip was booked for (trips refuses any other)
function shiftOptions(select, trip) {
  const fitting = [...state.shifts.values()].filter((s) => s.vehicle_type === trip.vehicle_type);
  for (const s of fitting) {
    select.append(el("option", { value: s.id }, `${s.driver_name || short(s.driver_id)} · ${s.registration}`));
  }
  if (!fitting.length) select.append(el("option", { value: "" }, `no ${trip.vehicle_type} on shift`));
}

// what the trip carries: a ride has seats and no weight, a delivery weight and no seats
export function load(trip) {
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
  const old = $(`.trip[data-trip-id="${trip.id}"]`);
  if (old) old.remove();
  if (ENDED.includes(trip.status)) return;
  $(`[data-column="${trip.status}"] .cards`).append(card(trip));
}

function counts() {
  for (const column of $$(".column")) {
    column.querySelector(".count").textContent = column.querySelectorAll(".trip").length || "";
  }
}

export async function assign(trip, shiftId) {
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

function redraw() {
  for (const node of $$(".trip")) node.remove();
  for (const trip of state.trips.values()) placeCard(trip);
  counts();
}

export function start() {
  on("snapshot", redraw);
  on("trip", (trip) => { placeCard(trip); counts(); });
}

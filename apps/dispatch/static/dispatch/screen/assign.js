// Giving a trip to a shift: the matcher's ranked candidates (GET dispatch/trips/<id>/candidates/), or, where the
// server has no such endpoint yet, the open shifts with the trip's vehicle type; and the assign call itself.

import { call } from "./net.js";
import { state } from "./store.js";

export async function candidates(trip) {
  try {
    const answer = await call("GET", `/dispatch/trips/${trip.id}/candidates/`);
    return answer.candidates;
  } catch (error) {
    if (error.status !== 404 && error.status !== 405) throw error;
  }
  // no matcher to ask: every shift of the booked vehicle type (trips refuses any other), unranked
  return [...state.shifts.values()].filter((s) => s.vehicle_type === trip.vehicle_type).map((s, i) => ({
    rank: i + 1, driver_id: s.driver_id, driver_name: s.driver_name, shift_id: s.id, vehicle_id: s.vehicle_id,
    registration: s.registration, vehicle_type: s.vehicle_type, eligible: true, reasons: [],
    current: s.id === trip.shift_id,
  }));
}

// reassigning needs a reason (trips says why it is required); assigning a requested trip does not
export const isReassign = (trip) => trip.status !== "requested";

export function assign(trip, shiftId, reason = "") {
  const body = { shift_id: shiftId };
  if (reason) body.reason = reason;
  return call("POST", `/trips/trips/${trip.id}/assign/`, body, { "If-Match": `W/"${trip.version}"` });
}


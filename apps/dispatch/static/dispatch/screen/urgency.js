// How urgent a trip is, from the server's timing (never guessed here) and its dispatch state: the badge a card
// and the detail panel show (text and a shape, not colour alone), and the order a column is sorted in.

import { el } from "./dom.js";
import { duration } from "./format.js";
import { timingOf } from "./store.js";

// shape + words: readable without telling red from green
const BADGES = {
  late: { icon: "▲", text: (t) => (t.late_by_s > 0 ? `Late ${duration(t.late_by_s)}` : "Late") },
  at_risk: { icon: "◆", text: () => "At risk" },
  unknown: { icon: "?", text: () => "No ETA" }, // an ETA is needed but the driver has no position
  on_time: { icon: "●", text: (t) => (t.late_by_s != null && t.late_by_s < 0 ? `On time · ${duration(t.late_by_s)} spare` : "On time") },
};

export function timingBadge(trip) {
  const timing = timingOf(trip);
  const badge = timing && BADGES[timing.state];
  if (!badge) return null;
  return el("span", { class: "badge", "data-timing": timing.state }, `${badge.icon} ${badge.text(timing)}`);
}

export function timingState(trip) {
  const timing = timingOf(trip);
  return (timing && timing.state) || "unknown";
}

export const isFlagged = (trip) => Boolean(trip.dispatch && trip.dispatch.status === "flagged");

// larger is more urgent: late (by how much), at risk, needing a dispatcher, then waiting longest or due soonest
export function urgency(trip) {
  const timing = timingOf(trip) || {};
  let score = 0;
  if (timing.state === "late") score = 4e9 + Math.max(0, timing.late_by_s || 0);
  else if (timing.state === "at_risk") score = 3e9 + Math.max(-1e6, timing.late_by_s || 0); // less slack first
  else if (isFlagged(trip)) score = 2e9;
  const due = timing.window_end || timing.eta || trip.requested_for || trip.created_at;
  // sooner due (or older request) first among equals: subtract the time in seconds
  return score - (due ? new Date(due).getTime() / 1000 - 1.7e9 : 0);
}

// The alerts rail: what needs a person (late or at-risk trips, offers unanswered, trips no driver can take,
// drivers offline mid-trip, papers expiring), newest list from the server's snapshot and "board" messages. Until
// the server sends alerts, the rail shows what the board itself knows: late/at-risk timings and flagged trips.

import { $, $$, el } from "./dom.js";
import { duration, ref, since } from "./format.js";
import { emit, on, select, state, timingOf } from "./store.js";
import { isFlagged } from "./urgency.js";

const KIND_ICON = {
  late: "▲", at_risk: "◆", offer_unanswered: "⏳", unassignable: "⚑", driver_offline: "✕", papers_expiring: "📄",
};

function derived() {
  const out = [];
  for (const trip of state.trips.values()) {
    const timing = timingOf(trip);
    const who = trip.customer_name || ref(trip.id);
    if (timing && timing.state === "late") {
      out.push({ id: `late:${trip.id}`, kind: "late", severity: "high", trip_id: trip.id, title: `Late: ${who}`,
        detail: timing.late_by_s ? `${duration(timing.late_by_s)} past its window` : "", since: timing.as_of });
    } else if (timing && timing.state === "at_risk") {
      out.push({ id: `risk:${trip.id}`, kind: "at_risk", severity: "medium", trip_id: trip.id, title: `At risk: ${who}`,
        detail: "", since: timing.as_of });
    }
    if (isFlagged(trip)) {
      out.push({ id: `flag:${trip.id}`, kind: "unassignable", severity: "high", trip_id: trip.id,
        title: `No driver for ${who}`, detail: trip.dispatch.flag_reason, since: trip.created_at });
    }
  }
  return out;
}

function alertsNow() {
  // an alert about a trip that has since ended is done with, even before the next "board" message says so
  const list = (state.alerts || derived()).filter((a) => !a.trip_id || state.trips.has(a.trip_id));
  const rank = { high: 0, medium: 1 };
  return [...list].sort((a, b) => (rank[a.severity] ?? 2) - (rank[b.severity] ?? 2) || String(a.since).localeCompare(String(b.since)));
}

function item(alert) {
  const node = el("li", { class: "alert", "data-kind": alert.kind, "data-severity": alert.severity });
  if (alert.trip_id) node.dataset.tripId = alert.trip_id;
  if (alert.driver_id) node.dataset.driverId = alert.driver_id;
  const open = el("button", { type: "button", class: "open" });
  const head = el("span", { class: "line head" });
  head.append(el("span", { class: "badge", "data-severity": alert.severity },
    `${KIND_ICON[alert.kind] || "!"} ${alert.severity === "high" ? "High" : "Medium"}`));
  head.append(el("strong", {}, alert.title));
  open.append(head);
  if (alert.detail) open.append(el("span", { class: "line" }, alert.detail));
  if (alert.since) {
    const age = el("span", { class: "line muted age" }, `for ${since(alert.since)}`);
    age.dataset.since = alert.since;
    open.append(age);
  }
  open.addEventListener("click", () => {
    if (alert.trip_id) select(alert.trip_id, alert.driver_id || null);
    else if (alert.driver_id) emit("select", { tripId: null, driverId: alert.driver_id });
  });
  node.append(open);
  return node;
}

let pending = false;
function render() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    const list = alertsNow();
    const box = $("#alerts");
    box.replaceChildren(...list.map(item));
    if (!list.length) box.append(el("li", { class: "muted empty" }, "Nothing needs you right now."));
    const high = list.filter((a) => a.severity === "high").length;
    for (const badge of $$(".alert-count")) {
      badge.hidden = list.length === 0;
      badge.textContent = String(list.length);
      badge.dataset.high = high ? "true" : "false";
    }
  });
}

export function start() {
  on("snapshot", render);
  on("board", render);
  on("trip", render);
  setInterval(() => { for (const n of $$(".alert .age[data-since]")) n.textContent = `for ${since(n.dataset.since)}`; }, 15_000);
}

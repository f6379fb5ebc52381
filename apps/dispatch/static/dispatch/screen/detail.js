// The trip detail panel: who, what and when (stops with addresses, windows and contacts, load, vehicle, fare,
// tracking link), how it went (timeline, proof of delivery) and what a dispatcher can do about it (actions.js).
// Opened by a "select" from a card, an alert, a search hit or the map.

import { $, el } from "./dom.js";
import * as actions from "./actions.js";
import { clock, duration, load, money, ref, STATUS_LABEL, windowText } from "./format.js";
import { call } from "./net.js";
import { problemBox } from "./problem.js";
import { driverName, on, state, timingOf } from "./store.js";
import { isFlagged, timingBadge } from "./urgency.js";

let current = null; // {id, rest: the trip as GET trips/<id>/ answers, timeline, proofs: seq -> proof}

// the REST detail (fare, contacts, names) with the board's fresher view (timing, dispatch state) on top
export function tripNow() {
  if (!current) return null;
  const live = state.trips.get(current.id);
  const rest = current.rest;
  if (!live) return rest;
  if (!rest) return live;
  const newer = live.version >= rest.version ? live : rest;
  return { ...rest, ...live, status: newer.status, version: newer.version, stops: mergeStops(rest.stops, newer.stops) };
}

function mergeStops(rich, fresh) {
  const bySeq = new Map((rich || []).map((s) => [s.sequence, s]));
  return (fresh || rich || []).map((s) => ({ ...(bySeq.get(s.sequence) || {}), ...s }));
}

function row(label, value) {
  if (value === null || value === undefined || value === "") return null;
  const node = el("div", { class: "kv" });
  node.append(el("dt", {}, label));
  const dd = el("dd");
  if (value instanceof Node) dd.append(value); else dd.textContent = String(value);
  node.append(dd);
  return node;
}

function summary(trip) {
  const box = el("dl", { class: "d-summary" });
  const vehicle = trip.vehicle
    ? [trip.vehicle.registration, trip.vehicle.type, [trip.vehicle.make, trip.vehicle.model].filter(Boolean).join(" ")].filter(Boolean).join(" · ")
    : trip.registration;
  const fare = trip.fare
    ? money(trip.fare.final_total_minor ?? trip.fare.quoted_total_minor, trip.fare.currency) +
      (trip.fare.final_total_minor != null ? (trip.fare.final_kind === "cancellation" ? " (cancellation fee)" : " (final)") : " (quoted)")
    : null;
  let tracking = null;
  if (trip.tracking_url) {
    tracking = el("a", { href: trip.tracking_url, target: "_blank", rel: "noopener", class: "tracking" }, "Open tracking page");
  }
  const timing = timingOf(trip);
  const rows = [
    row("Customer", trip.customer_name || (trip.customer_id ? ref(trip.customer_id) : "")),
    row("Requested for", trip.requested_for ? clock(trip.requested_for) : "as soon as possible"),
    row("Booked", clock(trip.created_at)),
    row("Service", trip.service),
    row("Vehicle type", trip.vehicle_type),
    row("Load", load(trip) || "nothing declared"),
    row("Driver", trip.driver_id ? trip.driver_name || driverName(trip.driver_id) : "not assigned"),
    row("Vehicle", vehicle),
    row("ETA next stop", timing && timing.eta ? clock(timing.eta) : ""),
    row("Against window", timing && timing.late_by_s != null
      ? (timing.late_by_s > 0 ? `${duration(timing.late_by_s)} late` : `${duration(timing.late_by_s)} to spare`) : ""),
    row("Fare", fare),
    row("Tracking", tracking),
  ];
  box.append(...rows.filter(Boolean));
  return box;
}

function stopItem(trip, stop) {
  const node = el("li", { class: "stop-item", "data-sequence": stop.sequence, "data-stop-status": stop.status });
  const head = el("div", { class: "line head" });
  head.append(el("span", { class: "kind" }, `${stop.sequence}. ${stop.kind === "pickup" ? "Pickup" : "Drop-off"}`));
  head.append(el("span", { class: "stop-status", "data-stop-status": stop.status }, stop.status));
  node.append(head);
  node.append(el("div", { class: "address" }, stop.address));
  const facts = [];
  if (stop.window_start || stop.window_end) facts.push(`window ${windowText(stop.window_start, stop.window_end)}`);
  const timing = timingOf(trip);
  if (timing && timing.next_stop === stop.sequence && timing.eta) facts.push(`ETA ${clock(timing.eta)}`);
  if (stop.service_minutes) facts.push(`${stop.service_minutes} min on site`);
  if (facts.length) node.append(el("div", { class: "muted" }, facts.join(" · ")));
  if (stop.contact_name || stop.contact_phone) {
    const contact = el("div", { class: "contact" }, `Contact: ${stop.contact_name || ""} `);
    if (stop.contact_phone) contact.append(el("a", { href: `tel:${stop.contact_phone}` }, stop.contact_phone));
    node.append(contact);
  }
  if (stop.notes) node.append(el("div", { class: "muted" }, `Notes: ${stop.notes}`));
  const proof = current.proofs.get(stop.sequence);
  if (proof) node.append(proofBox(trip, stop, proof));
  const fail = actions.stopFailButton(trip, stop);
  if (fail) node.append(fail);
  return node;
}

function proofBox(trip, stop, proof) {
  const box = el("div", { class: "proof" });
  const who = [proof.recipient_name && `received by ${proof.recipient_name}`, proof.pin_verified && "PIN checked",
    proof.captured_at && clock(proof.captured_at)].filter(Boolean).join(" · ");
  box.append(el("div", { class: "muted" }, `Proof of delivery${who ? ": " + who : ""}`));
  for (const which of ["signature", "photo"]) {
    if (!proof[`has_${which}`]) continue;
    const url = `/api/v1/trips/trips/${trip.id}/stops/${stop.sequence}/proof/${which}/`;
    const link = el("a", { href: url, target: "_blank", rel: "noopener", class: "thumb" });
    link.append(el("img", { src: url, alt: `${which} at ${stop.address}`, loading: "lazy" }));
    box.append(link);
  }
  return box;
}

function timelineList() {
  const list = el("ol", { class: "timeline" });
  for (const entry of current.timeline || []) {
    const item = el("li", { "data-action": entry.action });
    item.append(el("time", { datetime: entry.at }, clock(entry.at)));
    const text = `${entry.action.replaceAll("_", " ")} by ${entry.actor_role}` +
      (entry.from_status !== entry.to_status ? ` (${entry.from_status ? entry.from_status + " " : ""}→ ${entry.to_status})` : "");
    item.append(el("span", {}, text));
    if (entry.reason) item.append(el("span", { class: "reason" }, `“${entry.reason}”`));
    list.append(item);
  }
  if (!current.timeline) list.append(el("li", { class: "muted" }, "loading…"));
  else if (!current.timeline.length) list.append(el("li", { class: "muted" }, "nothing yet"));
  return list;
}

// the panel's parts are redrawn from the data; the actions part keeps an open form (and what was typed in it)
export function render() {
  const box = $("#detail");
  const trip = tripNow();
  if (!current) return;
  if (!trip) {
    box.replaceChildren(el("p", { class: "muted" }, current.error ? "" : "Loading trip…"));
    if (current.error) box.append(problemBox(current.error));
    return;
  }
  let frame = box.querySelector(`.trip-detail[data-trip-id="${trip.id}"]`);
  if (!frame) {
    frame = el("article", { class: "trip-detail", "data-trip-id": trip.id, tabindex: "-1" });
    for (const part of ["d-head", "d-actions", "d-body"]) frame.append(el("div", { class: part }));
    box.replaceChildren(frame);
  }
  frame.dataset.status = trip.status;
  const head = frame.querySelector(".d-head");
  const title = el("h2", {}, trip.customer_name || `Trip ${ref(trip.id)}`);
  const tags = el("div", { class: "line" });
  tags.append(el("span", { class: "status-tag", "data-status": trip.status }, STATUS_LABEL[trip.status] || trip.status));
  const badge = timingBadge(trip);
  if (badge) tags.append(badge);
  tags.append(el("span", { class: "ref" }, ref(trip.id)));
  head.replaceChildren(title, tags);
  if (isFlagged(trip)) head.append(el("p", { class: "flag" }, `⚑ Needs a dispatcher: ${trip.dispatch.flag_reason}`));
  actions.renderInto(frame.querySelector(".d-actions"), trip);
  const body = frame.querySelector(".d-body");
  const stops = el("ol", { class: "stops" });
  for (const stop of trip.stops || []) stops.append(stopItem(trip, stop));
  body.replaceChildren(summary(trip), el("h3", {}, "Stops"), stops, el("h3", {}, "Timeline"), timelineList());
}

async function fetchAll(id) {
  try {
    const [rest, timeline] = await Promise.all([
      call("GET", `/trips/trips/${id}/`),
      call("GET", `/trips/trips/${id}/timeline/?page_size=100`),
    ]);
    if (!current || current.id !== id) return;
    current.rest = rest;
    current.timeline = timeline.results || timeline;
    current.error = null;
    const done = (rest.stops || []).filter((s) => s.status === "done");
    const proofs = await Promise.all(done.map((s) =>
      call("GET", `/trips/trips/${id}/stops/${s.sequence}/proof/`).then((p) => [s.sequence, p]).catch(() => null)));
    if (!current || current.id !== id) return;
    current.proofs = new Map(proofs.filter(Boolean));
  } catch (error) {
    if (current && current.id === id) current.error = error;
  }
  render();
}

export function open(tripId) {
  if (!current || current.id !== tripId) {
    current = { id: tripId, rest: null, timeline: null, proofs: new Map(), error: null };
    actions.reset();
  }
  render();
  fetchAll(tripId);
}

// a change to the open trip: its timeline and detail grew, fetch them again (a burst of changes, once)
let refetch = null;
function changed(tripId) {
  if (!current || current.id !== tripId) return;
  render();
  clearTimeout(refetch);
  refetch = setTimeout(() => fetchAll(tripId), 250);
}

export function start() {
  actions.start({ rerender: render, current: tripNow });
  on("select", ({ tripId }) => { if (tripId) open(tripId); });
  on("trip", (trip) => changed(trip.id));
  on("board", (message) => { if (current && message.timings && current.id in message.timings) render(); });
}

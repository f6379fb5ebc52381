// The board: a column per open status, a card per trip sorted by urgency, each card a button that opens the trip's
// detail and can be dragged onto a driver. Changes are batched per animation frame: a busy feed does not
// redraw the board per message.

import { $, $$, el } from "./dom.js";
import { shown } from "./filters.js";
import { clock, load, ref, since, windowText } from "./format.js";
import { driverName, ENDED, on, select, state, timingOf } from "./store.js";
import { isFlagged, timingBadge, urgency } from "./urgency.js";

const COLUMNS = ["requested", "assigned", "en_route", "at_pickup", "in_progress"];
const cards = new Map(); // trip id -> its card node

function nextStop(trip) {
  const timing = timingOf(trip);
  if (timing && timing.next_stop != null) return trip.stops.find((s) => s.sequence === timing.next_stop) || null;
  return trip.stops.find((s) => s.status !== "done" && s.status !== "failed") || null;
}

// what of a timing shows on a card (not as_of, which changes every message): a card is redrawn when this does
// (the ETA to the minute shown: recomputed every few seconds, it changes by seconds far more often than that)
const minute = (iso) => (iso ? Math.round(Date.parse(iso) / 60000) : "");
const timingKey = (t) => (t ? `${t.state}|${Math.round((t.late_by_s || 0) / 60)}|${minute(t.eta)}|${t.next_stop}` : "");

function line(cls, ...parts) {
  const text = parts.filter(Boolean).join(" · ");
  return text ? el("span", { class: `line ${cls}` }, text) : null;
}

function card(trip) {
  const node = el("article", { class: "trip", "data-trip-id": trip.id, "data-status": trip.status, draggable: "true" });
  const timing = timingOf(trip);
  if (timing) node.dataset.timing = timing.state;
  node.dataset.timingKey = timingKey(timing);
  if (isFlagged(trip)) node.classList.add("flagged");
  if (state.selected === trip.id) node.classList.add("selected");
  const open = el("button", { type: "button", class: "open", "aria-label": `Open trip ${ref(trip.id)}` });
  const head = el("span", { class: "line head" });
  const badge = timingBadge(trip);
  if (badge) head.append(badge);
  // the customer's name; the trip reference is secondary (the title only while no name is known)
  head.append(el("span", { class: "who" }, trip.customer_name || `Trip ${ref(trip.id)}`));
  if (trip.customer_name) head.append(el("span", { class: "ref" }, ref(trip.id)));
  open.append(head);
  const pickup = trip.stops[0], last = trip.stops[trip.stops.length - 1];
  open.append(el("span", { class: "line route" }, `${pickup ? pickup.address : "?"} → ${last ? last.address : "?"}`));
  const next = nextStop(trip);
  // the window that matters: the next stop's, else the first one ahead that has one
  const ahead = trip.stops.filter((s) => s.status !== "done" && s.status !== "failed");
  const windowed = next && (next.window_start || next.window_end) ? next : ahead.find((s) => s.window_start || s.window_end);
  const when = [];
  if (trip.requested_for) when.push(`for ${clock(trip.requested_for)}`);
  const kind = (stop) => (stop.kind === "pickup" ? "pickup" : "drop-off");
  // the ETA first (where the driver is headed next), then the window that matters, named by its stop
  if (timing && timing.eta) when.push(`ETA ${clock(timing.eta)}${next ? ` at ${kind(next)}` : ""}`);
  if (windowed) when.push(`${windowed === next ? "window" : `${kind(windowed)} window`} ${windowText(windowed.window_start, windowed.window_end)}`);
  const times = line("times", ...when);
  if (times) open.append(times);
  const facts = el("span", { class: "line note" });
  if (trip.status === "requested") {
    const age = el("span", { class: "age" }, `waiting ${since(trip.created_at)}`);
    age.dataset.since = trip.created_at;
    facts.append(age, " · ");
  }
  facts.append([load(trip), trip.vehicle_type].filter(Boolean).join(" · "));
  open.append(facts);
  const crew = line("crew", trip.driver_id && (trip.driver_name || driverName(trip.driver_id)), trip.registration);
  if (crew) open.append(crew);
  if (isFlagged(trip)) open.append(el("span", { class: "line flag" }, `⚑ Needs a dispatcher: ${trip.dispatch.flag_reason}`));
  else if (trip.dispatch && trip.dispatch.status === "offered") open.append(el("span", { class: "line offered" }, "offered, waiting for the driver"));
  open.addEventListener("click", () => select(trip.id));
  node.append(open);
  node.addEventListener("dragstart", (e) => {
    e.dataTransfer.setData("application/x-logitrack-trip", trip.id);
    e.dataTransfer.setData("text/plain", trip.id);
    e.dataTransfer.effectAllowed = "move";
    node.classList.add("dragging");
  });
  node.addEventListener("dragend", () => node.classList.remove("dragging"));
  return node;
}

// ---- batching: what changed is marked, drawn once per frame -------------------------------------------------
const dirty = new Set();
let everything = false, pending = false;
function schedule(tripId) {
  if (tripId === undefined) everything = true; else dirty.add(tripId);
  if (pending) return;
  pending = true;
  requestAnimationFrame(flush);
}

function flush() {
  pending = false;
  const ids = everything ? new Set([...cards.keys(), ...state.trips.keys()]) : new Set(dirty);
  everything = false;
  dirty.clear();
  const touched = new Set();
  // a card redrawn or moved loses keyboard focus: give it back to the same trip's new card
  const focused = document.activeElement && document.activeElement.closest && document.activeElement.closest(".trip");
  const focusedId = focused && focused.dataset.tripId;
  for (const id of ids) {
    const trip = state.trips.get(id);
    const old = cards.get(id);
    if (old) { touched.add(old.parentElement); old.remove(); cards.delete(id); }
    if (!trip || ENDED.includes(trip.status) || !COLUMNS.includes(trip.status) || !shown(trip)) continue;
    const node = card(trip);
    cards.set(id, node);
    const list = $(`[data-column="${trip.status}"] .cards`);
    list.append(node);
    touched.add(list);
  }
  for (const list of touched) if (list) sortColumn(list);
  counts();
  const again = focusedId && cards.get(focusedId);
  if (again && !again.contains(document.activeElement)) again.querySelector(".open").focus({ preventScroll: true });
}

function sortColumn(list) {
  const nodes = [...list.children];
  const score = (n) => { const t = state.trips.get(n.dataset.tripId); return t ? urgency(t) : 0; };
  const sorted = nodes.map((n) => [score(n), n]).sort((a, b) => b[0] - a[0]).map(([, n]) => n);
  if (sorted.some((n, i) => n !== nodes[i])) list.append(...sorted); // moves only when the order changed
}

function counts() {
  let total = 0;
  for (const column of $$(".column")) {
    const n = column.querySelectorAll(".trip").length;
    total += n;
    column.querySelector(".count").textContent = String(n);
    column.dataset.empty = n ? "false" : "true";
  }
  $("#shown").textContent = total === state.trips.size ? `${total} open` : `${total} of ${state.trips.size} shown`;
}

// the "waiting" ages tick without redrawing cards
function tick() {
  for (const node of $$(".trip .age[data-since]")) node.textContent = `waiting ${since(node.dataset.since)}`;
}

function highlight({ tripId }) {
  for (const node of $$(".trip.selected")) node.classList.remove("selected");
  const node = tripId && cards.get(tripId);
  if (node) node.classList.add("selected");
}

export function start() {
  for (const fold of $$(".column .fold")) {
    fold.addEventListener("click", () => {
      const open = fold.getAttribute("aria-expanded") !== "true";
      fold.setAttribute("aria-expanded", String(open));
      fold.closest(".column").classList.toggle("folded", !open);
    });
  }
  on("snapshot", () => schedule());
  on("filter", () => schedule());
  on("trip", (trip) => schedule(trip.id));
  on("board", (message) => {
    for (const [id, timing] of Object.entries(message.timings || {})) {
      const node = cards.get(id);
      if (!node || node.dataset.timingKey !== timingKey(timing)) schedule(id);
    }
  });
  on("select", highlight);
  setInterval(tick, 15_000);
}

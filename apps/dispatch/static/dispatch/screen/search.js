// The search box: narrows the board to the open trips it matches (id, address, customer, driver) and lists hits
// below it, with ended trips from the server (GET trips/trips/?search=) under them. Picking a hit opens its trip.

import { $, el } from "./dom.js";
import { filter, matchesText } from "./filters.js";
import { clock, ref, STATUS_LABEL } from "./format.js";
import { call } from "./net.js";
import { emit, select, state } from "./store.js";

let timer = null, asked = 0;

function hit(trip, ended) {
  const item = el("li", { role: "option" });
  const button = el("button", { type: "button", class: "hit", "data-trip-id": trip.id });
  const first = trip.stops && trip.stops[0], last = trip.stops && trip.stops[trip.stops.length - 1];
  button.append(el("strong", {}, trip.customer_name || ref(trip.id)));
  button.append(el("span", { class: "muted" }, ` ${STATUS_LABEL[trip.status] || trip.status}${ended ? " · " + clock(trip.created_at) : ""} · ${ref(trip.id)}`));
  button.append(el("span", { class: "line" }, `${first ? first.address : ""} → ${last ? last.address : ""}`));
  button.addEventListener("click", () => { close(); select(trip.id); });
  item.append(button);
  return item;
}

function close() { $("#search-results").hidden = true; }

function show(local, remote) {
  const box = $("#search-results");
  const parts = [];
  const list = el("ul", { role: "listbox", "aria-label": "Open trips" });
  for (const trip of local.slice(0, 8)) list.append(hit(trip, false));
  parts.push(el("div", { class: "group" }, `Open trips (${local.length})`), list);
  if (!local.length) list.append(el("li", { class: "muted" }, "no open trip matches"));
  if (remote === null) parts.push(el("div", { class: "group muted" }, "Searching earlier trips…"));
  else if (remote.length) {
    const more = el("ul", { role: "listbox", "aria-label": "Earlier trips" });
    for (const trip of remote.slice(0, 8)) more.append(hit(trip, true));
    parts.push(el("div", { class: "group" }, "Earlier trips"), more);
  }
  box.replaceChildren(...parts);
  box.hidden = false;
}

async function searchServer(text, local) {
  const mine = ++asked;
  let remote = [];
  try {
    const page = await call("GET", `/trips/trips/?search=${encodeURIComponent(text)}&page_size=20`);
    const openIds = new Set(local.map((t) => t.id));
    // the server's matching decides (it also knows customers' emails); open trips are listed above already
    remote = (page.results || page).filter((t) => !openIds.has(t.id) && !state.trips.has(t.id));
  } catch { remote = []; }
  if (mine === asked && filter.text === text) show(local, remote);
}

function changed(text) {
  filter.text = text.trim();
  emit("filter");
  clearTimeout(timer);
  if (!filter.text) { close(); return; }
  const local = [...state.trips.values()].filter((t) => matchesText(t, filter.text));
  show(local, filter.text.length >= 2 ? null : []);
  if (filter.text.length >= 2) timer = setTimeout(() => searchServer(filter.text, local), 300);
}

export function start() {
  const input = $("#search");
  input.addEventListener("input", () => changed(input.value));
  input.addEventListener("keydown", (e) => {
    if (e.key === "Escape") { input.value = ""; changed(""); }
    if (e.key === "Enter") { const first = $("#search-results .hit"); if (first) first.click(); }
    if (e.key === "ArrowDown") { const first = $("#search-results .hit"); if (first) { e.preventDefault(); first.focus(); } }
  });
  input.addEventListener("focus", () => { if (filter.text) changed(input.value); });
  document.addEventListener("click", (e) => { if (!e.target.closest(".search")) close(); });
}

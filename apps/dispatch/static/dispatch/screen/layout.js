// Which part of the screen shows: the right-hand column's tabs (alerts, drivers, trip, plan, new trip) and, on a
// phone, the view tabs (map, board, or the right-hand column). Selecting a trip anywhere opens its detail.

import { $$ } from "./dom.js";
import { emit, on } from "./store.js";

export function showSide(name) {
  for (const tab of $$(".side .tabs [data-side]")) tab.setAttribute("aria-selected", String(tab.dataset.side === name));
  for (const panel of $$(".side .panel")) panel.hidden = panel.dataset.panel !== name;
  emit("side", name);
}

export function showView(view, side) {
  document.querySelector("main.screen").dataset.view = view;
  for (const b of $$(".views [data-view]")) {
    const here = b.dataset.view === view && (!side || !b.dataset.side || b.dataset.side === side);
    if (here) b.setAttribute("aria-current", "true"); else b.removeAttribute("aria-current");
  }
  if (side) showSide(side);
}

export function start() {
  for (const tab of $$(".side .tabs [data-side]")) {
    tab.addEventListener("click", () => showView("side", tab.dataset.side));
  }
  for (const button of $$(".views [data-view]")) {
    button.addEventListener("click", () => showView(button.dataset.view, button.dataset.side));
  }
  for (const button of $$(".bar [data-side]")) button.addEventListener("click", () => showView("side", button.dataset.side));
  on("select", ({ tripId, driverId }) => {
    if (tripId) showView("side", "detail");
    else if (driverId) showView("side", "drivers");
  });
}

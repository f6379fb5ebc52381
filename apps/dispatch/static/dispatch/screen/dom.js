// Small DOM and formatting helpers every part of the screen shares.

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

export function el(tag, attrs = {}, text = "") {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text) node.textContent = text;
  return node;
}

export const short = (id) => String(id).slice(0, 8);

export function toast(message, bad = false) {
  const p = el("p", bad ? { class: "bad" } : {}, message);
  $("#toast").append(p);
  setTimeout(() => p.remove(), 6000);
}

// one colour per planned vehicle route, on the map and in the plan's list alike
export const ROUTE_COLOURS = ["#1f6feb", "#8250df", "#bf3989", "#d97706", "#0f766e", "#6e7781", "#b91c1c", "#15803d"];

export const time = (iso, zone) =>
  new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", timeZone: zone });

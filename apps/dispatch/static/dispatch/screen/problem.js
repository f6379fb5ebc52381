// An API problem (problem+json) written out for a dispatcher: what went wrong, and each field's or reason's words.

import { el } from "./dom.js";

export function problemBox(error) {
  const box = el("div", { class: "problem", role: "alert" });
  const p = (error && error.problem) || {};
  box.append(el("strong", {}, p.title || "Something went wrong"));
  const detail = p.detail || (error && error.message);
  if (detail && detail !== p.title) box.append(el("p", {}, detail));
  const lines = [];
  for (const [field, messages] of Object.entries(p.errors || {})) {
    lines.push(`${field === "non_field_errors" ? "" : `${field}: `}${[].concat(messages).join(" ")}`);
  }
  for (const reason of p.reasons || []) lines.push(typeof reason === "string" ? reason : JSON.stringify(reason));
  if (lines.length) {
    const list = el("ul");
    for (const line of lines) list.append(el("li", {}, line));
    box.append(list);
  }
  if (p.code) box.append(el("small", { class: "muted" }, p.code));
  return box;
}

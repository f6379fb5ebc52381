// What a dispatcher does from the detail panel, each in its own in-panel form: assign (the matcher's ranked
// drivers, one click), reassign (the current shift picked until another is, and a reason), unassign, cancel and
// mark a stop failed (each with a reason). Problems from the API show in the form they came from.

import { el, toast } from "./dom.js";
import { assign, candidates, isReassign } from "./assign.js";
import { km, ref, duration } from "./format.js";
import { call } from "./net.js";
import { problemBox } from "./problem.js";
import { on } from "./store.js";

const ASSIGNABLE = ["requested", "assigned"];
const UNASSIGNABLE = ["assigned", "en_route", "at_pickup"];
const CANCELLABLE = ["requested", "assigned", "en_route", "at_pickup"];
// when a stop can be handled (trips' STOP_OPEN_WHILE): a pickup once at it, a drop-off once the goods are on board
const STOP_FAILABLE = { pickup: ["at_pickup", "in_progress"], dropoff: ["in_progress"] };

let form = null; // {kind: "assign"|"unassign"|"cancel"|"fail", sequence?, shiftId?, list?, error?, busy?}
let host = { rerender: () => {}, current: () => null };

export function reset() { form = null; }

const ifMatch = (trip) => ({ "If-Match": `W/"${trip.version}"` });

// A form acts on the trip as it was when the dispatcher opened it (its version goes in If-Match): a trip that
// changes meanwhile is refused by the server instead of, say, cancelled after the driver set off.
function openForm(kind, extra = {}) {
  form = { kind, version: (host.current() || {}).version, ...extra };
  host.rerender();
  if (kind === "assign") loadCandidates();
}

async function loadCandidates() {
  const trip = host.current();
  const mine = form;
  try {
    mine.list = await candidates(trip);
  } catch (error) {
    mine.error = error;
  }
  if (form === mine) host.rerender();
}

async function submit(run, done) {
  const trip = host.current();
  const mine = form;
  mine.busy = true;
  mine.error = null;
  host.rerender();
  try {
    await run({ ...trip, version: mine.version ?? trip.version });
    toast(done(trip));
    if (form === mine) form = null;
  } catch (error) {
    mine.error = error;
  }
  mine.busy = false;
  host.rerender();
}

function toolbar(trip) {
  const bar = el("div", { class: "action-bar" });
  const button = (kind, label, extra) => {
    const b = el("button", { type: "button", "data-action": kind }, label);
    if (form && form.kind === kind && (!extra || extra.sequence === form.sequence)) b.setAttribute("aria-pressed", "true");
    b.addEventListener("click", () => openForm(kind, extra));
    bar.append(b);
  };
  if (ASSIGNABLE.includes(trip.status)) button("assign", isReassign(trip) ? "Reassign" : "Assign");
  if (UNASSIGNABLE.includes(trip.status) && trip.driver_id) button("unassign", "Unassign");
  if (CANCELLABLE.includes(trip.status)) button("cancel", "Cancel trip");
  return bar.childElementCount ? bar : el("p", { class: "muted" }, "This trip has ended: nothing to do here.");
}

function reasonForm({ label, submitLabel, danger, run, done }) {
  const node = el("form", { class: "action-form", "data-form": form.kind });
  const field = el("label", {}, label);
  const input = el("input", { name: "reason", required: "", maxlength: "300", autocomplete: "off" });
  if (form.reason) input.value = form.reason; // kept when the form is redrawn (the trip changed meanwhile)
  input.addEventListener("input", () => { form.reason = input.value; });
  field.append(input);
  node.append(field);
  const go = el("button", { type: "submit", class: danger ? "danger" : "primary" }, submitLabel);
  if (form.busy) go.disabled = true;
  const back = el("button", { type: "button" }, "Back");
  back.addEventListener("click", () => { form = null; host.rerender(); });
  node.append(el("div", { class: "line buttons" }, ""), form.error ? problemBox(form.error) : "");
  node.querySelector(".buttons").append(go, back);
  node.addEventListener("submit", (e) => {
    e.preventDefault();
    const reason = input.value.trim();
    if (!reason) { input.focus(); return; }
    submit((trip) => run(trip, reason), done);
  });
  requestAnimationFrame(() => input.focus());
  return node;
}

function candidateRow(trip, c, reassigning) {
  const node = el("li", { class: "candidate", "data-shift-id": c.shift_id, "data-eligible": String(c.eligible) });
  if (c.current) node.classList.add("current");
  const head = el("div", { class: "line head" });
  head.append(el("span", { class: "rank" }, c.eligible ? `${c.rank}.` : "–"), " ");
  head.append(el("strong", {}, c.driver_name || ref(c.driver_id)));
  if (c.current) head.append(el("span", { class: "badge" }, "current"));
  node.append(head);
  const facts = [c.registration, c.vehicle_type, c.distance_m != null && `${km(c.distance_m)} away`,
    c.travel_s != null && `${duration(c.travel_s)} to pickup`,
    c.spare_weight_kg != null && `${c.spare_weight_kg} kg spare`, c.spare_seats != null && c.spare_seats > 0 && `${c.spare_seats} seats spare`];
  node.append(el("div", { class: "muted" }, facts.filter(Boolean).join(" · ")));
  // eligible: the matcher suggests it; assignable: the rules allow it, only the matcher's preferences (already
  // offered it, lower down its list) keep it off the suggestions, so a dispatcher may still pick it by hand
  const byHand = !c.eligible && c.assignable;
  if (!c.eligible && c.reasons && c.reasons.length) {
    node.append(el("div", { class: "reasons" }, `${byHand ? "Not suggested" : "Not eligible"}: ${c.reasons.join("; ")}`));
  }
  if (!c.eligible && !byHand) return node;
  if (reassigning) {
    const pick = el("input", { type: "radio", name: "shift", value: c.shift_id, "aria-label": `Pick ${c.driver_name}` });
    if (form.shiftId === c.shift_id) pick.checked = true;
    pick.addEventListener("change", () => { form.shiftId = c.shift_id; });
    node.prepend(pick);
  } else {
    const go = el("button", { type: "button", class: byHand ? "assign-to" : "primary assign-to" },
      `${byHand ? "Assign anyway to" : "Assign to"} ${c.driver_name || "this driver"}`);
    if (form.busy) go.disabled = true;
    go.addEventListener("click", () => submit((t) => assign(t, c.shift_id), (t) => `${ref(t.id)} assigned to ${c.driver_name}`));
    node.append(go);
  }
  return node;
}

function assignForm(trip) {
  const reassigning = isReassign(trip);
  const node = el("form", { class: "action-form", "data-form": "assign" });
  node.append(el("h3", {}, reassigning ? "Reassign to" : "Suggested drivers"));
  if (form.error) node.append(problemBox(form.error));
  if (!form.list) { node.append(el("p", { class: "muted" }, "Asking the matcher…")); return node; }
  if (reassigning && !form.shiftId) form.shiftId = trip.shift_id; // reassign starts from the current shift
  const list = el("ol", { class: "candidates" });
  for (const c of form.list) list.append(candidateRow(trip, c, reassigning));
  if (!form.list.length) list.append(el("li", { class: "muted" }, `No ${trip.vehicle_type} on shift.`));
  node.append(list);
  const back = el("button", { type: "button" }, "Back");
  back.addEventListener("click", () => { form = null; host.rerender(); });
  if (!reassigning) { node.append(back); return node; }
  const field = el("label", {}, "Why is it reassigned?");
  const input = el("input", { name: "reason", required: "", maxlength: "300", autocomplete: "off" });
  if (form.reason) input.value = form.reason;
  input.addEventListener("input", () => { form.reason = input.value; });
  field.append(input);
  const go = el("button", { type: "submit", class: "primary" }, "Reassign");
  if (form.busy) go.disabled = true;
  node.append(field, el("div", { class: "line buttons" }));
  node.querySelector(".buttons").append(go, back);
  node.addEventListener("submit", (e) => {
    e.preventDefault();
    const reason = input.value.trim();
    if (!reason) { input.focus(); return; }
    if (form.shiftId === trip.shift_id) { form.error = { message: "Pick another driver: this one has the trip already." }; host.rerender(); return; }
    const shiftId = form.shiftId;
    submit((t) => assign(t, shiftId, reason), (t) => `${ref(t.id)} reassigned`);
  });
  return node;
}

function activeForm(trip) {
  if (!form) return null;
  switch (form.kind) {
    case "assign": return ASSIGNABLE.includes(trip.status) ? assignForm(trip) : null;
    case "unassign": return reasonForm({
      label: "Why is it taken from the driver?", submitLabel: "Unassign",
      run: (t, reason) => call("POST", `/trips/trips/${t.id}/unassign/`, { reason }, ifMatch(t)),
      done: (t) => `${ref(t.id)} unassigned`,
    });
    case "cancel": return reasonForm({
      label: "Why is it cancelled?", submitLabel: "Cancel the trip", danger: true,
      run: (t, reason) => call("POST", `/trips/trips/${t.id}/transitions/`, { action: "cancel", reason }, ifMatch(t)),
      done: (t) => `${ref(t.id)} cancelled`,
    });
    case "fail": return reasonForm({
      label: `Why did stop ${form.sequence} fail?`, submitLabel: "Mark the stop failed", danger: true,
      run: (t, reason) => call("POST", `/trips/trips/${t.id}/stops/${form.sequence}/fail/`, { reason }, ifMatch(t)),
      done: (t) => `Stop ${form ? form.sequence : ""} of ${ref(t.id)} marked failed`,
    });
    default: return null;
  }
}

export function renderInto(box, trip) {
  if (form && !form.busy && form.version != null && form.version !== trip.version) {
    // the feed brought a change: say so, and let a second submit act on what is shown now
    form.version = trip.version;
    form.error = { problem: { title: "This trip changed while the form was open",
      detail: `It is ${trip.status.replace(/_/g, " ")} now: check it, then submit again.` } };
  }
  // keep an open form's node (focus, typed text) unless what it shows changed
  const key = JSON.stringify([trip.status, trip.version, form && { ...form, list: form.list && form.list.length, reason: undefined, shiftId: undefined }]);
  if (box.dataset.key === key) return;
  box.dataset.key = key;
  const parts = [toolbar(trip)];
  const shown = activeForm(trip);
  if (shown) parts.push(shown);
  box.replaceChildren(...parts);
}

export function stopFailButton(trip, stop) {
  if (!(STOP_FAILABLE[stop.kind] || []).includes(trip.status) || stop.status === "done" || stop.status === "failed") return null;
  const b = el("button", { type: "button", class: "small", "data-action": "fail-stop" }, "Mark stop failed");
  b.addEventListener("click", () => openForm("fail", { sequence: stop.sequence }));
  return b;
}

export function start(hooks) {
  host = hooks;
  // a card dropped on a driver who is not the trip's: the reassign form, with that driver picked
  on("reassign-to", ({ shiftId }) => { openForm("assign", { shiftId }); });
}

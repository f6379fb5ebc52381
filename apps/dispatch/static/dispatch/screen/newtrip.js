// Booking a trip for a customer from the screen: find the customer (GET trips/fleets/<id>/customers/?q=), the
// pickup and drop-off (address and position), windows in the fleet's local time, vehicle type and load; posted
// to the booking endpoint with an Idempotency-Key, kept across retries of the same form so a retry books once.

import { $, el, toast } from "./dom.js";
import { fromFleetLocal, ref } from "./format.js";
import { call } from "./net.js";
import { problemBox } from "./problem.js";
import { fleet, select } from "./store.js";

let key = null;
const newKey = () => (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`);

function field(label, attrs, tag = "input") {
  const wrap = el("label", { class: "field" }, label);
  const input = el(tag, attrs);
  wrap.append(input);
  return wrap;
}

function stopFields(kind, title) {
  const set = el("fieldset", { class: "stop-fields", "data-kind": kind });
  set.append(el("legend", {}, title));
  set.append(field("Address", { name: `${kind}_address`, required: "", maxlength: "300", autocomplete: "off" }));
  const coords = el("div", { class: "pair" });
  coords.append(field("Latitude", { name: `${kind}_lat`, type: "number", step: "any", min: "-90", max: "90", required: "" }));
  coords.append(field("Longitude", { name: `${kind}_lng`, type: "number", step: "any", min: "-180", max: "180", required: "" }));
  set.append(coords);
  const window = el("div", { class: "pair" });
  window.append(field("Window from", { name: `${kind}_from`, type: "datetime-local" }));
  window.append(field("Window to", { name: `${kind}_to`, type: "datetime-local" }));
  set.append(window);
  const contact = el("div", { class: "pair" });
  contact.append(field("Contact", { name: `${kind}_contact`, maxlength: "150", autocomplete: "off" }));
  contact.append(field("Phone", { name: `${kind}_phone`, type: "tel", placeholder: "+49…", autocomplete: "off" }));
  set.append(contact);
  return set;
}

function customerPicker() {
  const wrap = el("div", { class: "customer-pick" });
  const search = field("Customer", { name: "customer_q", type: "search", autocomplete: "off", placeholder: "name or email", required: "" });
  const hidden = el("input", { type: "hidden", name: "customer_id" });
  const results = el("ul", { class: "customer-results", role: "listbox" });
  const input = search.querySelector("input");
  let timer = null;
  input.addEventListener("input", () => {
    hidden.value = "";
    clearTimeout(timer);
    const q = input.value.trim();
    if (q.length < 2) { results.replaceChildren(); return; }
    timer = setTimeout(async () => {
      try {
        const answer = await call("GET", `/trips/fleets/${fleet.id}/customers/?q=${encodeURIComponent(q)}`);
        const found = answer.results || answer;
        results.replaceChildren(...found.slice(0, 8).map((c) => {
          const b = el("button", { type: "button", class: "hit", "data-customer-id": c.id }, `${c.name} · ${c.email}`);
          b.addEventListener("click", () => { hidden.value = c.id; input.value = c.name; results.replaceChildren(); });
          const li = el("li", { role: "option" }); li.append(b); return li;
        }));
        if (!found.length) results.append(el("li", { class: "muted" }, "no customer of this fleet matches"));
      } catch (error) {
        results.replaceChildren(el("li", {}, ""));
        results.firstChild.append(problemBox(error));
      }
    }, 250);
  });
  wrap.append(search, hidden, results);
  return wrap;
}

function stop(data, kind) {
  const out = {
    kind, address: data.get(`${kind}_address`).trim(),
    lat: Number(data.get(`${kind}_lat`)), lng: Number(data.get(`${kind}_lng`)),
    window_start: fromFleetLocal(data.get(`${kind}_from`)), window_end: fromFleetLocal(data.get(`${kind}_to`)),
  };
  if (data.get(`${kind}_contact`)) out.contact_name = data.get(`${kind}_contact`).trim();
  if (data.get(`${kind}_phone`)) out.contact_phone = data.get(`${kind}_phone`).trim();
  return out;
}

function render() {
  const box = $("#newtrip");
  const form = el("form", { class: "newtrip-form", novalidate: "" });
  form.append(el("h2", {}, "New trip"));
  form.append(el("p", { class: "muted" }, `Times are ${fleet.time_zone || "local"} time.`));
  form.append(customerPicker());
  const kind = el("div", { class: "pair" });
  const service = field("Service", { name: "service" }, "select");
  service.querySelector("select").append(el("option", { value: "delivery" }, "delivery"), el("option", { value: "ride" }, "ride"));
  const vehicle = field("Vehicle type", { name: "vehicle_type" }, "select");
  for (const v of ["van", "car", "bike", "truck"]) vehicle.querySelector("select").append(el("option", { value: v }, v));
  kind.append(service, vehicle);
  form.append(kind);
  form.append(stopFields("pickup", "Pickup"), stopFields("dropoff", "Drop-off"));
  const load = el("div", { class: "pair" });
  load.append(field("Weight (kg)", { name: "weight_kg", type: "number", min: "0", max: "60000", value: "0" }));
  load.append(field("Seats", { name: "seats", type: "number", min: "0", max: "60", value: "0" }));
  form.append(load);
  form.append(field("Requested for (empty: now)", { name: "requested_for", type: "datetime-local" }));
  const errors = el("div", { class: "form-problem" });
  const go = el("button", { type: "submit", class: "primary" }, "Book the trip");
  form.append(errors, go);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    errors.replaceChildren();
    const data = new FormData(form);
    if (!data.get("customer_id")) { errors.append(problemBox({ message: "Pick the customer from the list." })); return; }
    if (!form.checkValidity()) { form.reportValidity(); return; }
    const body = {
      fleet_id: fleet.id, customer_id: data.get("customer_id"), service: data.get("service"),
      vehicle_type: data.get("vehicle_type"), stops: [stop(data, "pickup"), stop(data, "dropoff")],
      weight_kg: Number(data.get("weight_kg") || 0), seats: Number(data.get("seats") || 0),
      requested_for: fromFleetLocal(data.get("requested_for")),
    };
    key = key || newKey();
    go.disabled = true;
    try {
      const trip = await call("POST", "/trips/trips/", body, { "Idempotency-Key": key });
      key = null;
      toast(`Trip ${ref(trip.id)} booked`);
      render();
      select(trip.id);
    } catch (error) {
      errors.append(problemBox(error));
    }
    go.disabled = false;
  });
  // a changed form is a new booking: a new key
  form.addEventListener("input", (e) => { if (e.target.name !== "customer_q") key = null; });
  box.replaceChildren(form);
}

export function start() {
  render();
}

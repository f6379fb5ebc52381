// Route planning: start an optimisation, follow its jobs, show the proposed plan per vehicle and accept it.

import { $, el, ROUTE_COLOURS, short, time, toast } from "./dom.js";
import { call } from "./net.js";
import { driverName, fleet, on, state } from "./store.js";

function renderJobs() {
  const box = $("#jobs");
  box.replaceChildren();
  const latest = [...state.jobs.values()].sort((a, b) => (a.created_at < b.created_at ? 1 : -1)).slice(0, 4);
  for (const job of latest) {
    const chip = el("span", { class: "job", "data-status": job.status, "data-job-id": job.id }, `job ${short(job.id)}: ${job.status}`);
    if (job.error) chip.title = job.error;
    box.append(chip);
  }
}

function renderPlan() {
  const body = $("#plan-body");
  body.replaceChildren();
  const plan = state.plan;
  $("#accept").disabled = !plan || plan.status !== "proposed";
  if (!plan) {
    body.append(el("p", { class: "muted" }, "No plan yet. Run an optimisation to plan the open trips over the shifts."));
    return;
  }
  body.dataset.planId = plan.id;
  body.append(el("p", { class: "muted" }, `Plan ${short(plan.id)} · ${plan.status} · ${(plan.distance_m / 1000).toFixed(1)} km`));
  const grid = el("div", { class: "routes" });
  plan.routes.forEach((route, i) => {
    const box = el("div", { class: "vehicle", "data-shift-id": route.shift_id });
    const head = el("strong", {}, `${route.registration} · ${driverName(route.driver_id)}`);
    head.style.color = ROUTE_COLOURS[i % ROUTE_COLOURS.length];
    box.append(head);
    const list = el("ol");
    for (const stop of route.stops) {
      list.append(el("li", {}, `${time(stop.eta, fleet.time_zone)} ${stop.kind} ${short(stop.trip_id)} · ${stop.address}`));
    }
    box.append(list);
    grid.append(box);
  });
  body.append(grid);
  if (plan.unserved.length) {
    const list = el("ul");
    for (const u of plan.unserved) list.append(el("li", {}, `${short(u.trip_id)}: ${u.reason}`));
    body.append(el("p", {}, "Not served:"), list);
  }
}

async function optimise() {
  const seconds = Number($("#seconds").value) || 5;
  const body = { seconds };
  if (state.plan && state.plan.status !== "superseded") body.from_plan_id = state.plan.id;
  try {
    const job = await call("POST", `/dispatch/fleets/${fleet.id}/routing-jobs/`, body);
    state.jobs.set(job.id, job);
    renderJobs();
  } catch (error) {
    toast(`Could not start the optimisation: ${error.message}`, true);
  }
}

async function accept() {
  if (!state.plan) return;
  try {
    const plan = await call("POST", `/dispatch/plans/${state.plan.id}/accept/`);
    const skipped = Object.values(plan.outcome).filter((o) => o.result === "skipped").length;
    toast(skipped ? `Plan accepted; ${skipped} trips changed meanwhile and were left` : "Plan accepted");
    state.plan = plan;
    renderPlan();
  } catch (error) {
    toast(`Could not accept the plan: ${error.message}`, true);
  }
}

export function start() {
  $("#optimise").addEventListener("click", optimise);
  $("#accept").addEventListener("click", accept);
  on("snapshot", () => { renderPlan(); renderJobs(); });
  on("plan", renderPlan);
  on("job", (job) => {
    renderJobs();
    if (job.status === "failed") toast(`Optimisation failed: ${job.error}`, true);
  });
}

"""Routing jobs: an optimisation of a fleet's open trips queued, run (on a routing worker, or a child process of
the embedded default), retried when its worker died, and reaped when nobody runs it."""

from __future__ import annotations

import datetime as dt
import functools
import os
import time
import uuid

import structlog
from django.conf import settings
from django.utils import timezone

from apps.dispatch import feed, integrations, planning, schemas
from apps.dispatch.contracts import JobStatus, PlanNotFound, UnknownFleet
from apps.dispatch.models import RoutePlan, RoutingJob
from apps.dispatch.optimization import portfolio
from apps.dispatch.services import plans
from logitrack import correlation, jobs, metrics, offload, resilience
from logitrack.db import contexts

log = structlog.get_logger(__name__)

# on top of a job's own seconds before its solver child counts as wedged: starting a spawned child (imports) and
# the solver's own overshoot, on a busy machine
SOLVER_CHILD_GRACE_SECONDS = 60
# kept back from a job's seconds for writing its plan and telling the screens (a few queries and messages)
PLAN_WRITE_SECONDS = 0.15


def _job_json(job: RoutingJob) -> dict:
    return feed.jsonable(schemas.JobOutput(job).data)


def routing_job_create(
    *, fleet_id: uuid.UUID, seconds: int, actor_id: uuid.UUID | None, from_plan_id: uuid.UUID | None = None
) -> RoutingJob:
    """Queue an optimisation of the fleet's open trips over its open shifts (optionally from a plan). The job as
    it is once queued: in the embedded default it starts (or runs) as soon as it is committed."""
    job = _job_queue(fleet_id=fleet_id, seconds=seconds, actor_id=actor_id, from_plan_id=from_plan_id)
    job.refresh_from_db()
    return job


@contexts.atomic("dispatch")
def _job_queue(
    *, fleet_id: uuid.UUID, seconds: int, actor_id: uuid.UUID | None, from_plan_id: uuid.UUID | None
) -> RoutingJob:
    if not integrations.fleet_exists(fleet_id=fleet_id):
        raise UnknownFleet(f"no fleet with id {fleet_id}")
    from_plan = None
    if from_plan_id is not None:
        from_plan = RoutePlan.objects.filter(id=from_plan_id, fleet_id=fleet_id).first()
        if from_plan is None:
            raise PlanNotFound("no such plan in this fleet")
    job = RoutingJob.objects.create(fleet_id=fleet_id, seconds=seconds, requested_by_id=actor_id, from_plan=from_plan)
    feed.to_fleet(fleet_id, "job", {"job": _job_json(job)})

    def send() -> None:
        try:  # a hard limit well above the solver's own: only a wedged process ever meets it
            jobs.enqueue("dispatch.optimize_routes", kwargs={"job_id": str(job.id)}, time_limit=seconds + 120)
        except jobs.QueueUnavailable:  # say so now rather than when the queue timeout runs out
            _job_fail(job.id, "the job queue could not be reached; run the optimisation again")

    contexts.on_commit(correlation.carry(send), "dispatch")  # the job joins the asking request's id and trace
    return job


def _job_fail(job_id: uuid.UUID, error: str) -> None:
    with contexts.atomic("dispatch"):
        job = RoutingJob.objects.select_for_update().get(id=job_id)
        if job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED):
            return
        job.status, job.error, job.finished_at = JobStatus.FAILED, error[:2000], timezone.now()
        job.save(update_fields=["status", "error", "finished_at", "updated_at"])
        feed.to_fleet(job.fleet_id, "job", {"job": _job_json(job)})


def routing_job_run(*, job_id: uuid.UUID, worker: str = "", solve_in_child: bool = False) -> RoutingJob | None:
    """Run a queued job (the Celery task's body). A redelivered job whose earlier run died is run again until
    DISPATCH_JOB_MAX_ATTEMPTS, then failed; a finished job is left alone (duplicate delivery). With
    `solve_in_child` the solver runs in a child process (logitrack.offload) and this process writes the plan; a
    child that dies counts as a worker that died."""
    with contexts.atomic("dispatch"):
        job = RoutingJob.objects.select_for_update().filter(id=job_id).first()
        if job is None or job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED):
            return job
        if job.attempts >= settings.DISPATCH_JOB_MAX_ATTEMPTS:
            died = True
        else:
            died = False
            job.status, job.attempts, job.started_at = JobStatus.RUNNING, job.attempts + 1, timezone.now()
            job.worker, job.worker_pid = worker[:200], os.getpid()
            job.save(update_fields=["status", "attempts", "started_at", "worker", "worker_pid", "updated_at"])
            feed.to_fleet(job.fleet_id, "job", {"job": _job_json(job)})
    if died:
        _job_fail(job_id, f"the worker running it stopped {job.attempts} times")
        metrics.ROUTING_JOBS.labels(JobStatus.FAILED.value).inc()  # no run: no duration
        return RoutingJob.objects.get(id=job_id)
    started = time.monotonic()
    try:
        _optimise(job, solve_in_child=solve_in_child)
    except offload.ChildDied:
        if job.attempts >= settings.DISPATCH_JOB_MAX_ATTEMPTS:
            _job_fail(job_id, f"the solver process stopped {job.attempts} times")
        elif RoutingJob.objects.filter(id=job_id, status=JobStatus.RUNNING, attempts=job.attempts).update(
            status=JobStatus.QUEUED, updated_at=timezone.now()
        ):  # as the reaper does for a worker that died, at once
            jobs.enqueue("dispatch.optimize_routes", kwargs={"job_id": str(job_id)}, time_limit=job.seconds + 120)
    except Exception as exc:
        if resilience.is_unavailable(exc):
            # Redis, the broker or PostgreSQL went away mid-run: not the job's fault. It stays running, so the
            # broker's redelivery (the task acks late) or the reaper runs it again once the service is back.
            log.warning("dispatch.routing_job_interrupted", job_id=str(job_id), error=f"{type(exc).__name__}: {exc}")
            metrics.observe_routing_job(outcome="interrupted", seconds=time.monotonic() - started)
            return job
        _job_fail(job_id, f"{type(exc).__name__}: {exc}")  # whatever else went wrong, it fails and says why
    job = RoutingJob.objects.get(id=job_id)
    # succeeded or failed; still running or queued again after its solver process died: "retried"
    ended = job.status if job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED) else "retried"
    metrics.observe_routing_job(outcome=str(ended), seconds=time.monotonic() - started)
    return job


def _optimise(job: RoutingJob, *, solve_in_child: bool = False) -> None:
    # the job's seconds are its whole budget: building the model (and starting a solver child) comes out of the
    # search, and writing the plan is kept back
    until = time.time() + job.seconds - PLAN_WRITE_SECONDS
    origin = timezone.now()
    built = planning.build(fleet_id=job.fleet_id, origin=origin)
    stats: dict[str, object]
    routes, dropped, stats = (
        [],
        [],
        {"trips": len(built.chain_trips) + len(built.unserved), "vehicles": len(built.shifts)},
    )
    if built.model is not None:
        initial = planning.routes_from_json(built, job.from_plan.routes) if job.from_plan else None
        # the child gets the plain model and returns a plain plan; one that outlives its limit is killed and retried
        solve = (
            functools.partial(offload.run, timeout=job.seconds + SOLVER_CHILD_GRACE_SECONDS)
            if solve_in_child
            else _call
        )
        solved = solve(
            portfolio.solve,
            built.model,
            seconds=job.seconds,
            workers=settings.DISPATCH_SOLVER_WORKERS,
            initial=initial or None,
            portfolio=settings.DISPATCH_SOLVER_PORTFOLIO,
            until=until,
        )
        if solved is None:
            raise RuntimeError("the solver found no plan within its time limit")
        routes, dropped = planning.routes_json(built, list(solved.routes)), planning.dropped_json(built, solved.dropped)
        stats |= {
            "solver": solved.solver,
            "strategy": solved.strategy,
            "solver_seconds": round(solved.seconds, 2),
            # each solver the portfolio ran and what its checked plan came to (null: none); else why OR-Tools alone
            "candidates": {
                name: None if distance is None else {"distance_m": distance, "left_out": left_out}
                for name, distance, left_out in solved.candidates
            },
            "solver_note": solved.note,
        }
    with contexts.atomic("dispatch"):
        plan = RoutePlan.objects.create(
            fleet_id=job.fleet_id,
            job=job,
            based_on=job.from_plan,
            origin=origin,
            routes=routes,
            unserved=[*built.unserved, *dropped],
            distance_m=sum(r["distance_m"] for r in routes),
        )
        job = RoutingJob.objects.select_for_update().get(id=job.id)
        job.status, job.finished_at = JobStatus.SUCCEEDED, timezone.now()
        job.stats = stats | {
            "served": sum(len({s["trip_id"] for s in r["stops"]}) for r in routes),
            "plan_id": str(plan.id),
        }
        job.save(update_fields=["status", "finished_at", "stats", "updated_at"])
        feed.to_fleet(job.fleet_id, "job", {"job": _job_json(job)})
        feed.to_fleet(job.fleet_id, "plan", {"plan": plans.plan_json(plan)})


def _call(fn, /, *args, **kwargs):
    return fn(*args, **kwargs)


def routing_jobs_reap() -> int:
    """Jobs whose worker vanished (running past their limit) or that no worker ever took end failed — or, if
    attempts remain, go back on the queue. Beat runs this every minute; nothing stays 'running' forever."""
    now, touched = timezone.now(), 0
    grace = dt.timedelta(seconds=settings.DISPATCH_JOB_GRACE_SECONDS)
    for job in RoutingJob.objects.filter(status=JobStatus.RUNNING):
        if job.started_at and job.started_at + dt.timedelta(seconds=job.seconds) + grace < now:
            if job.attempts < settings.DISPATCH_JOB_MAX_ATTEMPTS:
                updated = RoutingJob.objects.filter(id=job.id, status=JobStatus.RUNNING, attempts=job.attempts).update(
                    status=JobStatus.QUEUED, updated_at=now
                )
                if updated:
                    jobs.enqueue(
                        "dispatch.optimize_routes", kwargs={"job_id": str(job.id)}, time_limit=job.seconds + 120
                    )
            else:
                _job_fail(job.id, f"the worker running it stopped responding ({job.worker or 'unknown'})")
            touched += 1
    stuck = now - dt.timedelta(minutes=settings.DISPATCH_JOB_QUEUE_TIMEOUT_MINUTES)
    for job in RoutingJob.objects.filter(status=JobStatus.QUEUED, updated_at__lt=stuck):
        _job_fail(job.id, "no routing worker picked it up")
        touched += 1
    return touched

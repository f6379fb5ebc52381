"""Write use cases of the dispatch context: position ingestion, auto-dispatch, manual assignment, routing jobs."""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import uuid

import psycopg
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from apps.dispatch import domain, feed, integrations, live, matching, matrix, optimization, planning, schemas
from apps.dispatch.contracts import (
    JobStatus,
    LivePosition,
    NotYourDriver,
    Ping,
    PingOutcome,
    PlanNotAcceptable,
    PlanNotFound,
    PlanStatus,
    TripView,
    UnknownFleet,
)
from apps.dispatch.models import DispatchAttempt, PositionPing, RoutePlan, RoutingJob
from apps.trips.contracts import (
    TERMINAL_STATUSES,
    IllegalTransition,
    StaleVersion,
    TripRef,
    TripStatus,
    vehicle_serves_booking,
)
from logitrack import jobs, offload

# ---- live positions -------------------------------------------------------------------------------------

_HISTORY_COLUMNS = (
    "ping_id",
    "driver_id",
    "fleet_id",
    "recorded_at",
    "received_at",
    "lat",
    "lng",
    "accuracy_m",
    "heading",
    "speed_mps",
)
# on top of a job's own seconds before its solver child counts as wedged: starting a spawned child (imports) and
# the solver's own overshoot, on a busy machine
SOLVER_CHILD_GRACE_SECONDS = 60
_CHUNK = 1000  # rows per INSERT on SQLite: under its bound-parameter limit


_PG_TYPES = ("uuid", "uuid", "uuid", "timestamptz", "timestamptz", "float8", "float8", "float8", "float8", "float8")


def _history_insert(rows: list[tuple]) -> set[uuid.UUID]:
    """INSERT ... ON CONFLICT DO NOTHING; returns the ping ids that were new. On PostgreSQL the rows travel as
    one array per column (unnest): ten parameters whatever the batch size, so the statement text never
    changes and psycopg does not re-parse thousands of placeholders per batch."""
    if not rows:
        return set()
    table = connection.ops.quote_name(PositionPing._meta.db_table)
    fields = [PositionPing._meta.get_field(c) for c in _HISTORY_COLUMNS]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    if connection.vendor == "postgresql":
        arrays = ", ".join(f"%s::{t}[]" for t in _PG_TYPES)
        sql = (
            f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({arrays}) "
            f"ON CONFLICT (ping_id) DO NOTHING RETURNING ping_id"
        )
        connection.ensure_connection()
        connection.validate_no_broken_transaction()
        # A plain psycopg cursor (server-side binding, binary arrays) on Django's connection and transaction:
        # Django's client-side cursor quoted every array element into the SQL text, a fifth of the server's
        # time under a 5,000 pings/s load.
        with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(sql, [list(column) for column in zip(*rows, strict=True)], binary=True)
            return {v for (v,) in cursor.fetchall()}
    inserted: set[uuid.UUID] = set()
    with connection.cursor() as cursor:
        placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start : start + _CHUNK]
            params = [f.get_db_prep_save(v, connection) for row in chunk for f, v in zip(fields, row, strict=True)]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([placeholder] * len(chunk))} "
                f"ON CONFLICT (ping_id) DO NOTHING RETURNING ping_id",
                params,
            )
            inserted.update(v if isinstance(v, uuid.UUID) else uuid.UUID(v) for (v,) in cursor.fetchall())
    return inserted


Fix = tuple[uuid.UUID, uuid.UUID, Ping]  # (driver, fleet, ping)


def _unique(fixes: list[Fix]) -> dict[uuid.UUID, Fix]:
    unique: dict[uuid.UUID, Fix] = {}
    for fix in fixes:
        unique.setdefault(fix[2].ping_id, fix)
    return unique


def positions_move(*, fixes: list[Fix]) -> list[LivePosition]:
    """Move the live map for the fixes newer than what it holds (per driver, the newest of the batch); returns
    the positions that moved. A resent ping is never newer than itself, so it moves nothing twice."""
    by_fleet: dict[uuid.UUID, list[LivePosition]] = {}
    for driver_id, fleet_id, p in _unique(fixes).values():
        by_fleet.setdefault(fleet_id, []).append(
            LivePosition(
                driver_id=driver_id,
                fleet_id=fleet_id,
                lat=p.lat,
                lng=p.lng,
                recorded_at=p.recorded_at,
                heading=p.heading,
                speed_mps=p.speed_mps,
            )
        )
    moved: list[LivePosition] = []
    for fleet_id, positions in by_fleet.items():
        moved += live.store().update(fleet_id, domain.newest_per_driver(positions))
    return moved


def positions_store(*, fixes: list[Fix], moved: list[LivePosition] = ()) -> PingOutcome:
    """Store the fixes once each in the history (one statement per 1,000), then refresh tracking pages for the
    drivers that moved. The caller has checked that each driver is on duty and is who sent the ping."""
    received_at = timezone.now()
    unique = _unique(fixes)
    rows = [
        (p.ping_id, d, f, p.recorded_at, received_at, p.lat, p.lng, p.accuracy_m, p.heading, p.speed_mps)
        for d, f, p in unique.values()
    ]
    new = _history_insert(rows)
    if moved:
        _tracking_refresh(list(moved))
    return PingOutcome(
        stored=tuple(i for i in unique if i in new),
        duplicates=tuple(f[2].ping_id for f in fixes if f[2].ping_id not in new),
        moved=tuple(moved),
    )


def positions_record(*, fixes: list[Fix]) -> PingOutcome:
    """History first, then the live map for the pings that were new (the REST upload's order)."""
    stored = positions_store(fixes=fixes)
    new = set(stored.stored)
    moved = positions_move(fixes=[f for f in fixes if f[2].ping_id in new])
    if moved:
        _tracking_refresh(moved)
    return PingOutcome(stored=stored.stored, duplicates=stored.duplicates, moved=tuple(moved))


def positions_upload(*, user_id: uuid.UUID, fleet_id: uuid.UUID | None, raw_pings: object) -> PingOutcome:
    """A driver app's buffered upload over REST: all pings valid or none stored; screens see the newest."""
    pings = domain.parse_batch(raw_pings, now=timezone.now())
    driver = integrations.driver_on_duty(user_id=user_id, fleet_id=fleet_id)
    if any(domain.claims_other_driver(p, driver.id) for p in raw_pings):
        raise NotYourDriver("pings can only be sent for yourself, from your own login")
    outcome = positions_record(fixes=[(driver.id, driver.fleet_id, p) for p in pings])
    feed.positions(driver.fleet_id, list(outcome.moved))
    return outcome


def driver_trail_erase(*, user_id: uuid.UUID) -> int:
    """GDPR erasure of a driver: their position history goes, in every fleet they drove for, and they leave
    the live map. Returns the pings deleted."""
    deleted = 0
    for driver_id, fleet_id in integrations.drivers_of(user_id=user_id):
        deleted += PositionPing.objects.filter(driver_id=driver_id).delete()[0]
        live.store().remove(fleet_id, driver_id)
    return deleted


def positions_prune(*, older_than: dt.timedelta, batch: int = 10_000) -> int:
    """Delete history older than the retention window, in batches so the table is never locked for long."""
    cutoff = timezone.now() - older_than
    deleted = 0
    while True:
        ids = list(PositionPing.objects.filter(recorded_at__lt=cutoff).values_list("id", flat=True)[:batch])
        if not ids:
            return deleted
        deleted += PositionPing.objects.filter(id__in=ids).delete()[0]


# ---- tracking estimates for customers -----------------------------------------------------------------------


def _tracking_refresh(moved: list[LivePosition]) -> None:
    """Keep the tracking page's ETA and approximate position current, at most every TRACKING_EVERY per driver."""
    due = live.store().claim_each([p.driver_id for p in moved], seconds=settings.DISPATCH_TRACKING_EVERY_SECONDS)
    if not due:
        return
    latest = {p.driver_id: p for p in moved if p.driver_id in due}
    provider = matrix.provider()
    for trip in integrations.trips_moving(driver_ids=list(latest)):
        here = latest[trip.driver_id]
        eta = None
        target = next((s for s in trip.stops if s.status in ("pending", "arrived")), None)
        if target is not None:
            travel = provider.matrix(
                [(here.lat, here.lng), (target.lat, target.lng)], vehicle_type=trip.vehicle_type
            ).duration_s[0][1]
            eta = here.recorded_at + dt.timedelta(seconds=travel)
        integrations.tracking_update(trip_id=trip.id, at=here.recorded_at, eta=eta, lat=here.lat, lng=here.lng)


# ---- what screens and driver apps hear about trips ----------------------------------------------------------


def _push_trip(trip: TripView, change: str) -> None:
    attempt = DispatchAttempt.objects.filter(trip_id=trip.id).first()
    feed.to_fleet(trip.fleet_id, "trip", {"change": change, "trip": _jsonable(domain.trip_json(trip, attempt))})


def _jsonable(data):
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def trip_card_push(*, trip: TripView, change: str) -> None:
    """The fleet's screens show the trip as it is now (`change` says why: requested, status_changed…)."""
    _push_trip(trip, change)


@transaction.atomic
def assignment_push(*, trip: TripView, reassigned: bool) -> None:
    """The trip has a driver: auto-dispatch's part is over, the screens show it, the driver's app gets it."""
    DispatchAttempt.objects.filter(trip_id=trip.id).exclude(status=DispatchAttempt.Status.CLOSED).update(
        status=DispatchAttempt.Status.ASSIGNED, updated_at=timezone.now()
    )
    _push_trip(trip, "reassigned" if reassigned else "assigned")
    if trip.driver_id is not None:
        feed.to_driver(trip.driver_id, "assignment", {"trip": _jsonable(domain.trip_json(trip))})


@transaction.atomic
def trip_card_close(*, trip: TripView, change: str) -> None:
    """The trip ended (cancelled, failed): auto-dispatch stops, the screens take its card off the board."""
    DispatchAttempt.objects.filter(trip_id=trip.id).update(
        status=DispatchAttempt.Status.CLOSED, updated_at=timezone.now()
    )
    _push_trip(trip, change)


def offer_push(*, offer_id: uuid.UUID, trip: TripView, driver_id: uuid.UUID, expires_at: dt.datetime) -> None:
    """The offered driver's app shows the offer with the trip; the fleet's screens see it was made."""
    offer = {
        "id": str(offer_id),
        "trip_id": str(trip.id),
        "driver_id": str(driver_id),
        "expires_at": expires_at.isoformat(),
    }
    feed.to_driver(driver_id, "offer", {"offer": offer, "trip": _jsonable(domain.trip_json(trip))})
    feed.to_fleet(trip.fleet_id, "offer", {"offer": offer})


def duty_follow(*, driver_id: uuid.UUID, fleet_id: uuid.UUID, on_duty: bool) -> None:
    """The driver's socket hears the duty change at once; off duty, the driver leaves the live map."""
    feed.to_driver(driver_id, "duty", {"on_duty": on_duty})
    if not on_duty:
        live.store().remove(fleet_id, driver_id)
        feed.to_fleet(fleet_id, "driver_off", {"driver_id": str(driver_id)})


# ---- auto-dispatch ------------------------------------------------------------------------------------------


@transaction.atomic
def auto_dispatch_start(*, trip: TripView) -> None:
    """A new trip: show it, and when the fleet auto-dispatches, offer it to the best candidate."""
    if integrations.auto_dispatch_enabled(fleet_id=trip.fleet_id):
        attempt, _ = DispatchAttempt.objects.get_or_create(trip_id=trip.id, defaults={"fleet_id": trip.fleet_id})
        _offer_to_next_candidate(DispatchAttempt.objects.select_for_update().get(id=attempt.id), trip)
    _push_trip(trip, "requested")


@transaction.atomic
def offer_next(*, trip: TripView, driver_id: uuid.UUID, expired: bool, reason: str) -> None:
    """The offered driver refused or let the offer run out: the next candidate gets it (auto-dispatch only)."""
    attempt = DispatchAttempt.objects.select_for_update().filter(trip_id=trip.id).first()
    if attempt is not None and attempt.status == DispatchAttempt.Status.OFFERED:
        _offer_to_next_candidate(attempt, trip)
    feed.to_fleet(
        trip.fleet_id,
        "offer_declined",
        {"trip_id": str(trip.id), "driver_id": str(driver_id), "expired": expired, "reason": reason},
    )
    _push_trip(trip, "offer_declined")


def _flag(attempt: DispatchAttempt, reason: str) -> None:
    attempt.status, attempt.flag_reason, attempt.offered_driver_id = DispatchAttempt.Status.FLAGGED, reason, None
    attempt.save(update_fields=["status", "flag_reason", "offered_driver_id", "updated_at"])


def _moved_on(attempt: DispatchAttempt, status: str) -> None:
    """The trip is no longer waiting for a driver: auto-dispatch's part is over."""
    attempt.status = DispatchAttempt.Status.CLOSED if status in TERMINAL_STATUSES else DispatchAttempt.Status.ASSIGNED
    attempt.save(update_fields=["status", "updated_at"])


def _offer_to_next_candidate(attempt: DispatchAttempt, trip: TripView) -> None:
    """Offer the trip (as the event that woke auto-dispatch saw it) to the best candidate not tried yet. Trips
    judges each offer as the trip is now: one that moved on since the event is refused with its current status."""
    if trip.status != TripStatus.REQUESTED:
        _moved_on(attempt, trip.status)
        return
    if attempt.offers_made >= settings.DISPATCH_MAX_OFFERS:
        _flag(attempt, f"no driver took it after {attempt.offers_made} offers")
        return
    tried = {uuid.UUID(d) for d in attempt.tried_driver_ids}
    for candidate in matching.strategy().candidates(trip, exclude=tried):
        try:
            integrations.offer_make(trip_id=trip.id, shift_id=candidate.shift_id)
        except IllegalTransition as exc:
            if exc.code == "trips.offer_open":  # a dispatcher offered it meanwhile
                return
            if "current_status" in exc.extra:  # assigned, cancelled… since the event: not this shift's fault
                _moved_on(attempt, exc.extra["current_status"])
                return
            tried.add(candidate.driver_id)  # trips' own checks refused this shift: try the next one
            continue
        attempt.status, attempt.offered_driver_id = DispatchAttempt.Status.OFFERED, candidate.driver_id
        attempt.offers_made += 1
        attempt.tried_driver_ids = [str(d) for d in [*tried, candidate.driver_id]]
        attempt.save(update_fields=["status", "offered_driver_id", "offers_made", "tried_driver_ids", "updated_at"])
        return
    attempt.tried_driver_ids = [str(d) for d in tried]
    _flag(attempt, "no eligible driver nearby" if not attempt.offers_made else "no other eligible driver nearby")


# ---- route optimisation -------------------------------------------------------------------------------------


def _job_json(job: RoutingJob) -> dict:
    return _jsonable(schemas.JobOutput(job).data)


def plan_json(plan: RoutePlan) -> dict:
    return _jsonable(schemas.PlanOutput(plan).data)


@transaction.atomic
def routing_job_create(
    *, fleet_id: uuid.UUID, seconds: int, actor_id: uuid.UUID | None, from_plan_id: uuid.UUID | None = None
) -> RoutingJob:
    """Queue an optimisation of the fleet's open trips over its open shifts (optionally from a plan)."""
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

    transaction.on_commit(send)
    return job


def _job_fail(job_id: uuid.UUID, error: str) -> None:
    with transaction.atomic():
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
    with transaction.atomic():
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
        return RoutingJob.objects.get(id=job_id)
    try:
        _optimise(job, solve_in_child=solve_in_child)
    except offload.ChildDied:
        if job.attempts >= settings.DISPATCH_JOB_MAX_ATTEMPTS:
            _job_fail(job_id, f"the solver process stopped {job.attempts} times")
        elif RoutingJob.objects.filter(id=job_id, status=JobStatus.RUNNING, attempts=job.attempts).update(
            status=JobStatus.QUEUED, updated_at=timezone.now()
        ):  # as the reaper does for a worker that died, at once
            jobs.enqueue("dispatch.optimize_routes", kwargs={"job_id": str(job_id)}, time_limit=job.seconds + 120)
    except Exception as exc:  # whatever went wrong, the job ends failed and says why
        _job_fail(job_id, f"{type(exc).__name__}: {exc}")
    return RoutingJob.objects.get(id=job_id)


def _optimise(job: RoutingJob, *, solve_in_child: bool = False) -> None:
    origin = timezone.now()
    built = planning.build(fleet_id=job.fleet_id, origin=origin)
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
            optimization.solve_model,
            built.model,
            seconds=job.seconds,
            workers=settings.DISPATCH_SOLVER_WORKERS,
            initial=initial or None,
        )
        if solved is None:
            raise RuntimeError("the solver found no plan within its time limit")
        routes, dropped = planning.routes_json(built, list(solved.routes)), planning.dropped_json(built, solved.dropped)
        stats |= {"strategy": solved.strategy, "solver_seconds": round(solved.seconds, 2)}
    with transaction.atomic():
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
        feed.to_fleet(job.fleet_id, "plan", {"plan": plan_json(plan)})


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


@transaction.atomic
def plan_accept(*, plan_id: uuid.UUID, actor_id: uuid.UUID | None) -> RoutePlan:
    """Assign the plan's requested trips to the planned shifts through trips' api (its checks apply). Trips
    that changed since the plan was made are reported, not forced. Older plans of the fleet are superseded."""
    plan = RoutePlan.objects.select_for_update().filter(id=plan_id).first()
    if plan is None:
        raise PlanNotFound("no such plan")
    if plan.status != PlanStatus.PROPOSED:
        raise PlanNotAcceptable(f"the plan is {plan.status}; only a proposed plan can be accepted")
    planned = {trip_id for route in plan.routes for trip_id in _trips_of(route)}
    # one read for the whole plan; a trip not open any more has ended (completed, cancelled or failed)
    trips = {str(t.id): t for t in integrations.trips_open(fleet_id=plan.fleet_id, trip_ids=list(planned))}
    _refuse_wrong_vehicle_types(plan, trips)
    outcome: dict[str, dict] = {}
    for route in plan.routes:
        for trip_id in _trips_of(route):
            trip = trips.get(trip_id)
            if trip is not None and str(trip.shift_id) == route["shift_id"]:
                outcome[trip_id] = {"result": "unchanged"}
                continue
            if trip is None or trip.status != TripStatus.REQUESTED:
                now = "has ended" if trip is None else f"is {trip.status} now"
                outcome[trip_id] = {"result": "skipped", "reason": f"the trip {now}"}
                continue
            try:
                integrations.trip_assign(
                    trip_id=trip.id, shift_id=uuid.UUID(route["shift_id"]), actor_id=actor_id, sequenced=True
                )
            except (IllegalTransition, StaleVersion) as exc:
                outcome[trip_id] = {"result": "skipped", "reason": exc.message}
                continue
            outcome[trip_id] = {"result": "assigned", "shift_id": route["shift_id"]}
    RoutePlan.objects.filter(fleet_id=plan.fleet_id, status__in=[PlanStatus.PROPOSED, PlanStatus.ACCEPTED]).exclude(
        id=plan.id
    ).update(status=PlanStatus.SUPERSEDED, updated_at=timezone.now())
    plan.status, plan.accepted_at, plan.accepted_by_id, plan.outcome = (
        PlanStatus.ACCEPTED,
        timezone.now(),
        actor_id,
        outcome,
    )
    plan.save(update_fields=["status", "accepted_at", "accepted_by_id", "outcome", "updated_at"])
    feed.to_fleet(plan.fleet_id, "plan", {"plan": plan_json(plan)})
    return plan


def _trips_of(route: dict) -> list[str]:
    """The ids of the trips a planned route serves, in the order it first reaches them."""
    return list(dict.fromkeys(s["trip_id"] for s in route["stops"]))


def _refuse_wrong_vehicle_types(plan: RoutePlan, trips: dict[str, TripRef]) -> None:
    """A plan that puts a trip still waiting for a driver on a vehicle of another type than the one booked (made
    before the rule held, or by hand) is refused whole, before anything is assigned: accepting the rest would
    leave that trip's route half done. `trips`: the plan's open trips by id."""
    types = {
        v: t
        for v, (t, _, _) in integrations.vehicles(vehicle_ids=[uuid.UUID(r["vehicle_id"]) for r in plan.routes]).items()
    }
    wrong = []
    for route in plan.routes:
        vehicle_type = types.get(uuid.UUID(route["vehicle_id"]), "")
        for trip_id in _trips_of(route):
            trip = trips.get(trip_id)
            if (
                trip is not None
                and trip.status == TripStatus.REQUESTED
                and not vehicle_serves_booking(booked=trip.vehicle_type, vehicle=vehicle_type)
            ):
                wrong.append(
                    {"trip_id": trip_id, "booked_vehicle_type": trip.vehicle_type, "vehicle_type": vehicle_type}
                )
    if wrong:
        raise PlanNotAcceptable(
            "the plan puts trips on vehicles of another type than the one booked; run the optimisation again",
            code="dispatch.vehicle_type_mismatch",
            extra={"trips": wrong},
        )


@transaction.atomic
def plan_insert(*, plan_id: uuid.UUID, trip_id: uuid.UUID) -> RoutePlan:
    """A new proposed plan: the trip put where it adds the least distance, every other stop kept in place."""
    plan = RoutePlan.objects.filter(id=plan_id).first()
    if plan is None:
        raise PlanNotFound("no such plan")
    if plan.status == PlanStatus.SUPERSEDED:
        raise PlanNotAcceptable("the plan was superseded; insert into the current one")
    origin = timezone.now()
    built = planning.build(fleet_id=plan.fleet_id, origin=origin)
    chain = built.chain_of(trip_id)
    if built.model is None or chain is None:
        reason = next((u["reason"] for u in built.unserved if u["trip_id"] == str(trip_id)), "it is not an open trip")
        raise PlanNotAcceptable(f"the trip cannot be planned: {reason}", extra={"trip_id": str(trip_id)})
    current = planning.routes_from_json(built, plan.routes)
    if any(n in built.model.chains[chain] for nodes in current.values() for n in nodes):
        raise PlanNotAcceptable("the trip is in the plan already", extra={"trip_id": str(trip_id)})
    inserted = optimization.insert_chain(built.model, current, chain)
    if inserted is None:
        raise PlanNotAcceptable(
            "no vehicle in the plan can take the trip within its time windows and capacity; run an optimisation",
            extra={"trip_id": str(trip_id)},
        )
    checked, _ = optimization.check_routes(built.model, inserted)
    routes = planning.routes_json(built, [r for r in checked if r.nodes])
    served = {s["trip_id"] for r in routes for s in r["stops"]}
    new = RoutePlan.objects.create(
        fleet_id=plan.fleet_id,
        based_on=plan,
        origin=origin,
        routes=routes,
        unserved=[u for u in plan.unserved if u["trip_id"] not in served],
        distance_m=sum(r["distance_m"] for r in routes),
    )
    feed.to_fleet(plan.fleet_id, "plan", {"plan": plan_json(new)})
    return new

"""Route optimisation: the fleet's open trips over its shifts, checked by an independent checker written here
(not the solver's report); jobs on a real Celery routing worker, including one killed mid-solve."""

import datetime as dt
import os
import signal
import uuid

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from apps.dispatch.models import RoutePlan, RoutingJob
from apps.dispatch.services import plans, routing_jobs
from apps.dispatch.tests.factories import RoutingJobFactory
from apps.fleet.models import Fleet
from apps.fleet.tests.factories import vehicle
from apps.trips.models import Shift, Trip
from apps.trips.services import assignment as trips_assignment
from apps.trips.services import lifecycle as trips_lifecycle
from logitrack.testing.metrics import scraped
from logitrack.testing.processes import Processes, wait_for_worker, wait_until
from tests.integration.test_outbox_broker_down import broker_down  # noqa: F401  (fixture)
from tests.support.dispatch_world import ping, place
from tests.support.isolation import assert_hidden, assert_never_lists, client_for

CAPACITY_KG = 800
# pickups around Mitte, drop-offs around Kreuzberg / Friedrichshain / Prenzlauer Berg
SPOTS = [
    ((52.5310, 13.3847), (52.5016, 13.4190)),
    ((52.5200, 13.4050), (52.5125, 13.4540)),
    ((52.5250, 13.3690), (52.5390, 13.4240)),
    ((52.5080, 13.3760), (52.4960, 13.3900)),
    ((52.5160, 13.3880), (52.5290, 13.4100)),
    ((52.5350, 13.3970), (52.5000, 13.4400)),
]


def book(world, pickup, dropoff, weight, window_hours=None):
    now = timezone.now()
    drop = {"kind": "dropoff", "address": "drop", "lat": dropoff[0], "lng": dropoff[1], "service_minutes": 3}
    if window_hours is not None:
        drop["window_start"] = now.isoformat()
        drop["window_end"] = (now + dt.timedelta(hours=window_hours)).isoformat()
    response = client_for(world.fleets.customer).post(
        "/api/v1/trips/trips/",
        {
            "fleet_id": str(world.fleet_id),
            "vehicle_type": "van",
            "stops": [
                {"kind": "pickup", "address": "pick", "lat": pickup[0], "lng": pickup[1], "service_minutes": 2},
                drop,
            ],
            "weight_kg": weight,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def unloaded_kg(trip: Trip) -> dict[int, int]:
    """Kilograms each drop-off takes off, by sequence (the planner's documented rule, written again here): the
    shares the booking declared, what they leave at the last stop; undeclared, with DISPATCH_SPLIT_LOAD_AT_DROPOFFS
    equal whole shares at the drop-offs after the last pickup, the remainder at the last one; else all at the last
    stop."""
    stops = list(trip.stops.all())
    out = dict.fromkeys((s.sequence for s in stops), 0)
    if any(s.unload_weight_kg is not None for s in stops):
        out |= {s.sequence: s.unload_weight_kg for s in stops if s.unload_weight_kg is not None}
        out[stops[-1].sequence] += trip.weight_kg - sum(out.values())
        return out
    last_pickup = max(k for k, s in enumerate(stops) if s.kind == "pickup")
    drops = [s.sequence for s in stops[last_pickup + 1 :] if s.kind == "dropoff"]
    if not settings.DISPATCH_SPLIT_LOAD_AT_DROPOFFS:
        drops = [stops[-1].sequence]
    out |= dict.fromkeys(drops, trip.weight_kg // len(drops))
    out[drops[-1]] += trip.weight_kg - sum(out.values())
    return out


def check_plan(plan: dict, trips: dict[str, Trip], capacity_kg: int = CAPACITY_KG, pooling: bool = False) -> None:
    """Independent of the solver: every open trip is served or explained; stops of a trip ride one vehicle in
    their own order; nothing starts after its window closes; the van never carries more than it can at any stop
    (each drop-off taking its share off)."""
    served: dict[str, str] = {}
    for route in plan["routes"]:
        load = sum(  # what trips under way still have on board: not what their done drop-offs took off
            t.weight_kg - sum(unloaded_kg(t)[s.sequence] for s in t.stops.all() if s.status == "done")
            for t in trips.values()
            if str(t.shift_id) == route["shift_id"] and t.status == "in_progress"
        )
        last_eta, seen = None, []
        for stop in route["stops"]:
            trip = trips[stop["trip_id"]]
            assert served.setdefault(stop["trip_id"], route["shift_id"]) == route["shift_id"], (
                "a trip split across vans"
            )
            eta = dt.datetime.fromisoformat(stop["eta"])
            assert last_eta is None or eta >= last_eta
            last_eta = eta
            window = trip.stops.get(sequence=stop["sequence"])
            if window.window_end is not None:
                assert eta <= window.window_end, f"stop {stop} after its window"
            if window.window_start is not None:
                assert eta >= window.window_start - dt.timedelta(seconds=1)
            if stop["sequence"] == min(s.sequence for s in trip.stops.all()):
                load += trip.weight_kg
            load -= unloaded_kg(trip)[stop["sequence"]]
            assert 0 <= load <= capacity_kg, f"van carries {load} kg at {stop}"
            seen.append((stop["trip_id"], stop["sequence"]))
        for trip_id in {t for t, _ in seen}:
            order = [s for t, s in seen if t == trip_id]
            assert order == sorted(order), "pickup after its delivery"
            at = [k for k, (t, _) in enumerate(seen) if t == trip_id]
            if not pooling:
                assert at == list(range(at[0], at[0] + len(at))), "two trips on board of a van that does not pool"
    unserved = {u["trip_id"] for u in plan["unserved"]}
    assert set(served) | unserved == {i for i, t in trips.items() if t.status not in ("completed", "cancelled")}
    assert not set(served) & unserved
    assert all(u["reason"] for u in plan["unserved"])


def open_trips(world) -> dict[str, Trip]:
    return {str(t.id): t for t in Trip.objects.filter(fleet_id=world.fleet_id).prefetch_related("stops")}


@pytest.fixture
def busy_fleet(dispatch_world, relay_and_deliver):
    """Six requested trips (two with a drop-off window), one too heavy for any van, one already in progress."""
    world = dispatch_world
    for crew, spot in zip(world.crews, [(52.53, 13.39), (52.51, 13.40), (52.50, 13.42)], strict=True):
        crew.client().post("/api/v1/dispatch/positions/", {"pings": [ping(*spot)]}, format="json")
    for n, (pickup, dropoff) in enumerate(SPOTS):
        book(world, pickup, dropoff, weight=150 + 50 * n, window_hours=2 if n < 2 else None)
    vehicle(Fleet.objects.get(id=world.fleet_id), capacity_kg=2000)  # a big van nobody drives today
    heavy = book(world, SPOTS[0][0], SPOTS[0][1], weight=900)
    moving = book(world, (52.52, 13.41), (52.49, 13.43), weight=300)
    crew = world.crews[0]
    trips_assignment.trip_assign(trip_id=moving, shift_id=crew.shift_id, actor_id=None)
    for action in ("start", "arrive_pickup", "pick_up"):
        trips_lifecycle.trip_transition(trip_id=moving, action=action, actor_id=crew.user.id, role="driver")
    relay_and_deliver()
    return world, heavy, moving


def _routing_seconds() -> tuple[float, float]:
    count = scraped('logitrack_routing_job_seconds_count{outcome="succeeded"}')
    return count, scraped('logitrack_routing_job_seconds_sum{outcome="succeeded"}')


@pytest.mark.django_db
def test_a_plan_serves_what_fits_and_says_why_the_rest_cannot_be_served(busy_fleet):
    world, heavy, moving = busy_fleet
    job = routing_jobs.routing_job_create(fleet_id=world.fleet_id, seconds=2, actor_id=None)
    runs, timed = scraped('logitrack_routing_jobs_total{outcome="succeeded"}'), _routing_seconds()
    job = routing_jobs.routing_job_run(job_id=job.id)  # what the routing worker runs
    assert (job.status, job.attempts, job.error) == ("succeeded", 1, "")
    assert scraped('logitrack_routing_jobs_total{outcome="succeeded"}') == runs + 1
    assert _routing_seconds()[0] == timed[0] + 1 and 0 < _routing_seconds()[1] - timed[1] < 60
    plan = plans.plan_json(RoutePlan.objects.get(job=job))
    check_plan(plan, open_trips(world))
    assert {u["trip_id"]: u["reason"] for u in plan["unserved"]} == {heavy: "too big for every vehicle on shift"}
    moving_route = next(r for r in plan["routes"] if any(s["trip_id"] == moving for s in r["stops"]))
    assert moving_route["shift_id"] == str(world.crews[0].shift_id)  # a trip under way stays with its driver
    assert [s["kind"] for s in moving_route["stops"] if s["trip_id"] == moving] == ["dropoff"]
    assert job.stats["served"] == 7 and job.stats["vehicles"] == 3
    # pickups all over town, drivers where they are: paired pickups and drop-offs, OR-Tools alone (the portfolio)
    assert job.stats["solver"] == "ortools" and "paired pickup and drop-off" in job.stats["solver_note"]


@pytest.mark.django_db
def test_accepting_a_plan_assigns_its_trips_and_a_new_trip_goes_in_without_a_re_solve(busy_fleet, relay_and_deliver):
    world, heavy, _ = busy_fleet
    dispatcher = world.fleets.a.client("dispatcher")
    created = dispatcher.post(f"/api/v1/dispatch/fleets/{world.fleet_id}/routing-jobs/", {"seconds": 2}, format="json")
    assert created.status_code == 202, created.json()
    job = routing_jobs.routing_job_run(job_id=created.json()["id"])
    plan_id = job.stats["plan_id"]

    accepted = dispatcher.post(f"/api/v1/dispatch/plans/{plan_id}/accept/")
    assert accepted.status_code == 200, accepted.json()
    outcome = accepted.json()["outcome"]
    assert sum(o["result"] == "assigned" for o in outcome.values()) == 6
    for trip_id, result in outcome.items():
        if result["result"] == "assigned":
            assert str(Trip.objects.get(id=trip_id).shift_id) == result["shift_id"]
    again = dispatcher.post(f"/api/v1/dispatch/plans/{plan_id}/accept/")
    assert (again.status_code, again.json()["code"]) == (409, "dispatch.plan_not_acceptable")

    late = book(world, (52.515, 13.39), (52.505, 13.41), weight=40)
    inserted = dispatcher.post(f"/api/v1/dispatch/plans/{plan_id}/insert/", {"trip_id": late}, format="json")
    assert inserted.status_code == 201, inserted.json()
    new = inserted.json()
    assert new["based_on_id"] == plan_id and new["status"] == "proposed"
    check_plan(new, open_trips(world))
    old_order = {r["shift_id"]: [(s["trip_id"], s["sequence"]) for s in r["stops"]] for r in accepted.json()["routes"]}
    for route in new["routes"]:  # every stop of the old plan keeps its order; only the new trip is added
        kept = [(s["trip_id"], s["sequence"]) for s in route["stops"] if s["trip_id"] != late]
        assert kept == old_order.get(route["shift_id"], [])
    assert (
        dispatcher.post(f"/api/v1/dispatch/plans/{plan_id}/insert/", {"trip_id": heavy}, format="json").status_code
        == 409
    )
    bad = dispatcher.post(f"/api/v1/dispatch/plans/{plan_id}/insert/", {"trip": late}, format="json")
    assert bad.status_code == 400

    reopt = dispatcher.post(
        f"/api/v1/dispatch/fleets/{world.fleet_id}/routing-jobs/",
        {"seconds": 2, "from_plan_id": new["id"]},
        format="json",
    )
    job = routing_jobs.routing_job_run(job_id=reopt.json()["id"])
    assert job.stats["strategy"].startswith("FROM_CURRENT_PLAN")
    check_plan(plans.plan_json(RoutePlan.objects.get(job=job)), open_trips(world))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("split", "shares", "fits"),
    [(True, None, True), (False, None, False), (False, (600, 200), True), (True, (200, 600), False)],
)
def test_room_freed_at_a_drop_off_takes_another_trip_mid_route(dispatch_world, settings, split, shares, fits):
    """One pooling van of 800 kg. Trip A: 800 kg picked up within 30 min, part off at its first drop-off, the rest at
    its last (not before 100 min); trip B: 400 kg picked up at 40-60 min, dropped by 90 min. B fits only between
    A's two drop-offs, once at least 400 kg of A is off: with shares the booking declared, only when the first
    drop-off takes the big one (600; 200 leaves no room, whatever DISPATCH_SPLIT_LOAD_AT_DROPOFFS says); undeclared,
    with equal shares (DISPATCH_SPLIT_LOAD_AT_DROPOFFS on), or with A's whole load on board to its last stop (off,
    the default) it fits nowhere."""
    settings.DISPATCH_SPLIT_LOAD_AT_DROPOFFS = split
    world, crew = dispatch_world, dispatch_world.crews[0]
    Shift.objects.filter(id__in=[c.shift_id for c in world.crews[1:]]).update(status="cancelled")
    Shift.objects.filter(id=crew.shift_id).update(pooling=True)
    place(crew, 52.525, 13.39)
    now = timezone.now()

    def stop(kind, lat, lng, window=None):
        out = {"kind": kind, "address": kind, "lat": lat, "lng": lng}
        if window:
            out |= {"window_start": (now + dt.timedelta(minutes=window[0])).isoformat()}
            out |= {"window_end": (now + dt.timedelta(minutes=window[1])).isoformat()}
        return out

    def book_stops(weight, *stops):
        response = client_for(world.fleets.customer).post(
            "/api/v1/trips/trips/",
            {"fleet_id": str(world.fleet_id), "vehicle_type": "van", "stops": list(stops), "weight_kg": weight},
            format="json",
        )
        assert response.status_code == 201, response.json()
        return response.json()["id"]

    first, last = stop("dropoff", 52.5200, 13.4050), stop("dropoff", 52.5016, 13.4190, (100, 180))
    if shares:
        first["unload"], last["unload"] = {"weight_kg": shares[0]}, {"weight_kg": shares[1]}
    a = book_stops(800, stop("pickup", 52.5310, 13.3847, (0, 30)), first, last)
    b = book_stops(400, stop("pickup", 52.5125, 13.4140, (40, 60)), stop("dropoff", 52.5080, 13.4160, (40, 90)))
    job = routing_jobs.routing_job_run(
        job_id=routing_jobs.routing_job_create(fleet_id=world.fleet_id, seconds=1, actor_id=None).id
    )
    plan = plans.plan_json(RoutePlan.objects.get(job=job))
    if fits:
        check_plan(plan, open_trips(world), pooling=True)
        assert plan["unserved"] == []
        [route] = plan["routes"]
        assert [(s["trip_id"], s["sequence"]) for s in route["stops"]] == [(a, 1), (a, 2), (b, 1), (b, 2), (a, 3)]
    else:
        assert len(plan["unserved"]) == 1 and {a, b} - {u["trip_id"] for u in plan["unserved"]}  # one or the other
        check_plan(plan, open_trips(world), pooling=True)


@pytest.mark.django_db
def test_routing_endpoints_are_tenant_scoped_and_refuse_bad_input(busy_fleet):
    world, _, _ = busy_fleet
    dispatcher = world.fleets.a.client("dispatcher")
    url = f"/api/v1/dispatch/fleets/{world.fleet_id}/routing-jobs/"
    for body in ({"seconds": 0}, {"seconds": 500}, {"seconds": "soon"}, {"from_plan_id": str(uuid.uuid4())}, {"x": 1}):
        response = dispatcher.post(url, body, format="json")
        assert 400 <= response.status_code < 500 and "code" in response.json(), body
    assert not RoutingJob.objects.exists()
    job = routing_jobs.routing_job_run(job_id=dispatcher.post(url, {"seconds": 1}, format="json").json()["id"])
    plan_id = job.stats["plan_id"]
    outsider = world.fleets.b.client("dispatcher")
    assert_hidden(outsider, "post", url, data={"seconds": 1})
    assert_hidden(outsider, "get", f"/api/v1/dispatch/routing-jobs/{job.id}/")
    assert_hidden(outsider, "get", f"/api/v1/dispatch/plans/{plan_id}/")
    assert_hidden(outsider, "post", f"/api/v1/dispatch/plans/{plan_id}/accept/")
    assert_never_lists(outsider, f"/api/v1/dispatch/fleets/{world.fleets.b.fleet_id}/plans/", [plan_id])
    assert world.crews[0].client().get(f"/api/v1/dispatch/plans/{plan_id}/").status_code == 403  # drivers: no
    assert dispatcher.get(f"/api/v1/dispatch/routing-jobs/{job.id}/").json()["plan_id"] == plan_id
    assert RoutePlan.objects.get(id=plan_id).status == "proposed"


@pytest.mark.django_db
def test_a_job_whose_worker_vanished_is_retried_then_failed_never_left_running(busy_fleet, settings):
    world, _, _ = busy_fleet
    settings.DISPATCH_JOB_GRACE_SECONDS = 0
    job = RoutingJobFactory(fleet_id=world.fleet_id, vanished=True, minutes_ago=5)
    assert routing_jobs.routing_jobs_reap() == 1
    job.refresh_from_db()
    assert job.status == "queued"  # back on the queue for its second attempt
    RoutingJob.objects.filter(id=job.id).update(
        status="running", attempts=2, started_at=timezone.now() - dt.timedelta(minutes=5)
    )
    routing_jobs.routing_jobs_reap()
    job.refresh_from_db()
    assert job.status == "failed" and "stopped responding" in job.error
    never = RoutingJobFactory(fleet_id=world.fleet_id)
    RoutingJob.objects.filter(id=never.id).update(updated_at=timezone.now() - dt.timedelta(hours=1))
    routing_jobs.routing_jobs_reap()
    never.refresh_from_db()
    assert (never.status, never.error) == ("failed", "no routing worker picked it up")
    assert routing_jobs.routing_job_run(job_id=never.id).status == "failed"  # a late delivery changes nothing


@pytest.mark.django_db
def test_a_job_the_queue_cannot_take_fails_at_once_and_says_so(
    busy_fleet,
    broker_down,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    world, _, _ = busy_fleet
    dispatcher = world.fleets.a.client("dispatcher")
    with django_capture_on_commit_callbacks(execute=True):
        created = dispatcher.post(
            f"/api/v1/dispatch/fleets/{world.fleet_id}/routing-jobs/", {"seconds": 1}, format="json"
        )
    assert created.status_code == 202, created.json()
    job = dispatcher.get(f"/api/v1/dispatch/routing-jobs/{created.json()['id']}/").json()
    assert (job["status"], job["error"]) == ("failed", "the job queue could not be reached; run the optimisation again")


@pytest.fixture
def routing_worker(tmp_path):
    if not settings.REDIS_URL:
        pytest.fail("the process tests need PostgreSQL and Redis (run scripts/test.sh)")
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    procs = Processes(tmp_path)
    procs.worker("routing", queues="routing", concurrency=1)
    try:
        wait_for_worker()
        yield procs
    finally:
        procs.stop_all()


@pytest.mark.processes
@pytest.mark.django_db(transaction=True)
def test_a_routing_job_runs_on_the_routing_worker_and_survives_the_worker_being_killed(busy_fleet, routing_worker):
    world, _, _ = busy_fleet
    dispatcher = world.fleets.a.client("dispatcher")
    url = f"/api/v1/dispatch/fleets/{world.fleet_id}/routing-jobs/"
    first = dispatcher.post(url, {"seconds": 2}, format="json").json()
    assert first["status"] == "queued"
    done = wait_until(
        lambda: RoutingJob.objects.filter(id=first["id"], status__in=["succeeded", "failed"]).first(),
        timeout=60,
        what="the routing job to finish",
    )
    assert (done.status, done.attempts) == ("succeeded", 1), done.error
    assert done.worker.startswith("routing-")
    check_plan(plans.plan_json(RoutePlan.objects.get(job=done)), open_trips(world))

    second = dispatcher.post(url, {"seconds": 8}, format="json").json()
    running = wait_until(
        lambda: RoutingJob.objects.filter(id=second["id"], status="running", worker_pid__isnull=False).first(),
        timeout=60,
        what="the job to start",
    )
    os.kill(running.worker_pid, signal.SIGKILL)  # the pool process dies mid-solve
    ended = wait_until(
        lambda: RoutingJob.objects.filter(id=second["id"], status__in=["succeeded", "failed"]).first(),
        timeout=90,
        what="the killed job to reach a terminal state",
    )
    assert ended.attempts == 2 and ended.status == "succeeded", (
        ended.status,
        ended.error,
        routing_worker.log("routing")[-2000:],
    )
    check_plan(plans.plan_json(RoutePlan.objects.get(job=ended)), open_trips(world))


def spawned_children() -> list[int]:
    """This process's children started by multiprocessing's spawn (the solver pool), not its resource tracker."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                command = cmdline.read()
        except (OSError, ValueError, IndexError):
            continue
        if parent == os.getpid() and b"spawn_main" in command:
            found.append(int(entry))
    return found


@pytest.fixture
def embedded_jobs(settings):
    """Jobs run as in the embedded default: eagerly, the routing queue on this process's background thread."""
    from celery import current_app

    settings.CELERY_TASK_ALWAYS_EAGER = True
    current_app.conf.task_always_eager = True
    yield
    current_app.conf.task_always_eager = False


@pytest.mark.django_db(transaction=True)
def test_an_embedded_job_whose_solver_process_dies_runs_again_and_finishes(busy_fleet, embedded_jobs):
    world, _, _ = busy_fleet
    dispatcher = world.fleets.a.client("dispatcher")
    created = dispatcher.post(f"/api/v1/dispatch/fleets/{world.fleet_id}/routing-jobs/", {"seconds": 6}, format="json")
    assert created.status_code == 202 and created.json()["status"] == "queued"  # answered before the solve
    job_id = created.json()["id"]
    wait_until(
        lambda: RoutingJob.objects.filter(id=job_id, status="running").exists() and spawned_children(),
        timeout=60,
        what="the solve to start in a child process",
    )
    for pid in spawned_children():
        os.kill(pid, signal.SIGKILL)  # the solver's process dies mid-solve; the web process does not
    ended = wait_until(
        lambda: RoutingJob.objects.filter(id=job_id, status__in=["succeeded", "failed"]).first(),
        timeout=90,
        what="the job to reach a terminal state",
    )
    assert (ended.status, ended.attempts, ended.error) == ("succeeded", 2, "")
    check_plan(plans.plan_json(RoutePlan.objects.get(job=ended)), open_trips(world))


@pytest.mark.django_db(transaction=True)
def test_operators_optimise_from_the_command_line(busy_fleet, settings, capsys):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    world, heavy, _ = busy_fleet
    settings.CELERY_TASK_ALWAYS_EAGER = True  # no routing worker here: the job runs in-process, as embedded
    from celery import current_app

    current_app.conf.task_always_eager = True
    try:
        call_command("dispatch_optimize", "--fleet", str(world.fleet_id), "--seconds", "1", "--wait")
    finally:
        current_app.conf.task_always_eager = False
    out = capsys.readouterr().out
    assert "routes" in out and f"not served {heavy}: too big for every vehicle on shift" in out
    with pytest.raises(CommandError):
        call_command("dispatch_optimize", "--fleet", "nope")
    with pytest.raises(CommandError):
        call_command("dispatch_optimize", "--fleet", str(world.fleet_id), "--seconds", "0")
    queued = RoutingJob.objects.count()
    nowhere = uuid.uuid4()
    with pytest.raises(CommandError, match=f"no fleet with id {nowhere}"):  # manage.py exits 1
        call_command("dispatch_optimize", "--fleet", str(nowhere))
    with pytest.raises(CommandError, match="no such plan in this fleet"):
        call_command("dispatch_optimize", "--fleet", str(world.fleet_id), "--from-plan", str(uuid.uuid4()))
    assert RoutingJob.objects.count() == queued  # nothing was queued for them


def test_a_routing_job_cut_off_from_redis_is_run_again_not_failed(dispatch_world, tmp_path, settings):
    """Redis (the live map the planner reads) goes away while a job runs: that is an outage, not a bad job. It
    stays running for the broker's redelivery (or the reaper) and succeeds once Redis is back."""
    from apps.dispatch import live
    from logitrack.testing.processes import RedisServer

    private = RedisServer(tmp_path / "redis")
    private.start()
    shared, settings.REDIS_URL = settings.REDIS_URL, private.url  # the live store only; not the channel layer
    live.store.cache_clear()
    try:
        job = RoutingJobFactory(fleet_id=dispatch_world.fleet_id, seconds=1)
        private.stop()
        routing_jobs.routing_job_run(job_id=job.id)
        job.refresh_from_db()
        assert (job.status, job.attempts, job.error) == ("running", 1, "")  # not failed
        private.start()
        again = routing_jobs.routing_job_run(job_id=job.id)  # as the redelivered task does
        assert again is not None and (again.status, again.attempts) == ("succeeded", 2)
    finally:
        private.stop()
        settings.REDIS_URL = shared
        live.store.cache_clear()

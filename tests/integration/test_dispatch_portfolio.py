"""The solver portfolio through the real routing-job path: depot rounds go to PyVRP (beside OR-Tools), pickups
elsewhere stay with OR-Tools, every plan passes the independent checker, and the job keeps its time budget."""

import pytest

from apps.dispatch.models import RoutePlan
from apps.dispatch.services import plans, routing_jobs
from apps.trips.models import Shift
from tests.integration.test_dispatch_routing import SPOTS, check_plan, open_trips
from tests.support.dispatch_world import BERLIN
from tests.support.isolation import client_for


def book_from_depot(world, dropoff, weight, window=None):
    """A van trip picked up at the fleet's depot (the service area's centre, where vans without a position start)."""
    drop = {"kind": "dropoff", "address": "drop", "lat": dropoff[0], "lng": dropoff[1], "service_minutes": 3}
    if window:
        drop |= {"window_start": window[0].isoformat(), "window_end": window[1].isoformat()}
    response = client_for(world.fleets.customer).post(
        "/api/v1/trips/trips/",
        {
            "fleet_id": str(world.fleet_id),
            "vehicle_type": "van",
            "stops": [{"kind": "pickup", "address": "depot", "lat": BERLIN[0], "lng": BERLIN[1]}, drop],
            "weight_kg": weight,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def run_job(world, seconds):
    job = routing_jobs.routing_job_run(
        job_id=routing_jobs.routing_job_create(fleet_id=world.fleet_id, seconds=seconds, actor_id=None).id
    )
    assert (job.status, job.error) == ("succeeded", "")
    # the budget: from the job starting (model built, solved, plan written) to its end
    took = (job.finished_at - job.started_at).total_seconds()
    assert took <= seconds + 0.5, f"{took:.2f}s for {seconds}s: {job.stats}"
    return job, plans.plan_json(RoutePlan.objects.get(job=job))


@pytest.mark.django_db
def test_depot_rounds_are_solved_by_pyvrp_and_checked(dispatch_world, settings):
    world = dispatch_world
    Shift.objects.filter(id__in=[c.shift_id for c in world.crews]).update(pooling=True)  # vans on rounds
    from django.utils import timezone

    now = timezone.now()
    trips = [book_from_depot(world, drop, weight=100 + 40 * n) for n, (_, drop) in enumerate(SPOTS)]
    trips += [
        book_from_depot(world, pick, weight=120, window=(now, now + timezone.timedelta(hours=1)))
        for pick, _ in SPOTS[:3]
    ]
    job, plan = run_job(world, seconds=2)
    check_plan(plan, open_trips(world), pooling=True)
    assert plan["unserved"] == [] and job.stats["served"] == len(trips)
    # nine trips: PyVRP finds the best plan at once, and a tie keeps PyVRP's
    assert (job.stats["solver"], job.stats["solver_note"]) == ("pyvrp", ""), job.stats
    candidates = job.stats["candidates"]
    assert candidates["pyvrp"] == {"distance_m": plan["distance_m"], "left_out": 0}
    assert candidates["ortools"] is None or candidates["ortools"]["distance_m"] >= plan["distance_m"]
    shown = world.fleets.a.client("dispatcher").get(f"/api/v1/dispatch/routing-jobs/{job.id}/").json()
    assert (shown["solver"], shown["candidates"], shown["solver_note"]) == ("pyvrp", candidates, "")
    for route in plan["routes"]:  # loaded at the depot as the van leaves, then the drop-offs
        kinds = [s["kind"] for s in route["stops"]]
        assert kinds == sorted(kinds, key=lambda k: k != "pickup")

    settings.DISPATCH_SOLVER_PORTFOLIO = False
    job, plan = run_job(world, seconds=1)
    check_plan(plan, open_trips(world), pooling=True)
    assert (job.stats["solver"], job.stats["candidates"]) == ("ortools", {})
    assert job.stats["solver_note"] == "the portfolio is off"

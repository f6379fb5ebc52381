"""Route plans: accepting one (its trips assigned through trips), inserting a trip into one without a re-solve."""

from __future__ import annotations

import uuid

from django.utils import timezone

from apps.dispatch import feed, integrations, planning, schemas
from apps.dispatch.contracts import PlanNotAcceptable, PlanNotFound, PlanStatus
from apps.dispatch.models import RoutePlan
from apps.dispatch.optimization import insertion, routing_model
from apps.trips.contracts import IllegalTransition, StaleVersion, TripRef, TripStatus, vehicle_serves_booking
from logitrack.db import contexts


def plan_json(plan: RoutePlan) -> dict:
    return feed.jsonable(schemas.PlanOutput(plan).data)


@contexts.atomic("dispatch")
def plan_accept(*, plan_id: uuid.UUID, actor_id: uuid.UUID | None) -> RoutePlan:
    """Assign the plan's requested trips to the planned shifts through trips' api (its checks apply). Trips
    that changed since the plan was made are reported, not forced. Older plans of the fleet are superseded."""
    plan = RoutePlan.objects.select_for_update().filter(id=plan_id).first()
    if plan is None:
        raise PlanNotFound("no such plan")
    if plan.status != PlanStatus.PROPOSED:
        raise PlanNotAcceptable(f"the plan is {plan.status}; only a proposed plan can be accepted")
    planned = [uuid.UUID(trip_id) for trip_id in {t for route in plan.routes for t in _trips_of(route)}]
    # one read for the whole plan; a trip not open any more has ended (completed, cancelled or failed)
    trips = {str(t.id): t for t in integrations.trips_open(fleet_id=plan.fleet_id, trip_ids=planned)}
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


@contexts.atomic("dispatch")
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
    inserted = insertion.insert_chain(built.model, current, chain)
    if inserted is None:
        raise PlanNotAcceptable(
            "no vehicle in the plan can take the trip within its time windows and capacity; run an optimisation",
            extra={"trip_id": str(trip_id)},
        )
    checked, _ = routing_model.check_routes(built.model, inserted)
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

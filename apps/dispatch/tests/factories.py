"""Dispatch's models for tests, with factory-boy: routing jobs (queued, or running on a worker that vanished),
route plans, position pings and auto-dispatch attempts. Ids of other contexts (fleet, driver, trip) are plain uuids:
pass the real ones where a test needs them to match."""

from __future__ import annotations

import datetime as dt
import uuid

import factory
from django.utils import timezone

from apps.dispatch.contracts import JobStatus
from apps.dispatch.models import DispatchAttempt, PositionPing, RoutePlan, RoutingJob


class RoutingJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoutingJob

    fleet_id = factory.LazyFunction(uuid.uuid4)
    seconds = 1

    class Params:
        # its worker took it `minutes_ago` and was never heard of again (the reaper's case)
        vanished = factory.Trait(
            status=JobStatus.RUNNING,
            attempts=1,
            started_at=factory.LazyAttribute(lambda o: timezone.now() - dt.timedelta(minutes=o.minutes_ago)),
        )
        minutes_ago = 5


class RoutePlanFactory(factory.django.DjangoModelFactory):
    """A proposed plan; `routes` as planning.routes_json writes them."""

    class Meta:
        model = RoutePlan

    fleet_id = factory.LazyFunction(uuid.uuid4)
    origin = factory.LazyFunction(timezone.now)
    routes = factory.LazyFunction(list)
    unserved = factory.LazyFunction(list)
    distance_m = 0


class PositionPingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PositionPing

    ping_id = factory.LazyFunction(uuid.uuid4)
    driver_id = factory.LazyFunction(uuid.uuid4)
    fleet_id = factory.LazyFunction(uuid.uuid4)
    recorded_at = factory.LazyFunction(timezone.now)
    received_at = factory.LazyFunction(timezone.now)
    lat = 52.52
    lng = 13.405


class DispatchAttemptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DispatchAttempt

    trip_id = factory.LazyFunction(uuid.uuid4)
    fleet_id = factory.LazyFunction(uuid.uuid4)


def stale_job(**fields) -> RoutingJob:
    """A routing job whose worker vanished long ago: running, its last attempt used, started an hour ago."""
    return RoutingJobFactory(vanished=True, attempts=2, minutes_ago=60, **fields)

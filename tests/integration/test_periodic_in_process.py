"""The embedded default's beat (logitrack.periodic): the schedule's jobs run in the web process, so an offer
nobody answers lapses and goes to the next driver without a beat process."""

import datetime as dt
import time

import pytest
from celery.schedules import crontab
from django.utils import timezone

from apps.trips.models import Offer
from config.celery import app
from logitrack.periodic import InProcessBeat
from tests.integration.test_dispatch_matching import pending_offer, place
from tests.support.dispatch_world import book_van

# the thread has its own database connection: it sees only committed rows
pytestmark = pytest.mark.django_db(transaction=True)


def test_every_entry_waits_for_its_own_schedule():
    beat = InProcessBeat(
        app,
        {
            "often": {"task": "trips.expire_offers", "schedule": 5.0},
            "nightly": {"task": "outbox.purge", "schedule": crontab(minute=17, hour=3)},
        },
    )
    now = app.now()
    beat.last_run = {"often": now - dt.timedelta(seconds=6), "nightly": now - dt.timedelta(seconds=6)}
    assert beat.due() == ["often"]
    assert beat.due() == []  # counted from this run
    beat.last_run["nightly"] = now - dt.timedelta(days=1, minutes=1)
    assert beat.due() == ["nightly"]


def test_the_production_schedule_names_only_tasks_that_exist():
    beat = InProcessBeat(app, app.conf.beat_schedule)
    assert {entry["task"] for entry in beat.entries.values()} <= set(app.tasks)
    assert {"trips-expire-offers", "identity-purge", "billing-catch-up-documents"} <= set(beat.entries)


def test_an_unanswered_offer_lapses_and_goes_to_the_next_driver(dispatch_world, relay_and_deliver):
    world = dispatch_world
    first, second, _ = world.crews
    place(world.crews, [0, 1, 2])
    trip_id = book_van(world)
    relay_and_deliver()
    offer = pending_offer(trip_id)
    assert offer.driver_id == first.driver.id
    Offer.objects.filter(id=offer.id).update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    beat = InProcessBeat(
        app,
        {
            "broken": {"task": "no.such.task", "schedule": 0.1},  # logged; the others still run
            "offers": {"task": "trips.expire_offers", "schedule": 0.1},
        },
        tick=0.05,
    )
    beat.start()
    try:
        deadline = time.monotonic() + 10
        while Offer.objects.get(id=offer.id).status == Offer.Status.PENDING and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        beat.stop()
        beat.join(5)
    assert not beat.is_alive()
    assert Offer.objects.get(id=offer.id).status == Offer.Status.EXPIRED
    assert beat.runs["offers"] >= 1 and beat.runs["broken"] == 0
    relay_and_deliver()
    assert pending_offer(trip_id).driver_id == second.driver.id

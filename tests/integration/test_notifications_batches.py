"""The customers' "delivered" messages of a batch of completions (notifications.tell_delivered's batch handler): the
same deliveries, rendered alike, as one by one — language preferences, opt-outs, no contact, tracking links — with
one look-up of each kind and one insert whatever the batch's size; a redelivered batch makes nothing again."""

import re
import uuid

import pytest
from django.utils import timezone

from apps.identity.models import User
from apps.notifications.domain import StopView, TripView
from apps.notifications.models import Delivery, DeliveryAttempt, Preference
from apps.notifications.services import messages
from logitrack.db import contexts
from tests.support import trip_world

world = trip_world.world  # fixture: a fleet with a van on a shift, the two fleets' people
pytestmark = pytest.mark.django_db
COMPLETED = "logitrack.trips.trip.completed.v2"
UNSUBSCRIBE = re.compile(r"/unsubscribe/[\w.:-]+/")
PICKUP = ("Invalidenstraße 1, Berlin", 52.5310, 13.3847)
DROPOFF = ("Oranienstraße 25, Berlin", 52.5016, 13.4190)


def completions(world):
    """(event id, type, trip) of completed trips: customers with a phone, with an English preference, opted out of
    email, erased, and none."""
    two_fleets, fleet, *_ = world
    people = []
    for n, (phone, pref) in enumerate((("+4915112345678", None), ("", "en"), ("", "email"), ("", "erased"))):
        user = User.objects.create_user(email=f"c{n}@example.test", password="x" * 12, display_name=f"Cu {n}")
        user.phone, user.is_active = phone, pref != "erased"
        user.save()
        if pref in ("en", "email"):
            Preference.objects.create(user_id=user.id, language="en" if pref == "en" else "", opted_out=[pref])
        people.append(user.id)
    out = []
    for customer in [*people, people[0], None]:
        booked = trip_world.book_as_customer(fleet.id, customer or two_fleets.customer.id, PICKUP, DROPOFF)
        trip = TripView(
            id=booked.id,
            fleet_id=fleet.id,
            customer_id=customer,
            driver_id=None,
            vehicle_id=None,
            requested_for=None,
            ended_at=timezone.now(),
            stops=(
                StopView(sequence=1, kind="pickup", status="done", address=PICKUP[0]),
                StopView(sequence=2, kind="dropoff", status="done", address=DROPOFF[0]),
            ),
        )
        out.append((uuid.uuid4(), COMPLETED, trip))
    return out


def log():
    fields = ("key", "kind", "channel", "recipient_id", "address", "language", "subject", "text", "html", "headers")
    rows = Delivery.objects.order_by("key").values_list(*fields, "sender_name", "data", "status", "last_error")
    attempts = DeliveryAttempt.objects.order_by("delivery__key").values_list("delivery__key", "outcome", "error")
    return list(rows), list(attempts)


def masked(state):
    """An unsubscribe link is signed with the time it was made: the rows as text, the same but for that."""
    rows, attempts = state
    return [UNSUBSCRIBE.sub("/unsubscribe/…/", repr(row)) for row in rows], attempts


class Undo(Exception):
    pass


def test_a_batch_makes_the_same_deliveries_as_one_by_one(world, django_assert_max_num_queries):
    sent = completions(world)
    try:
        with contexts.atomic("notifications"):
            made = sum(messages.completed(event_id=e, event_type=t, trip=trip) for e, t, trip in sent)
            one_by_one = log()
            raise Undo
    except Undo:
        pass
    assert not Delivery.objects.exists()

    # brandings, proofs, contacts, preferences, links, opt-outs, keys made, insert deliveries, insert attempts
    with django_assert_max_num_queries(9):
        assert messages.completed_many(events=sent) == made == 6  # (email, sms) × 2, email, email suppressed
    assert masked(log()) == masked(one_by_one)

    rows, attempts = one_by_one
    assert {r[5] for r in rows} == {"de", "en"}  # the fleet's language, and the customer's preference
    assert any("/track/" in r[7] for r in rows)  # their tracking links
    assert sorted(a[2] for a in attempts) == sorted(
        ["no adapter for the sms channel", "no adapter for the sms channel", "the recipient opted out of email"]
    )
    assert messages.completed_many(events=sent) == 0  # redelivered: nothing made again

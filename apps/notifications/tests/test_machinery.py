"""The delivery machinery against a real SMTP server: retries with growing delays, dead letters, replay,
idempotency, leases, rate limits and quiet hours, suppression."""

import datetime as dt
import uuid

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.notifications.contracts import Channel, DeliveryStatus
from apps.notifications.models import Delivery, DeliveryAttempt, Preference
from apps.notifications.services import deliveries
from apps.notifications.tests.support import due_now, make_delivery
from logitrack.testing.metrics import scraped

pytestmark = pytest.mark.django_db


def test_a_451_is_retried_with_growing_jittered_delays_then_sent_once(smtp, settings):
    settings.NOTIFICATIONS_RETRY_BASE_SECONDS, settings.NOTIFICATIONS_RETRY_MAX_SECONDS = 10, 3600
    smtp.data_replies = ["451 4.3.0 try again later", "451 4.3.0 try again later"]
    delivery = make_delivery()
    series = 'logitrack_notification_deliveries_total{{channel="{}",outcome="{}"}}'.format
    counted = {o: scraped(series(delivery.channel, o)) for o in ("transient", "sent")}

    delays = []
    for _ in range(2):
        before = timezone.now()
        assert deliveries.delivery_send(delivery_id=delivery.id) == "transient"
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.PENDING
        delays.append((delivery.next_attempt_at - before).total_seconds())
        # not due yet: nothing is sent before its time
        assert deliveries.delivery_send(delivery_id=delivery.id) is None
        due_now(delivery)
    # measured from before the try: the SMTP round trip adds a little (slack for a busy machine)
    assert 5 <= delays[0] <= 12  # attempt 1: between base/2 and base
    assert 10 <= delays[1] <= 22  # attempt 2: doubled
    assert deliveries.delivery_send(delivery_id=delivery.id) == "sent"
    assert scraped(series(delivery.channel, "transient")) == counted["transient"] + 2
    assert scraped(series(delivery.channel, "sent")) == counted["sent"] + 1

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.provider) == (DeliveryStatus.SENT, 3, "smtp")
    assert len(smtp.received) == 1
    log = list(delivery.attempt_log.values_list("outcome", "status_code"))
    assert log == [("transient", 451), ("transient", 451), ("sent", None)]
    # a sent delivery is never sent again
    due_now(delivery)
    assert deliveries.delivery_send(delivery_id=delivery.id) is None
    assert len(smtp.received) == 1


def test_a_550_recipient_is_dead_at_once_and_replay_sends_it_once(smtp, settings):
    smtp.refuse = {"gone@example.test"}
    delivery = make_delivery(address="gone@example.test")
    assert deliveries.delivery_send(delivery_id=delivery.id) == "permanent"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DEAD, 1)
    assert "550" in delivery.last_error
    assert deliveries.deliveries_send_due() == 0  # the dead stay dead
    assert smtp.received == []

    smtp.refuse = set()  # the mailbox is fixed
    out = _replay("--id", str(delivery.id), "--inline")
    assert f"re-queued {delivery.id} trip.confirmed email (replay 1)" in out
    assert "  sent" in out
    delivery.refresh_from_db()
    assert (delivery.status, delivery.replay_count) == (DeliveryStatus.SENT, 1)
    assert len(smtp.received) == 1
    # replaying again finds nothing dead: sent once
    assert "no deliveries match" in _replay("--id", str(delivery.id), "--inline")
    assert len(smtp.received) == 1


def _replay(*args):
    import io

    out = io.StringIO()
    call_command("notifications_replay", *args, stdout=out)
    return out.getvalue()


def test_replay_by_time_range_kind_and_channel(smtp):
    smtp.refuse = {"a@example.test", "b@example.test"}
    first = make_delivery(address="a@example.test", kind="trip.failed")
    second = make_delivery(address="b@example.test", kind="trip.cancelled")
    for d in (first, second):
        deliveries.delivery_send(delivery_id=d.id)
    Delivery.objects.filter(id=first.id).update(created_at=timezone.now() - dt.timedelta(days=2))
    smtp.refuse = set()
    since = (timezone.now() - dt.timedelta(hours=1)).isoformat()
    out = _replay("--since", since, "--channel", "email", "--kind", "trip.cancelled", "--inline")
    assert str(second.id) in out and str(first.id) not in out
    assert [m["To"] for m in smtp.messages()] == ["b@example.test"]


def test_the_last_attempt_makes_it_dead(smtp, settings):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 2
    smtp.data_replies = ["421 4.4.2 busy", "452 4.3.1 out of memory"]
    delivery = make_delivery()
    assert deliveries.delivery_send(delivery_id=delivery.id) == "transient"
    due_now(delivery)
    assert deliveries.delivery_send(delivery_id=delivery.id) == "transient"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DEAD, 2)


def test_an_unreachable_server_is_transient(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2  # nothing listens
    delivery = make_delivery()
    assert deliveries.delivery_send(delivery_id=delivery.id) == "transient"
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING and "unreachable" in delivery.last_error


def test_a_live_claim_is_not_taken_again_and_a_lapsed_one_is(smtp, settings):
    delivery = make_delivery()
    # a worker claimed it and was killed before sending: its lease is live
    Delivery.objects.filter(id=delivery.id).update(claimed_until=timezone.now() + dt.timedelta(minutes=2))
    assert deliveries.delivery_send(delivery_id=delivery.id) is None
    assert deliveries.deliveries_send_due() == 0
    assert smtp.received == []
    # the lease lapses: the sweep takes it and sends it, once
    Delivery.objects.filter(id=delivery.id).update(claimed_until=timezone.now() - dt.timedelta(seconds=1))
    assert deliveries.deliveries_send_due() == 1
    assert deliveries.deliveries_send_due() == 0
    assert len(smtp.received) == 1


def test_the_sweep_leaves_rows_that_are_not_overdue_to_their_own_job(smtp):
    make_delivery()
    assert deliveries.deliveries_send_due(overdue_by=60) == 0
    assert deliveries.deliveries_send_due(overdue_by=0) == 1
    assert len(smtp.received) == 1


def test_rate_limit_defers_non_urgent_messages_and_lets_urgent_ones_through(smtp, settings):
    settings.NOTIFICATIONS_RATE_LIMIT, settings.NOTIFICATIONS_RATE_WINDOW_MINUTES = 2, 60
    user = uuid.uuid4()
    rows = [make_delivery(recipient_id=user, address="ana@example.test") for _ in range(3)]
    urgent = make_delivery(recipient_id=user, address="ana@example.test", urgent=True, kind="trip.arriving")
    outcomes = [deliveries.delivery_send(delivery_id=r.id) for r in rows]
    assert outcomes == ["sent", "sent", "deferred"]
    held = Delivery.objects.get(id=rows[2].id)
    first_sent = Delivery.objects.get(id=rows[0].id).sent_at
    assert held.status == DeliveryStatus.PENDING and held.attempts == 0
    assert held.next_attempt_at == first_sent + dt.timedelta(minutes=60)  # deferred, not lost
    assert held.attempt_log.get().outcome == DeliveryAttempt.Outcome.DEFERRED
    assert deliveries.delivery_send(delivery_id=urgent.id) == "sent"
    assert len(smtp.received) == 3
    # an hour later it goes
    Delivery.objects.filter(recipient_id=user, status="sent").update(sent_at=timezone.now() - dt.timedelta(hours=2))
    due_now(held)
    assert deliveries.delivery_send(delivery_id=held.id) == "sent"


def test_quiet_hours_defer_non_urgent_messages_to_their_end(smtp):
    user = uuid.uuid4()
    now = timezone.now().astimezone(dt.UTC)
    start, end = (
        (now - dt.timedelta(hours=1)).time(),
        (now + dt.timedelta(hours=2)).time().replace(second=0, microsecond=0),
    )
    Preference.objects.create(user_id=user, quiet_start=start, quiet_end=end, time_zone="UTC")
    quiet = make_delivery(recipient_id=user)
    urgent = make_delivery(recipient_id=user, urgent=True, kind="trip.arriving")
    assert deliveries.delivery_send(delivery_id=quiet.id) == "deferred"
    quiet.refresh_from_db()
    expected = dt.datetime.combine((now + dt.timedelta(hours=2)).date(), end, tzinfo=dt.UTC)
    assert quiet.next_attempt_at == expected
    assert "quiet hours" in quiet.attempt_log.get().error
    assert deliveries.delivery_send(delivery_id=urgent.id) == "sent"
    assert [m["Subject"] for m in smtp.messages()] == ["Hello"]


def test_no_adapter_no_address_and_opt_out_are_suppressed_with_a_reason(smtp, settings):
    settings.NOTIFICATIONS_ADAPTERS = {"email": "apps.notifications.channels.email.EmailAdapter"}
    sms = make_delivery(channel=Channel.SMS, address="+4915112345678")
    assert (sms.status, sms.last_error) == (DeliveryStatus.SUPPRESSED, "no adapter for the sms channel")
    nobody = make_delivery(address="")
    assert (nobody.status, nobody.last_error) == (DeliveryStatus.SUPPRESSED, "no address")
    user = uuid.uuid4()
    pending = make_delivery(recipient_id=user)
    Preference.objects.create(user_id=user, opted_out=["email"])  # opted out after it was made
    assert deliveries.delivery_send(delivery_id=pending.id) == "suppressed"
    pending.refresh_from_db()
    assert pending.status == DeliveryStatus.SUPPRESSED and "opted out" in pending.last_error
    assert smtp.received == []


def test_an_erased_recipient_is_scrubbed_from_the_log(smtp):
    user = uuid.uuid4()
    sent = make_delivery(recipient_id=user, address="ana@example.test", text="Hi Ana, Invalidenstraße 1")
    deliveries.delivery_send(delivery_id=sent.id)
    waiting = make_delivery(recipient_id=user, address="ana@example.test")
    other = make_delivery(recipient_id=uuid.uuid4(), address="bob@example.test")
    deliveries.recipient_erase(user_id=user)
    for row in Delivery.objects.filter(recipient_id=user):
        assert (row.address, row.text, row.html, row.subject, row.data) == ("[erased]", "", "", "", {})
    assert Delivery.objects.get(id=waiting.id).status == DeliveryStatus.SUPPRESSED
    assert Delivery.objects.get(id=sent.id).status == DeliveryStatus.SENT  # the fact stays, without the person
    assert Delivery.objects.get(id=other.id).address == "bob@example.test"


def test_an_erasure_while_a_sender_holds_the_delivery_is_not_undone(smtp, settings):
    """The sender loaded the row (with the address and text) before the erasure scrubbed it; its write-backs (the
    receipt it waited for, a failure's retry) must not bring back what was erased, nor send it."""
    settings.NOTIFICATIONS_RECEIPT_WAIT_SECONDS = 0  # no receipt: send without, after rendering it once more
    user = uuid.uuid4()
    made = make_delivery(recipient_id=user, text="Hi Ana", data={"receipt_trip_id": str(uuid.uuid4())})
    held = Delivery.objects.get(id=made.id)  # what the sender holds
    deliveries.recipient_erase(user_id=user)
    assert deliveries._attempt(held) == "suppressed"
    row = Delivery.objects.get(id=made.id)
    assert (row.status, row.address, row.text, row.data) == (DeliveryStatus.SUPPRESSED, "[erased]", "", {})
    assert smtp.received == []


def test_the_sweep_keeps_one_smtp_connection_and_opens_a_new_one_after_a_failure(smtp):
    smtp.refuse = {"gone@example.test"}
    rows = [
        make_delivery(address=a) for a in ("a@example.test", "b@example.test", "gone@example.test", "d@example.test")
    ]
    for i, row in enumerate(rows):  # sent in this order
        Delivery.objects.filter(id=row.id).update(next_attempt_at=timezone.now() - dt.timedelta(seconds=10 - i))
    assert deliveries.deliveries_send_due() == 4
    assert [Delivery.objects.get(id=r.id).status for r in rows] == ["sent", "sent", "dead", "sent"]
    assert [m["To"] for m in smtp.messages()] == ["a@example.test", "b@example.test", "d@example.test"]
    first, second, after_failure = smtp.peers
    assert first == second  # one connection for the batch
    assert after_failure != first  # the refusal dropped it; the next mail opened a fresh one


def test_a_line_break_in_a_fleet_name_or_subject_does_not_break_the_mail(smtp):
    """Names are typed by people; a line break would make the header invalid (BadHeaderError on every retry,
    then dead). It is sent with the break folded into a space, and injects no header."""
    delivery = make_delivery(sender_name="Alpha\nLogistics", subject="Your booking\r\nBcc: x@example.test")
    assert deliveries.delivery_send(delivery_id=delivery.id) == "sent"
    [mail] = smtp.messages()
    assert mail["Subject"] == "Your booking Bcc: x@example.test" and mail["Bcc"] is None
    assert mail["From"].startswith('"Alpha Logistics"') or mail["From"].startswith("Alpha Logistics")

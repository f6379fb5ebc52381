import datetime as dt
import uuid

from apps.notifications import domain

UTC = dt.UTC


def at(hour, minute=0, day=6):
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=UTC)


def test_quiet_hours_across_midnight_end_the_next_local_morning():
    # 23:30 in Berlin (UTC+1 in December) is inside 22:00-07:00; they end at 07:00 Berlin = 06:00 UTC next day
    until = domain.quiet_until(now=at(22, 30), start=dt.time(22), end=dt.time(7), time_zone="Europe/Berlin")
    assert until == dt.datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
    # 05:00 Berlin (04:00 UTC) is inside too; they end the same morning
    assert domain.quiet_until(now=at(4), start=dt.time(22), end=dt.time(7), time_zone="Europe/Berlin") == dt.datetime(
        2026, 12, 6, 6, 0, tzinfo=UTC
    )
    # noon is outside
    assert domain.quiet_until(now=at(11), start=dt.time(22), end=dt.time(7), time_zone="Europe/Berlin") is None


def test_quiet_hours_within_a_day_and_none_set():
    assert domain.quiet_until(now=at(13), start=dt.time(12), end=dt.time(14), time_zone="UTC") == at(14)
    assert domain.quiet_until(now=at(14), start=dt.time(12), end=dt.time(14), time_zone="UTC") is None
    assert domain.quiet_until(now=at(13), start=None, end=None, time_zone="UTC") is None


def test_rate_limit_defers_until_the_oldest_message_leaves_the_window():
    window = dt.timedelta(hours=1)
    sent = [at(10, 0), at(10, 20), at(10, 40)]
    assert domain.rate_limited_until(sent_at=sent, now=at(10, 50), limit=4, window=window) is None
    assert domain.rate_limited_until(sent_at=sent, now=at(10, 50), limit=3, window=window) == at(11, 0)
    assert domain.rate_limited_until(sent_at=sent, now=at(10, 50), limit=2, window=window) == at(11, 20)
    assert domain.rate_limited_until(sent_at=sent, now=at(11, 30), limit=3, window=window) is None


def test_delivery_key_names_event_recipient_channel_and_kind():
    event = uuid.uuid4()
    assert domain.delivery_key(event_id=event, recipient="r", channel="email", kind="trip.confirmed") == (
        f"{event}:r:email:trip.confirmed"
    )

"""A clock tests set: `django.utils.timezone.now` (which services and auto_now fields read) answers what the test
says, so figures that depend on the time of day (local days, windows, durations) can be checked to the second."""

from __future__ import annotations

import datetime as dt
import zoneinfo


class Clock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def set(self, moment: dt.datetime) -> dt.datetime:
        if moment.tzinfo is None:
            raise ValueError("an aware datetime, please")
        self.now = moment
        return moment

    def at(self, text: str, time_zone: str) -> dt.datetime:
        """Set the clock to a local time: `clock.at("2026-11-10 23:30", "Europe/Berlin")`."""
        local = dt.datetime.fromisoformat(text).replace(tzinfo=zoneinfo.ZoneInfo(time_zone))
        return self.set(local.astimezone(dt.UTC))

    def advance(self, **delta: float) -> dt.datetime:
        return self.set(self.now + dt.timedelta(**delta))

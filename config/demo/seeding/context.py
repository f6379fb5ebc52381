"""One seeding run's state: the seeded random generator every choice comes from (the same seed, the same
operator), the clock it seeds around, the progress bar, the report it prints, and the helpers every topic uses
(unique people's names, demo accounts, relaying events in this process)."""

from __future__ import annotations

import collections
import dataclasses
import random
import uuid
from typing import TextIO

from django.utils import timezone

from apps.identity.services import accounts as identity_accounts
from config.demo.plans import FIRST, LAST
from logitrack.csvimport import progress
from logitrack.outbox.relay import relay_pending
from logitrack.outbox.sinks import InlineSink


@dataclasses.dataclass
class Report:
    fleets: list[tuple[str, str, bool]] = dataclasses.field(default_factory=list)  # (name, fleet id, created)
    logins: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (who, email)
    counts: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    tracking: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)  # (fleet, trip status, page path)


def relay() -> int:
    """Deliver everything published so far to its subscribers here (several rounds: handlers publish too)."""
    total = 0
    while (moved := relay_pending(sinks=[InlineSink()])) > 0:
        total += moved
    return total


class Seeding:
    def __init__(self, *, seed: int, password: str, out: TextIO | None) -> None:
        self.rng = random.Random(seed)
        self.password, self.out = password, out
        self.report = Report()
        self.now = timezone.now()
        self.total = 0  # progress steps expected (set by the operator once it knows the sizes)
        self._done = 0
        self._people: list[str] = []
        self._round = 0

    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def name(self) -> str:
        """A name for a contact at an address (may repeat)."""
        return f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}"

    def person(self) -> str:
        """A name no other demo user has (screens and lists tell people apart by name)."""
        if not self._people:
            self._people = [f"{first} {last}" for first in FIRST for last in LAST]
            self.rng.shuffle(self._people)
            self._round += 1
        name = self._people.pop()
        return name if self._round == 1 else f"{name} {self._round}"

    def tick(self, n: int = 1) -> None:
        self._done += n
        if self.out is not None:
            progress(min(self._done, self.total), self.total, self.out)

    def pick(self, mix):
        """One of a mix's kinds, as often as its weight says."""
        return self.rng.choices([k for k, _ in mix], weights=[w for _, w in mix])[0]

    def user(self, address: str, name: str, *, is_customer: bool = False):
        """The demo account with this email, logging in with the run's password."""
        user, _ = identity_accounts.user_ensure(
            email=address, password=self.password, display_name=name, is_customer=is_customer
        )
        return user

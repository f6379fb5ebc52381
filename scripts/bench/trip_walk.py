"""What one trip touches from booking to settlement: the project files whose functions run, the calls that cross
from one context into another, and how often the trip is read back through trips' api.

Runs tests/integration/test_trip_reads.py (booking with auto-dispatch, the offer accepted, the driver's steps,
completion, settlement, the outbox delivered after every step) under a profiler that records every call between
project functions while the test body runs. Needs the test database settings the test suite uses:

    DATABASE_URL=... REDIS_URL=... DJANGO_SETTINGS_MODULE=config.settings.test python scripts/bench/trip_walk.py
"""

from __future__ import annotations

import collections
import inspect
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("apps", "logitrack", "config")
SKIP = ("/tests/", "/testing/", "/migrations/")


def _project_file(filename: str) -> str | None:
    try:
        relative = Path(filename).resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return None
    if not relative.startswith(SOURCES) or any(s in f"/{relative}" for s in SKIP):
        return None
    return relative


def _context(relative: str) -> str:
    parts = relative.split("/")
    return f"{parts[0]}.{parts[1]}" if parts[0] == "apps" else parts[0]


class Walk:
    """A pytest plugin: records calls between project functions during each test's body."""

    def __init__(self) -> None:
        self.files: set[str] = set()
        self.functions: set[tuple[str, str]] = set()
        self.crossings: collections.Counter[tuple[str, str]] = collections.Counter()
        self.trip_reads: collections.Counter[str] = collections.Counter()

    def _profile(self, frame, event, _arg):
        # functions only: a module or class body running because something was imported lazily is not the walk
        if event != "call" or not frame.f_code.co_flags & inspect.CO_OPTIMIZED:
            return
        callee = _project_file(frame.f_code.co_filename)
        if callee is None:
            return
        self.files.add(callee)
        self.functions.add((callee, frame.f_code.co_qualname))
        if callee == "apps/trips/api.py" and frame.f_code.co_name in ("trip_get", "trips_open", "trips_of_drivers"):
            self.trip_reads[frame.f_code.co_name] += 1
        caller_frame = frame.f_back
        while caller_frame is not None and _project_file(caller_frame.f_code.co_filename) is None:
            caller_frame = caller_frame.f_back
        if caller_frame is None:
            return
        caller = _project_file(caller_frame.f_code.co_filename)
        if _context(caller) != _context(callee) and caller.startswith("apps") and callee.startswith("apps"):
            self.crossings[(_context(caller), _context(callee))] += 1

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item):
        sys.setprofile(self._profile)
        threading.setprofile(self._profile)
        try:
            return (yield)
        finally:
            sys.setprofile(None)
            threading.setprofile(None)


def main() -> int:
    walk = Walk()
    code = pytest.main(
        [str(ROOT / "tests/integration/test_trip_reads.py"), "-q", "-p", "no:cacheprovider", "--no-header"],
        plugins=[walk],
    )
    apps = sorted(f for f in walk.files if f.startswith("apps/"))
    print(f"\nproject files run: {len(walk.files)} ({len(apps)} in apps/, {len(walk.files) - len(apps)} kernel/config)")
    print(f"project functions run: {len(walk.functions)}")
    print(f"calls from one context into another: {sum(walk.crossings.values())}")
    for (a, b), n in sorted(walk.crossings.items(), key=lambda kv: -kv[1]):
        print(f"  {a} -> {b}: {n}")
    print(f"trip reads through trips' api (incl. the test's own set-up): {dict(walk.trip_reads) or 0}")
    print(f"test outcome: {'passed' if code == 0 else 'failed'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

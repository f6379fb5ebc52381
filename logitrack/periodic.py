"""The embedded default's beat: the Celery beat schedule run inside the web process, on a daemon thread.

The full stack runs `celery beat` and workers. The embedded default has neither, and without this its
offers would never lapse, stale trips never close, documents never expire. Each due entry runs its task
in this thread (`Task.apply`: in-process, synchronous), one after another, as beat would enqueue them. One
web process only: the embedded default is one process by design (its channel layer and live map are too).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping
from typing import Any

import structlog
from celery import Celery
from celery.schedules import maybe_schedule
from django.db import connections

log = structlog.get_logger(__name__)


class InProcessBeat(threading.Thread):
    def __init__(self, app: Celery, schedule: Mapping[str, Mapping[str, Any]], *, tick: float = 1.0) -> None:
        super().__init__(name="in-process-beat", daemon=True)
        self.app, self.tick = app, tick
        app.loader.import_default_modules()  # the apps' tasks modules (Celery discovers them lazily)
        self.entries = {
            name: dict(entry, schedule=maybe_schedule(entry["schedule"], app=app)) for name, entry in schedule.items()
        }
        self.runs: dict[str, int] = dict.fromkeys(self.entries, 0)
        self._stop_event = threading.Event()
        # as beat does on its first start: every entry counts from now, so nightly jobs wait for their hour
        self.last_run: dict[str, dt.datetime] = {}

    def stop(self) -> None:
        self._stop_event.set()

    def run(self) -> None:
        started = self.app.now()
        self.last_run = dict.fromkeys(self.entries, started)
        while not self._stop_event.wait(self.tick):
            for name in self.due():
                self._run(name)

    def due(self) -> list[str]:
        names = []
        for name, entry in self.entries.items():
            is_due, _ = entry["schedule"].is_due(self.last_run[name])
            if is_due:
                self.last_run[name] = self.app.now()
                names.append(name)
        return names

    def _run(self, name: str) -> None:
        entry = self.entries[name]
        try:
            result = self.app.tasks[entry["task"]].apply(args=entry.get("args", ()), kwargs=entry.get("kwargs", {}))
            if result.failed():
                log.error("periodic.failed", entry=name, task=entry["task"], error=repr(result.result))
            else:
                self.runs[name] += 1
        except Exception:  # an unknown task name or a broken entry must not stop the others
            log.exception("periodic.failed", entry=name, task=entry.get("task"))
        finally:
            connections.close_all()  # this thread's connections only: not held between runs

"""Periodic jobs that ride out outages: the full stack's beat scheduler (`DatabaseScheduler`) and the embedded
default's beat (`InProcessBeat`), the Celery beat schedule run inside the web process, on a daemon thread.

The full stack runs `celery beat` and workers. The embedded default has neither, and without this its
offers would never lapse, stale trips never close, documents never expire. Each due entry runs its task
in this thread (`Task.apply`: in-process, synchronous), one after another, as beat would enqueue them. One
web process only: the embedded default is one process by design (its channel layer and live map are too).

Both keep running through an outage of PostgreSQL or the broker, back off while it lasts (logitrack.resilience:
logged once as `outage.began`, once as `outage.ended`), and run what the outage made fail as soon as the service is
back, rather than at the job's next slot (a nightly job would otherwise wait a day).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Mapping
from typing import Any

import structlog
from celery import Celery
from celery.schedules import maybe_schedule
from django.core.exceptions import ObjectDoesNotExist
from django.db import close_old_connections, connections, transaction
from django.db.utils import DatabaseError, InterfaceError
from django_celery_beat import schedulers

from logitrack import heartbeats, resilience

log = structlog.get_logger(__name__)


class InProcessBeat(threading.Thread):
    def __init__(self, app: Celery, schedule: Mapping[str, Mapping[str, Any]], *, tick: float = 1.0) -> None:
        super().__init__(name="in-process-beat", daemon=True)
        self.app, self.tick = app, tick
        app.loader.import_default_modules()  # the apps' tasks modules (Celery discovers them lazily)
        self.entries = {
            name: dict(entry, schedule=maybe_schedule(entry["schedule"], app=app))
            for name, entry in schedule.items()
            if entry["task"] != heartbeats.HEARTBEAT_TASK  # no separate workers here to beat for
        }
        self.runs: dict[str, int] = dict.fromkeys(self.entries, 0)
        self._stop_event = threading.Event()
        # as beat does on its first start: every entry counts from now, so nightly jobs wait for their hour
        self.last_run: dict[str, dt.datetime] = {}
        self.outage = resilience.Backoff("periodic.embedded")
        self.retry_at: dict[str, float] = {}  # entries that failed for an outage: run again at this monotonic time

    def stop(self) -> None:
        self._stop_event.set()

    def run(self) -> None:
        started = self.app.now()
        self.last_run = dict.fromkeys(self.entries, started)
        quiet = _QuietRetries(self)
        logging.getLogger("celery.app.trace").addFilter(quiet)
        try:
            while not self._stop_event.wait(self.tick):
                for name in self.due():
                    self._run(name)
        finally:
            logging.getLogger("celery.app.trace").removeFilter(quiet)

    def due(self) -> list[str]:
        names, now = [], time.monotonic()
        for name, entry in self.entries.items():
            if name in self.retry_at:
                if self.retry_at[name] <= now:
                    del self.retry_at[name]
                    names.append(name)
                continue
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
                self._failed(name, result.result)
            else:
                self.runs[name] += 1
                if not self.retry_at:  # a job that needs no database (no screen to push a board to) proves nothing
                    self.outage.succeeded()
        except Exception as exc:  # an unknown task name or a broken entry must not stop the others
            self._failed(name, exc)
        finally:
            resilience.close_broken_connections()
            connections.close_all()  # this thread's connections only: not held between runs

    def _failed(self, name: str, exc: BaseException) -> None:
        entry = self.entries[name]
        if resilience.is_unavailable(exc):  # try again after the backoff, not at its next slot
            self.retry_at[name] = time.monotonic() + self.outage.failed(exc, entry=name)
        else:
            log.error("periodic.failed", entry=name, task=entry.get("task"), error=repr(exc))


class _QuietRetries(logging.Filter):
    """Celery logs each failed run with its traceback; during an outage the beat's retries would repeat it every
    few seconds. Once the outage is logged, this drops the beat thread's repeats of it."""

    def __init__(self, beat: InProcessBeat) -> None:
        super().__init__()
        self.beat = beat

    def filter(self, record: logging.LogRecord) -> bool:
        repeat = threading.current_thread() is self.beat and self.beat.outage.down
        exc = record.exc_info[1] if record.exc_info else None
        return not (repeat and exc is not None and resilience.is_unavailable(exc))


class DatabaseScheduler(schedulers.DatabaseScheduler):  # type: ignore[misc]  # django-celery-beat is untyped
    """django-celery-beat's scheduler (the schedule in the database, as deployed), made to ride out outages.

    As it comes, an unreachable database at its five-minutely full read of the schedule ends the beat process,
    every tick in between logs a traceback, and a due job whose message the broker would not take is lost until
    its next slot. Here a tick that meets an outage backs off and logs it once; a job that could not be sent is
    sent as soon as the broker answers again, then the schedule carries on."""

    _last_timestamp: Any  # django-celery-beat's, set by its __init__

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.outage = resilience.Backoff("beat")
        self.unsent: dict[str, Any] = {}  # entries due during the outage, sent when the broker is back
        self._send_failure: BaseException | None = None
        self._wait_until = 0.0
        self.pulse = heartbeats.Pulse(heartbeats.BEAT)  # /readyz: a beat whose scheduler stops ticking goes stale
        super().__init__(*args, **kwargs)

    def setup_schedule(self) -> None:
        """Beat reads its schedule from the database when it starts: one that does not answer yet (every service
        starting at once, or a database restarting) is waited for with the backoff instead of ending beat."""
        while True:
            try:
                super().setup_schedule()
            except Exception as exc:
                if not resilience.is_unavailable(exc):
                    raise
                resilience.close_broken_connections()
                self._initial_read = True  # read the whole schedule on the next try
                time.sleep(self.outage.failed(exc))
                continue
            self.outage.succeeded()
            return

    def tick(self, *args: Any, **kwargs: Any) -> float:
        self.pulse()
        if (left := self._wait_until - time.monotonic()) > 0:
            return left
        try:
            self._send_unsent()
            interval: float = super().tick(*args, **kwargs)
            if self._send_failure is not None:
                failure, self._send_failure = self._send_failure, None
                raise failure
        except Exception as exc:
            if not resilience.is_unavailable(exc):
                raise
            resilience.close_broken_connections()
            delay = self.outage.failed(exc, unsent=sorted(self.unsent))
            self._wait_until = time.monotonic() + delay
            return delay
        self.outage.succeeded()
        return interval

    def _send_unsent(self) -> None:
        for name, entry in list(self.unsent.items()):
            self.apply_async(entry, producer=self.producer, advance=False)
            del self.unsent[name]
            log.info("periodic.sent_late", entry=name, task=entry.task)

    def apply_entry(self, entry: Any, producer: Any = None) -> None:
        try:
            self.apply_async(entry, producer=producer, advance=False)
        except Exception as exc:
            if not resilience.is_unavailable(exc):
                log.error("periodic.not_sent", entry=entry.name, task=entry.task, exc_info=exc)
                return
            self.unsent[entry.name] = entry  # Scheduler.tick must go on (it reschedules the entry after this)
            self._send_failure = exc
        else:
            schedulers.info("Scheduler: Sending due task %s (%s)", entry.name, entry.task)

    def schedule_changed(self) -> bool:
        """As django-celery-beat's, except that an unreachable database is raised to `tick` (backoff, one log
        line) instead of logged with a traceback on every tick."""
        close_old_connections()
        try:
            transaction.commit()
        except transaction.TransactionManagementError:
            pass
        last: Any = self._last_timestamp
        ts = self.Changes.last_change()
        try:
            return bool(ts and ts > (last or ts))
        finally:
            self._last_timestamp = ts

    def sync(self) -> None:
        """Write the run times back. It is also called outside `tick` (by beat's loop, and on shutdown), so an
        unreachable database is noted, not raised: the entries stay dirty and are written next time."""
        failed: set[str] = set()
        try:
            close_old_connections()
            while self._dirty:
                name = self._dirty.pop()
                try:
                    self._schedule[name].save()
                except (KeyError, TypeError, ObjectDoesNotExist):
                    failed.add(name)
                except (DatabaseError, InterfaceError):
                    failed.add(name)
                    raise
        except (DatabaseError, InterfaceError) as exc:
            resilience.close_broken_connections()
            if not resilience.is_unavailable(exc):
                log.error("periodic.sync_failed", exc_info=exc)
            elif not self.outage.down:
                self.outage.failed(exc)
        finally:
            self._dirty |= failed

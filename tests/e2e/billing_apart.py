"""The platform with billing cut out as docs/extraction.md and docs/production.md describe it, as processes.

- **The platform**: every context but billing (`LOGITRACK_CONTEXTS`) on this test's database and a Redis of its
  own: web, worker, routing worker, relay, beat, and `outbox_consume` for its subscriptions to billing's events.
  It calls billing over HTTP (`BILLING_API_MODE=remote`) and forwards billing's public API to it.
- **Billing**: its own database (created here, migrated with billing's settings, then filled from the shared
  database with `context_copy`: the runbook's data step), its own Redis, web process, worker, relay and
  `outbox_consume` for trips' events. It reads fleet, partner and identity from the platform over HTTP and checks
  access tokens with the platform's published keys only, under a secret key of its own.
- **Between them**: a NATS JetStream server (its own, on a free port) carrying the subscriptions that cross.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
from django.db import connections

from apps.billing.models import Invoice
from logitrack.db import contexts
from logitrack.outbox.models import DeadLetter, OutboxMessage
from logitrack.testing.processes import (
    ROOT,
    NatsServer,
    Processes,
    RedisServer,
    database_url,
    free_port,
    process_env,
    wait_for_worker,
)
from tests.e2e.underneath import Underneath

PLATFORM_CONTEXTS = ",".join(c for c in contexts.CONTEXTS if c != "billing")
# the subscriptions that cross between the two: trips' events to billing, billing's to notifications
CROSSING = (
    "billing.settle_trip",
    "billing.charge_cancellation",
    "notifications.queue_webhooks_fare_finalised",
    "notifications.queue_webhooks_invoice_issued",
    "notifications.queue_webhooks_payout_paid",
    "notifications.queue_webhooks_payout_rejected",
    "notifications.tell_payout_paid",
    "notifications.tell_payout_rejected",
)
BILLING_CONSUMES = CROSSING[:2]
PLATFORM_CONSUMES = CROSSING[2:]


class BillingApart(Underneath):
    def __init__(self, tmp_path: Path, *, platform_redis: RedisServer, env: dict[str, str]) -> None:
        self.tmp = tmp_path
        self.db_name = f"{connections['default'].settings_dict['NAME']}_billing_{uuid.uuid4().hex[:6]}"
        self.db_url = database_url().rsplit("/", 1)[0] + f"/{self.db_name}"
        self.nats = NatsServer(tmp_path / "nats")
        self.redis = RedisServer(tmp_path / "billing-redis")
        self.billing_port, self.platform_port = free_port(), free_port()
        self.platform_base = f"http://127.0.0.1:{self.platform_port}"
        self.billing_base = f"http://127.0.0.1:{self.billing_port}"
        billing_token, platform_token = "billing-" + uuid.uuid4().hex, "platform-" + uuid.uuid4().hex
        crossing = {
            "OUTBOX_NATS_URL": self.nats.url,
            "OUTBOX_NATS_SUBSCRIPTIONS": ",".join(CROSSING),
            "OUTBOX_NATS_ACK_WAIT_SECONDS": "10",
            "OUTAGE_BACKOFF_MAX_SECONDS": "1",
            "REMOTE_API_BREAKER_RESET_SECONDS": "1",
        }
        self.platform_env = {
            **env,
            **crossing,
            "LOGITRACK_CONTEXTS": PLATFORM_CONTEXTS,
            "BILLING_API_MODE": "remote",
            "BILLING_SERVICE_URL": self.billing_base,
            "BILLING_SERVICE_TOKEN": billing_token,
            "PLATFORM_SERVICE_TOKENS": platform_token,
        }
        self.billing_env = {
            **{k: v for k, v in env.items() if k != "LOGITRACK_MEDIA_ROOT"},
            **crossing,
            # billing's database alone: no alias of the shared database's (a split test run's) reaches its processes
            "DATABASE_URL": self.db_url,
            **{f"DATABASE_URL_{c.upper()}": "" for c in contexts.CONTEXTS if c != "identity"},
            "LOGITRACK_MEDIA_ROOT": str(tmp_path / "billing-media"),
            "LOGITRACK_CONTEXTS": "billing",
            "DJANGO_SECRET_KEY": "billing-own-" + uuid.uuid4().hex,
            "BILLING_SERVICE_TOKENS": billing_token,
            "PLATFORM_API_MODE": "remote",
            "PLATFORM_SERVICE_URL": self.platform_base,
            "PLATFORM_SERVICE_TOKEN": platform_token,
            "LOGITRACK_AUTH": "jwks",
            "JWT_JWKS_URL": f"{self.platform_base}/.well-known/jwks.json",
        }
        self.platform = Processes(tmp_path, redis_url=platform_redis.url, env=self.platform_env)
        (tmp_path / "billing").mkdir()
        self.billing = Processes(tmp_path / "billing", redis_url=self.redis.url, env=self.billing_env)

    # ---- the cut ----------------------------------------------------------------------------------------------

    def create_database(self) -> None:
        """Billing's own database, with billing's tables only: migrated by billing's own settings."""
        with psycopg.connect(database_url(), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{self.db_name}"')
        self.manage(self.billing_env, "migrate", "--noinput", "-v", "0")

    def copy_data(self) -> str:
        """The runbook's data step (docs/extraction.md), run as an operator runs it: billing's rows from the shared
        database, a rehearsal first, then the copy, which verifies counts and digests on both sides."""
        source = contexts.alias("billing")
        shared = {"REDIS_URL": self.platform.redis_url or ""}
        rehearsal = self.manage(
            shared, "context_copy", "billing", "--source", source, "--target", self.db_url, "--dry-run"
        )
        return rehearsal + self.manage(shared, "context_copy", "billing", "--source", source, "--target", self.db_url)

    def drop_database(self) -> None:
        with psycopg.connect(database_url(), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')

    # ---- processes --------------------------------------------------------------------------------------------

    def start_platform(self) -> str:
        procs = self.platform
        procs.worker("worker", queues="default,events,notifications", concurrency=2)
        procs.worker("routing", queues="routing", concurrency=1)
        procs.relay()
        procs.beat()
        procs.consumer("consume", PLATFORM_CONSUMES)
        base = procs.web(port=self.platform_port)
        wait_for_worker(broker_url=self.platform_env.get("REDIS_URL") or procs.redis_url, names=("worker", "routing"))
        return base

    def start_billing(self) -> None:
        procs = self.billing
        procs.worker("billing-worker", queues="default,events,notifications", concurrency=1)
        procs.relay("billing-relay")
        procs.consumer("billing-consume", BILLING_CONSUMES)
        procs.beat("billing-beat")  # billing's periodic jobs alone, its schedule in its own database
        procs.web("billing-web", port=self.billing_port)
        wait_for_worker(broker_url=self.redis.url, names=("billing-worker",))

    def setup_streams(self) -> None:
        """The stream and each side's durable consumers (`outbox_nats_setup` on each side: its own subscriptions)."""
        self.manage(self.platform_env, "outbox_nats_setup", redis_url=self.platform.redis_url)
        self.manage(self.billing_env, "outbox_nats_setup", redis_url=self.redis.url)

    def manage(self, env: dict[str, str], *argv: str, redis_url: str | None = None) -> str:
        done = self._run(env, *argv, redis_url=redis_url)
        assert done.returncode == 0, f"manage.py {' '.join(argv)} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        return done.stdout

    def _run(self, env: dict[str, str], *argv: str, redis_url: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", *argv],
            cwd=ROOT,
            env=process_env(redis_url=redis_url or self.redis.url, **env),
            capture_output=True,
            text=True,
            timeout=180,
        )

    # ---- what the tests check below the API, on billing's own database --------------------------------------

    def _billing_rows(self, sql: str, *args: object) -> list[tuple[object, ...]]:
        with psycopg.connect(self.db_url) as conn:
            return conn.execute(sql, args).fetchall()  # type: ignore[arg-type]  # our own literal SQL

    def receipt_rendered(self, invoice_id: str) -> bool:
        return bool(
            self._billing_rows(f"SELECT 1 FROM {Invoice._meta.db_table} WHERE id = %s AND pdf_path <> ''", invoice_id)
        )

    def undelivered(self) -> int:
        waiting = self._billing_rows(f"SELECT count(*) FROM {OutboxMessage._meta.db_table} WHERE published_at IS NULL")
        return super().undelivered() + int(str(waiting[0][0]))

    def dead_letters(self) -> list[tuple[str, str]]:
        billing = self._billing_rows(f"SELECT subscriber, last_error FROM {DeadLetter._meta.db_table}")
        return super().dead_letters() + [(str(s), str(e)) for s, e in billing]

    def ledger_problems(self) -> list[str]:
        """billing_verify_ledger in billing's own environment: every invariant on billing's own database."""
        done = self._run(self.billing_env, "billing_verify_ledger")
        return [] if done.returncode == 0 else (done.stdout + done.stderr).splitlines()

"""Start real LogiTrack processes (ASGI server, Celery workers, beat, relay, a private Redis) against the test
database, and stop, kill or restart them from a test."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(settings.BASE_DIR)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_env(*, redis_url: str | None = None, **extra: str) -> dict[str, str]:
    """The environment a child needs to share this test's database (test_<name>) and Redis (this test's own
    Redis when `redis_url` is given)."""
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": redis_url or settings.REDIS_URL,
        "PYTHONUNBUFFERED": "1",
    }
    if redis_url:
        env.pop("CELERY_BROKER_URL", None)  # the broker follows REDIS_URL, as in production
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    env.update(extra)
    return env


class Processes:
    """Children started in their own process groups, logged to `log_dir/<name>.log`. `redis_url` points every
    child at a private Redis (see `RedisServer`) instead of the test settings' one; `env` is added to each."""

    def __init__(self, log_dir: Path, *, redis_url: str | None = None, env: dict[str, str] | None = None) -> None:
        self.log_dir = log_dir
        self.redis_url = redis_url
        self.env = dict(env or {})
        self.children: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, *argv: str, **env: str) -> subprocess.Popen:
        return self.spawn(name, [sys.executable, *argv], **env)

    def spawn(self, name: str, argv: list[str], **env: str) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "ab")  # a restarted child appends to its log
        proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=process_env(redis_url=self.redis_url, **{**self.env, **env}),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()  # the child holds its own descriptor
        self.children.append((name, proc))
        return proc

    def worker(self, name: str = "worker", queues: str = "default,events", concurrency: int = 2) -> subprocess.Popen:
        return self.start(
            name,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            queues,
            "-c",
            str(concurrency),
            "--pool",
            "prefork",
            "-l",
            "INFO",
            "-n",
            worker_name(name),
            "--without-gossip",
            "--without-mingle",
        )

    def relay(self, name: str = "relay") -> subprocess.Popen:
        return self.start(name, "manage.py", "outbox_relay", "--poll", "0.05")

    def beat(self, name: str = "beat") -> subprocess.Popen:
        """Celery beat with the database scheduler, as deployed (its schedule rows live in the test database)."""
        return self.start(name, "-m", "celery", "-A", "config", "beat", "-l", "INFO")

    def web(self, name: str = "web", port: int | None = None) -> str:
        """The ASGI server (HTTP and websockets), as deployed; returns its base URL once /healthz answers."""
        import requests

        port = port or free_port()
        self.start(
            name,
            "-m",
            "uvicorn",
            "config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--lifespan",
            "off",
            "--ws-per-message-deflate",
            "false",
            "--timeout-graceful-shutdown",
            "3",  # open websockets do not hold a test's teardown
        )
        base = f"http://127.0.0.1:{port}"

        def up() -> bool:
            self.check_alive(name)
            try:
                return requests.get(f"{base}/healthz", timeout=1).status_code == 200
            except requests.ConnectionError:
                return False

        wait_until(up, timeout=60, interval=0.2, what=f"the ASGI server ({name})")
        return base

    def get(self, name: str) -> subprocess.Popen:
        """The latest child started under `name`."""
        for child_name, proc in reversed(self.children):
            if child_name == name:
                return proc
        raise KeyError(name)

    def check_alive(self, name: str) -> None:
        proc = self.get(name)
        if proc.poll() is not None:
            raise AssertionError(f"{name} exited with {proc.returncode}:\n{self.log(name)[-3000:]}")

    def kill(self, name: str, sig: int = signal.SIGKILL, timeout: float = 15) -> int:
        """Signal the child's whole process group (a Celery worker and its pool, as when its machine dies)."""
        proc = self.get(name)
        if proc.poll() is None:
            os.killpg(proc.pid, sig)
        return proc.wait(timeout)

    def log(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text(errors="replace")

    def stop_all(self, timeout: float = 15) -> None:
        for _, proc in self.children:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for _, proc in self.children:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def died(self) -> str:
        """The log tail of every child that is not running although the latest one of its name should be (one the
        test killed on purpose and started again is fine)."""
        latest = {name: proc for name, proc in self.children}
        return "\n".join(
            f"--- {name} exited {proc.returncode}\n{self.log(name)[-3000:]}"
            for name, proc in latest.items()
            if proc.poll() is not None
        )


class RedisServer:
    """A private redis-server on a free port, for tests that stop, kill or restart Redis: the shared server other
    tests use is never touched. Persistence as docker/compose.yml runs it (append-only file, fsync every second),
    so a restart behaves as in production: the queued Celery messages and the feed sequences survive it."""

    def __init__(self, data_dir: Path, *, port: int | None = None, appendonly: bool = True) -> None:
        if not shutil.which("redis-server"):
            raise RuntimeError("redis-server is not installed (scripts/test.sh installs the Debian package)")
        self.data_dir = data_dir
        self.port = port or free_port()
        self.appendonly = appendonly
        self.proc: subprocess.Popen | None = None
        data_dir.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self):
        import redis

        return redis.Redis.from_url(self.url, socket_timeout=5)

    def start(self, timeout: float = 20) -> None:
        persistence = ["--appendonly", "yes", "--appendfsync", "everysec"] if self.appendonly else []
        log = open(self.data_dir / "redis.log", "ab")
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.data_dir),
                "--save",
                "",
                "--appendonly",
                "no",
                *persistence,
                "--daemonize",
                "no",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

        def answers() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"redis-server exited with {self.proc.returncode}: {self.log()[-2000:]}")
            try:
                return bool(self.client().ping())
            except Exception:
                return False

        wait_until(answers, timeout=timeout, interval=0.05, what=f"redis-server on port {self.port}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
        """SIGTERM is a clean shutdown (the append-only file is flushed); SIGKILL is a crash."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout)

    def restart(self, *, down_for: float = 0.0, sig: int = signal.SIGTERM) -> None:
        self.stop(sig)
        if down_for:
            time.sleep(down_for)  # an outage of a known length, not a wait for a condition
        self.start()

    def log(self) -> str:
        return (self.data_dir / "redis.log").read_text(errors="replace")


def worker_name(name: str) -> str:
    return f"{name}-{os.getpid()}@%h"


def wait_until(predicate: Callable[[], object], *, timeout: float = 30, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def wait_for_worker(timeout: float = 60, *, broker_url: str | None = None, names: tuple[str, ...] = ()) -> None:
    """Until a Celery worker answers a ping (on `broker_url`, default the test settings' broker); with `names`,
    until each worker started under those names (`Processes.worker(name)`) answers."""
    from celery import Celery, current_app

    # never made the current app: later tests would find it, and its Redis gone
    app = Celery(broker=broker_url, set_as_current=False) if broker_url else current_app
    wanted = {worker_name(n).split("@")[0] for n in names}

    def ready() -> bool:
        replies = app.control.ping(timeout=0.5)
        answered = {host.split("@")[0] for reply in replies for host in reply}
        return bool(replies) and wanted <= answered

    try:
        wait_until(ready, timeout=timeout, interval=0.2, what=f"Celery workers {sorted(wanted) or ''}".strip())
    finally:
        if broker_url:
            app.close()

"""Start real LogiTrack processes (ASGI server, Celery workers, beat, relay, NATS consumers, a private Redis or
nats-server) against the test database, and stop, kill or restart them from a test."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from django.conf import settings
from django.db import connection, connections

if TYPE_CHECKING:
    import redis

T = TypeVar("T")

ROOT = Path(settings.BASE_DIR)


def group_members(pgid: int) -> list[int]:
    """The pids of the group's processes that still run (zombies, exited and waiting to be reaped, hold no sockets)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()  # after "pid (comm)": state, ppid, pgrp, ...
        except (OSError, IndexError):  # gone meanwhile
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


def group_alive(pgid: int) -> bool:
    return bool(group_members(pgid))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def database_url(*, host: str | None = None, port: int | None = None, alias: str = "default") -> str:
    """This test's database (test_<name>), optionally reached at another address (a `TcpProxy` in front of it);
    `alias`: a context's own database when split."""
    db = connections[alias].settings_dict
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{host or db['HOST']}:{port or db['PORT']}/{db['NAME']}"


def context_database_urls() -> dict[str, str]:
    """DATABASE_URL_<CONTEXT> of each context with a test database of its own (split): a child sees the same split."""
    configured: dict[str, str] = getattr(settings, "CONTEXT_DATABASES", {})
    return {f"DATABASE_URL_{context.upper()}": database_url(alias=alias) for context, alias in configured.items()}


def process_env(*, redis_url: str | None = None, embedded: bool = False, **extra: str) -> dict[str, str]:
    """The environment a child needs to share this test's database (test_<name>) and Redis (this test's own
    Redis when `redis_url` is given). `embedded`: the embedded default instead (no PostgreSQL, no Redis; give
    it LOGITRACK_VAR_DIR for its SQLite file)."""
    if embedded:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL") and not k.startswith("DATABASE_URL_")
        }
        return {**env, "PYTHONUNBUFFERED": "1", "DJANGO_SETTINGS_MODULE": "config.settings.test", **extra}
    env = {
        **os.environ,
        **context_database_urls(),
        "DATABASE_URL": database_url(),
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
    child at a private Redis (see `RedisServer`) instead of the test settings' one; `env` is added to each;
    `embedded` starts them in the embedded default (see `process_env`)."""

    def __init__(
        self,
        log_dir: Path,
        *,
        redis_url: str | None = None,
        env: dict[str, str] | None = None,
        embedded: bool = False,
    ) -> None:
        self.log_dir = log_dir
        self.redis_url = redis_url
        self.embedded = embedded
        self.env = dict(env or {})
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, *argv: str, **env: str) -> subprocess.Popen[bytes]:
        return self.spawn(name, [sys.executable, *argv], **env)

    def spawn(self, name: str, argv: list[str], **env: str) -> subprocess.Popen[bytes]:
        log = open(self.log_dir / f"{name}.log", "ab")  # a restarted child appends to its log
        proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=process_env(redis_url=self.redis_url, embedded=self.embedded, **{**self.env, **env}),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()  # the child holds its own descriptor
        self.children.append((name, proc))
        return proc

    def worker(
        self, name: str = "worker", queues: str = "default,events,notifications", concurrency: int = 2
    ) -> subprocess.Popen[bytes]:
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

    def relay(self, name: str = "relay") -> subprocess.Popen[bytes]:
        return self.start(name, "manage.py", "outbox_relay", "--poll", "0.05")

    def consumer(
        self, name: str = "consumer", subscriptions: tuple[str, ...] = (), **env: str
    ) -> subprocess.Popen[bytes]:
        """`outbox_consume`: the NATS JetStream consumers of OUTBOX_NATS_SUBSCRIPTIONS (pass it in `env`)."""
        return self.start(name, "manage.py", "outbox_consume", *(f"--subscription={s}" for s in subscriptions), **env)

    def beat(self, name: str = "beat") -> subprocess.Popen[bytes]:
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
            except (requests.ConnectionError, requests.Timeout):  # not listening yet, or still busy starting
                return False

        wait_until(up, timeout=60, interval=0.2, what=f"the ASGI server ({name})")
        return base

    def get(self, name: str) -> subprocess.Popen[bytes]:
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
        code = proc.wait(timeout)
        if sig == signal.SIGKILL:  # the leader's exit is not the group's: its pool may still hold sockets open
            wait_until(lambda: not group_alive(proc.pid), timeout=timeout, interval=0.02, what=f"{name}'s processes")
        return code

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
        self.proc: subprocess.Popen[bytes] | None = None
        data_dir.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
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
            assert self.proc is not None
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


class NatsServer:
    """A private nats-server with JetStream on a free port and its own store directory, for tests that stop or
    restart NATS: the shared server on 4222 is never touched. A restart keeps the store (streams, consumers, their
    messages), as a production server's does."""

    def __init__(self, data_dir: Path, *, port: int | None = None) -> None:
        if not shutil.which("nats-server"):
            raise RuntimeError("nats-server is not installed (scripts/test.sh installs the Debian package)")
        self.data_dir = data_dir
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        data_dir.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20) -> None:
        seen = len(self.log())  # a restart appends to the same log
        log = open(self.data_dir / "nats.log", "ab")
        self.proc = subprocess.Popen(
            ["nats-server", "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(self.data_dir / "store")],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

        def ready() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"nats-server exited with {self.proc.returncode}: {self.log()[-2000:]}")
            return "Server is ready" in self.log()[seen:]

        wait_until(ready, timeout=timeout, interval=0.05, what=f"nats-server on port {self.port}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout)

    def log(self) -> str:
        path = self.data_dir / "nats.log"
        return path.read_text(errors="replace") if path.exists() else ""


class TcpProxy:
    """A TCP relay from a free local port to `target` (the shared PostgreSQL), for tests that take a server away
    from the processes under test without touching the server others use. `cut()` resets every live connection
    and refuses new ones, which is what a restarting PostgreSQL looks like to its clients; `restore()` accepts
    again on the same port."""

    def __init__(self, target_host: str, target_port: int, *, port: int | None = None) -> None:
        self.target = (target_host, int(target_port))
        self.port = port or free_port()
        self._listener: socket.socket | None = None
        self._pairs: set[tuple[socket.socket, socket.socket]] = set()
        self._lock = threading.Lock()
        self.connections = 0  # accepted since start: a client that reconnected shows here

    @classmethod
    def to_database(cls) -> TcpProxy:
        db = connection.settings_dict
        return cls(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432))

    def database_url(self) -> str:
        return database_url(host="127.0.0.1", port=self.port)

    def start(self) -> TcpProxy:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), name="tcp-proxy-accept", daemon=True).start()
        return self

    restore = start

    def cut(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            try:  # wakes the thread blocked in accept(): else the port listens on until a client comes
                listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            listener.close()  # new connections are refused
        with self._lock:
            pairs, self._pairs = self._pairs, set()
        for pair in pairs:
            for sock in pair:
                _reset(sock)

    stop = cut

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:  # closed by cut()
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _reset(client)
                continue
            upstream.settimeout(None)
            pair = (client, upstream)
            with self._lock:
                if self._listener is not listener:  # cut meanwhile
                    _reset(client)
                    _reset(upstream)
                    return
                self._pairs.add(pair)
                self.connections += 1
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst, pair), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, pair: tuple[socket.socket, socket.socket]) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        with self._lock:
            self._pairs.discard(pair)
        for sock in pair:
            _reset(sock)


def _reset(sock: socket.socket) -> None:
    """Close with a TCP reset (linger 0), as a server process that dies leaves its clients."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)  # wakes the pump thread blocked reading it
    except OSError:
        pass
    sock.close()


def worker_name(name: str) -> str:
    return f"{name}-{os.getpid()}@%h"


def wait_until(predicate: Callable[[], T], *, timeout: float = 30, interval: float = 0.1, what: str = "condition") -> T:
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
        # limit: back as soon as that many answered, rather than always after the whole timeout
        replies = app.control.ping(timeout=0.5, limit=len(wanted) or 1)
        answered = {host.split("@")[0] for reply in replies for host in reply}
        return bool(replies) and wanted <= answered

    try:
        wait_until(ready, timeout=timeout, interval=0.2, what=f"Celery workers {sorted(wanted) or ''}".strip())
    finally:
        if broker_url:
            app.close()

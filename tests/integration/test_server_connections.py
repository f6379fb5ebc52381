"""The ASGI server keeps its PostgreSQL connections bounded under concurrent requests. Django serves each request's
sync code on its own thread under ASGI; with persistent connections every such thread kept one open until
PostgreSQL refused new clients (seen: 95 of 100 from one server). It uses a bounded pool instead."""

import concurrent.futures
import socket

import pytest
import requests
from django.db import connection

from logitrack.testing.processes import Processes, wait_until

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]
POOL_MAX = 4


def server_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def test_concurrent_requests_share_a_bounded_pool(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    procs = Processes(tmp_path)
    procs.start(
        "web",
        *("-m", "uvicorn", "config.asgi:application", "--lifespan", "off", "--port", str(port)),
        DATABASE_POOL_MAX=str(POOL_MAX),
    )
    base = f"http://127.0.0.1:{port}"
    try:

        def up() -> bool:
            try:
                return requests.get(f"{base}/healthz", timeout=1).status_code == 200
            except requests.ConnectionError:
                return False

        wait_until(up, timeout=60, what="the ASGI server")
        before = server_connections()

        def ready(_) -> list[int]:
            return [requests.get(f"{base}/readyz", timeout=30).status_code for _ in range(5)]

        with concurrent.futures.ThreadPoolExecutor(24) as pool:
            statuses = [code for codes in pool.map(ready, range(24)) for code in codes]
        assert statuses == [200] * 120  # every request found a connection (readyz queries the database)
        assert server_connections() - before <= POOL_MAX
    finally:
        procs.stop_all()

"""Fixtures of the browser tests: a real ASGI server process, Debian's Chromium under Playwright, and a helper
thread for Django calls while Playwright's event loop owns the test's thread."""

import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

from logitrack.testing.processes import Processes
from tests.support.dispatch_world import dispatch_world, live_store  # noqa: F401  (fixtures)

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("LOGITRACK_ARTIFACTS", Path(settings.BASE_DIR) / "var" / "artifacts"))


@pytest.fixture
def processes(tmp_path):
    """Processes the test starts (their logs in tmp_path), all stopped when it ends."""
    procs = Processes(tmp_path)
    try:
        yield procs
    finally:
        procs.stop_all()


@pytest.fixture
def server(processes):
    """The ASGI server (HTTP and websockets) as deployed, on a free port; yields its base URL."""
    if not shutil.which(CHROMIUM):
        pytest.fail("Chromium is missing: scripts/test.sh installs the Debian package 'chromium'")
    return processes.web()


@pytest.fixture
def django_side():
    """Django calls made while Playwright's event loop owns this thread run on a helper thread instead."""
    pool = ThreadPoolExecutor(1)

    def run(fn, *args, **kwargs):
        return pool.submit(fn, *args, **kwargs).result()

    yield run
    pool.submit(connections.close_all).result()
    pool.shutdown()


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            yield chromium
        finally:
            chromium.close()

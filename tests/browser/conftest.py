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


@pytest.fixture(autouse=True)
def _admin_groups(groups_as_migrated):
    """Every browser test starts with the admin groups as migrated (see groups_as_migrated in conftest.py)."""


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


# Runs in every page before its own scripts (Playwright injects it outside the page's CSP): each violation of the
# Content-Security-Policy is reported on the console, where CspWatch collects it.
_REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  console.error(`[csp-violation] ${e.effectiveDirective} blocked ${e.blockedURI || "inline"} at ${where}`);
});
"""


class CspWatch:
    """Every page a browser test opens runs under the site's Content-Security-Policy (the real server sends it):
    a violation (the securitypolicyviolation event, or Chromium's own 'Refused to ...' console error) fails the
    test when its browser closes."""

    def __init__(self) -> None:
        self.violations: list[str] = []

    def attach(self, context) -> None:
        context.add_init_script(_REPORT_VIOLATIONS)
        context.on("console", self._console)

    def _console(self, message) -> None:
        text = message.text
        if "[csp-violation]" in text or "Content Security Policy" in text:
            self.violations.append(f"{message.page.url if message.page else '?'}: {text}")


class WatchedBrowser:
    """The Playwright Browser, with every context (and so every page) watched for CSP violations."""

    def __init__(self, browser, watch: CspWatch) -> None:
        self._browser, self.csp = browser, watch

    def new_context(self, **kwargs):
        context = self._browser.new_context(**kwargs)
        self.csp.attach(context)
        return context

    def new_page(self, **kwargs):
        return self.new_context(**kwargs).new_page()

    def __getattr__(self, name):
        return getattr(self._browser, name)


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
        watch = CspWatch()
        try:
            yield WatchedBrowser(chromium, watch)
        finally:
            chromium.close()
        assert not watch.violations, "Content-Security-Policy violations:\n" + "\n".join(watch.violations)

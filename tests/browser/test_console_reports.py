"""The reports page in Chromium as the demo's London manager (seed_demo: a day of trips, delivered and settled): the
drivers' day reads names, pounds and percentages, the page fits a phone, the CSV downloads. (The demo's
trips have no customer account: statements are checked in tests/integration/test_console_reports.py.) Screenshots
land in the artifacts folder (docs/images keeps the chosen ones)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from config.demo import operator
from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.processes, pytest.mark.django_db(transaction=True)]

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def test_a_manager_reads_and_downloads_reports(server, browser, django_side):
    django_side(operator.seed, drivers=8, trips=24, out=io.StringIO())

    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(f"{server}/admin/login/?next=/admin/reports/")
    page.fill("input[name=username]", operator.email("london", "manager"))
    page.fill("input[name=password]", operator.DEFAULT_PASSWORD)
    page.click("[type=submit]")
    page.wait_for_url(f"{server}/admin/reports/")
    table = page.inner_text(".rp-table")
    assert "£" in table and "Total" in table
    assert not UUID.search(page.inner_text("#content")), "a raw id on the reports page"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "console-report-1366.png"), full_page=True)

    with page.expect_download() as download:
        page.click("text=Download CSV")
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0] == "day,driver,trips,km,on_time_percent,currency,revenue,earnings" and len(lines) > 1

    phone = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
    phone.context.add_cookies(page.context.cookies())
    phone.goto(f"{server}/admin/reports/")
    overflow = phone.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the reports page is {overflow}px wider than a phone"
    phone.screenshot(path=str(ARTIFACTS / "console-report-390.png"), full_page=True)

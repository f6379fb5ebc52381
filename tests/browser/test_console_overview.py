"""The manager's overview in Chromium: the demo operator (a day of trips through the services and a week of history
before it), the ASGI server as deployed, Berlin's fleet manager signing in to the admin. Every chart is drawn by
Chart.js on its canvas, names and money in the fleet's locale are on the page, and the browser reports no error
(and, through the fixture, no Content-Security-Policy violation) — on a laptop and on a phone."""

import re

import pytest

from apps.partner.models import DriverProfile
from config.demo import operator
from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.processes, pytest.mark.django_db(transaction=True)]

# Each canvas: the Chart.js chart on it, how many values it holds, and whether anything was painted on it.
CHARTS = """() => [...document.querySelectorAll('.ov-grid canvas')].map((canvas) => {
  const chart = Chart.getChart(canvas);
  const { width, height } = canvas;
  const pixels = width && height ? canvas.getContext('2d').getImageData(0, 0, width, height).data : [];
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
  return {
    id: canvas.id,
    type: chart ? chart.config.type : null,
    values: chart ? chart.data.datasets.reduce((n, d) => n + d.data.filter((v) => v !== null).length, 0) : 0,
    painted,
  };
})"""
EXPECTED = {
    "chart-status",
    "chart-ontime",
    "chart-revenue-eur",
    "chart-fees-eur",
    "chart-utilisation",
    "chart-per-driver",
    "chart-per-vehicle",
}


def test_the_manager_opens_an_overview_with_its_charts_drawn(server, browser, django_side):
    django_side(operator.seed, drivers=12, trips=16, history_days=7)
    berlin = django_side(
        lambda: list(DriverProfile.objects.filter(fleet_id__in=_berlin()).values_list("display_name", flat=True))
    )
    for width, height in ((1366, 768), (390, 844)):
        page = browser.new_page(viewport={"width": width, "height": height})
        problems = []
        page.on("console", lambda m, problems=problems: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e, problems=problems: problems.append(str(e)))
        page.goto(f"{server}/admin/login/?next=/admin/")
        page.fill("input[name=username]", operator.email("berlin", "manager"))
        page.fill("input[name=password]", operator.DEFAULT_PASSWORD)
        page.click("[type=submit]")
        page.wait_for_url(f"{server}/admin/")
        page.wait_for_function("() => document.documentElement.dataset.chartsDrawn !== undefined")

        charts = {c["id"]: c for c in page.evaluate(CHARTS)}
        assert set(charts) == EXPECTED, charts
        for chart in charts.values():
            assert chart["type"] in ("bar", "line") and chart["values"] > 0 and chart["painted"] > 500, chart
        assert page.evaluate("document.documentElement.dataset.chartsDrawn") == str(len(EXPECTED))
        text = page.inner_text("#content")
        assert "Spree Kurier" in text and "Thames" not in text
        assert re.search(r"\d{1,3}(\.\d{3})*,\d{2}\s€", text), "no amount written the German way"
        assert any(name in text for name in berlin), "no driver named on the page"
        assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", text), "an id on the page"
        page.hover("#chart-revenue-eur", position={"x": 120, "y": 80})  # a tooltip opens without an error
        page.wait_for_timeout(300)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"console-overview-{width}.png"), full_page=True)
        assert not problems, problems


def _berlin():
    from apps.fleet.models import Fleet

    return list(Fleet.objects.filter(name="Spree Kurier").values_list("id", flat=True))

"""The demo as a visitor sees it: seed_demo's operator on the full stack (ASGI server, Celery worker, relay,
PostgreSQL, Redis), dispatch_simulate's drivers, customers and dispatchers working it over the public API, and a
dispatcher's screen in Chromium following them live. The screenshot is the one the README shows."""

import threading

import pytest
import redis
from django.conf import settings
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from apps.dispatch.models import PositionPing
from apps.trips.models import Trip, TripLogEntry
from config.demo import operator, simulator
from logitrack.testing.processes import wait_for_worker, wait_until
from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.processes, pytest.mark.django_db(transaction=True)]

MARKERS = """() => Object.fromEntries([...document.querySelectorAll('#map .driver[data-driver-id]')]
    .map(marker => [marker.dataset.driverId, `${marker.dataset.lat},${marker.dataset.lng}`]))"""
BOARD = """() => Object.fromEntries([...document.querySelectorAll('[data-column] .trip')]
    .map(card => [card.dataset.tripId, card.closest('[data-column]').dataset.column]))"""


# pairs of driver names shown on the map whose boxes intersect (hidden ones do not count)
OVERLAPPING_LABELS = """() => {
  const boxes = [...document.querySelectorAll('#map .driver-name')]
    .filter((l) => getComputedStyle(l).display !== 'none')
    .map((l) => [l.textContent, l.getBoundingClientRect()]);
  const pairs = [];
  boxes.forEach(([a, p], i) => boxes.slice(i + 1).forEach(([b, q]) => {
    if (p.left < q.right && q.left < p.right && p.top < q.bottom && q.top < p.bottom) pairs.push([a, b]);
  }));
  return pairs;
}"""


def test_the_simulated_demo_keeps_the_dispatch_screen_alive(server, processes, browser, django_side):
    redis.Redis.from_url(settings.REDIS_URL).flushdb()  # no stale tasks or live positions from an earlier run
    django_side(operator.seed, drivers=12, trips=16)
    processes.worker()
    processes.relay()
    wait_for_worker()
    pings_before, trips_before = django_side(PositionPing.objects.count), django_side(Trip.objects.count)
    started_at = django_side(lambda: max(TripLogEntry.objects.values_list("at", flat=True)))

    stop, result = threading.Event(), {}
    demo = simulator.Settings(
        base_url=server, password=operator.DEFAULT_PASSWORD, speed=10, book_every=3, assign_after=5
    )
    runner = threading.Thread(
        target=lambda: result.update(stats=simulator.run(demo, drivers=4, stop=stop)), name="simulator"
    )
    runner.start()
    try:
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(f"{server}/login/?next=/dispatch/")
        page.fill("input[name=email]", operator.email("berlin", "dispatcher"))
        page.fill("input[name=password]", operator.DEFAULT_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server}/dispatch/")
        page.wait_for_selector("#link[data-state=live]")

        page.wait_for_function("() => document.querySelectorAll('#map .driver[data-driver-id]').length >= 3")
        loads = page.eval_on_selector_all(".trip .note", "notes => notes.map(n => n.textContent)")
        assert any(" seat" in text for text in loads) and any(" kg" in text for text in loads)  # rides, deliveries
        assert not any(text.startswith("0 kg") or ", 0 kg" in text for text in loads)  # a ride weighs nothing
        markers = page.evaluate(MARKERS)
        page.wait_for_function(  # the simulated drivers' pings move their markers
            f"(old) => Object.entries(({MARKERS})()).some(([id, at]) => old[id] !== undefined && old[id] !== at)",
            arg=markers,
            timeout=60_000,
        )
        try:  # polled: a marker that moved this very frame is decluttered on the next one
            page.wait_for_function(f"() => ({OVERLAPPING_LABELS})().length === 0", timeout=5_000)
        except PlaywrightTimeout:
            raise AssertionError(f"driver names print over each other: {page.evaluate(OVERLAPPING_LABELS)}") from None
        board = page.evaluate(BOARD)
        page.wait_for_function(  # a trip moves to another column, or a new booking shows up, without a reload
            f"""(old) => {{
                const now = ({BOARD})();
                return Object.entries(now).some(([id, column]) => old[id] !== column);
            }}""",
            arg=board,
            timeout=90_000,
        )
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "demo-dispatch-screen.png"))
        assert (ARTIFACTS / "demo-dispatch-screen.png").stat().st_size > 20_000
    finally:
        stop.set()
        runner.join(timeout=30)
        print("simulator:", result.get("stats") and result["stats"].counts)  # shown when the test fails

    stats = result["stats"].counts
    assert stats["drivers working"] >= 3 and stats["pings sent"] > 0
    assert django_side(PositionPing.objects.count) > pings_before  # stored, through the websocket path
    wait_until(lambda: django_side(Trip.objects.count) > trips_before, what="a simulated customer's booking")
    driver_steps = TripLogEntry.objects.filter(at__gt=started_at, actor_role="driver")
    assert django_side(driver_steps.exists), "a simulated driver moved a trip along"
    assert "unhandled_exception" not in processes.log("web")

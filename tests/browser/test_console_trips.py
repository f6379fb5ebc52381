"""The trips admin in Chromium as the demo's London manager (seed_demo: a day of trips, delivered with signatures):
the list reads names and pounds, a completed trip's page shows its proof of delivery as images and draws its route,
and the export of a filtered list downloads exactly those rows. Screenshots land in the artifacts folder (docs/images
keeps the chosen ones)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.identity.models import Membership
from apps.trips.models import ProofOfDelivery, Trip
from config.demo import operator
from logitrack import files, images
from logitrack.testing import images as testing_images
from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.processes, pytest.mark.django_db(transaction=True)]

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _london_world():
    """(a completed trip of the London manager's fleet with a signed drop-off, now with a photo too; the ids of
    the fleet's completed trips)."""
    fleet_id = Membership.objects.get(user__email=operator.email("london", "manager"), role="fleet_manager").fleet_id
    proof = (
        ProofOfDelivery.objects.filter(stop__trip__fleet_id=fleet_id, stop__trip__status="completed")
        .exclude(signature_path="")
        .select_related("stop__trip")
        .order_by("stop__trip__created_at")
        .first()
    )
    assert proof is not None, "the demo's London fleet delivers with signatures"
    proof.photo_path = files.store_private(
        SimpleUploadedFile("door.jpg", testing_images.jpeg(width=640, height=480, color=(120, 140, 165))),
        folder="proof",
        allowed=("jpeg",),
        max_bytes=10**6,
        image=images.PHOTO,
    ).path
    proof.save(update_fields=["photo_path"])
    completed = set(Trip.objects.filter(fleet_id=fleet_id, status="completed").values_list("id", flat=True))
    return proof.stop.trip, completed


def _sign_in(page, server):
    page.goto(f"{server}/admin/login/?next=/admin/trips/trip/")
    page.fill("input[name=username]", operator.email("london", "manager"))
    page.fill("input[name=password]", operator.DEFAULT_PASSWORD)
    page.click("[type=submit]")
    page.wait_for_url(f"{server}/admin/trips/trip/")


def test_a_manager_reads_lists_opens_a_trip_and_exports(server, browser, django_side):
    django_side(operator.seed, drivers=8, trips=24, out=io.StringIO())
    trip, completed = django_side(_london_world)
    reference = trip.id.hex[:8].upper()

    page = browser.new_page(viewport={"width": 1366, "height": 768})
    _sign_in(page, server)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "console-trip-list-1366.png"), full_page=True)
    table = page.inner_text("#result_list")
    assert "£" in table and "€" not in table  # the London fleet's fares in pounds
    assert not UUID.search(page.inner_text("body")), "a raw id on the trip list"
    assert "Spree Kurier" not in table and "FLEET" not in table  # one fleet: no fleet column

    page.goto(f"{server}/admin/trips/trip/{trip.id}/change/")
    page.wait_for_selector("#trip-map[data-state=drawn]")
    assert page.inner_text(".trip-summary .trip-ref") == reference
    assert "£" in page.inner_text("#fare-total")
    for selector in (".proof-signature img", ".proof-photo img"):
        page.wait_for_function(
            f"() => {{ const i = document.querySelector('{selector}'); return i && i.complete && i.naturalWidth > 0; }}"
        )
    assert page.locator("#trip-map .stop-pin").count() == page.locator(".stops li.stop").count() >= 2
    assert page.locator("#trip-map path.route-line").count() == 1
    assert page.get_attribute("#trip-map", "data-tiles") == "off"  # no MAP_TILES_URL here: the kilometre grid
    assert page.locator("#trip-map path.km-grid").count() > 0
    assert page.locator(".timeline li").count() >= 4
    assert not UUID.search(page.inner_text("#content")), "a raw id on the trip page"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "console-trip-1366.png"), full_page=True)

    phone = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
    phone.context.add_cookies(page.context.cookies())
    phone.goto(f"{server}/admin/trips/trip/{trip.id}/change/")
    phone.wait_for_selector("#trip-map[data-state=drawn]")
    overflow = phone.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the trip page is {overflow}px wider than a phone"
    phone.screenshot(path=str(ARTIFACTS / "console-trip-390.png"), full_page=True)

    page.goto(f"{server}/admin/trips/trip/?status__exact=completed")
    with page.expect_download() as download:
        page.click("a.export >> text=Export CSV")
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    assert {r["Id"] for r in rows} == {str(i) for i in completed}
    assert {r["Status"] for r in rows} == {"Completed"} and {r["Fleet"] for r in rows} == {"Thames Couriers"}

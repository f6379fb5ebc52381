"""What a fleet manager reads: the daily digest mail (its HTML part) on a phone and a laptop, in German with the
fleet's colour, each line linking into the console. Screenshots land in the artifacts folder (docs/images/ keeps
the key ones)."""

import datetime as dt
import uuid

import pytest

from apps.fleet.contracts import FleetBranding
from apps.notifications import rendering
from apps.notifications.services import managers
from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser]
SCREENS = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1366, "height": 768}}
BRAND = FleetBranding(
    fleet_id=uuid.uuid4(),
    name="Alpha Logistik",
    colour="#7a1f5c",
    language="de",
    locale="de_DE",
    time_zone="Europe/Berlin",
    currency="EUR",
    logo_version="",
)


@pytest.mark.parametrize("screen", SCREENS)
def test_the_digest_mail_reads_on_a_phone_and_a_laptop(browser, screen, settings):
    settings.PUBLIC_BASE_URL = "https://app.example.test"
    figures = managers._Figures(
        kyc_count=2,
        kyc_oldest=dt.datetime(2026, 12, 4, 8, 30, tzinfo=dt.UTC),
        payouts_count=1,
        payouts_oldest=dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC),
        payouts_totals=(("EUR", 12_550),),
        expiring_drivers=1,
        expiring_vehicles=2,
        completed=14,
        cancelled=1,
        failed=1,
        revenue=(("EUR", 48_730),),
    )
    context = managers._digest_context(figures, brand=BRAND, language="de", today=dt.date(2026, 12, 6))
    mail = rendering.render(kind=managers.DIGEST, language="de", context=context)
    page = browser.new_page(viewport=SCREENS[screen])
    page.set_content(mail.html)
    assert page.locator("a", has_text="Übersicht öffnen").get_attribute("href") == "https://app.example.test/admin/"
    assert page.locator("a", has_text="1 (die älteste seit 05.12.2026, 13:00): 125,50 €").get_attribute("href") == (
        "https://app.example.test/admin/billing/payout/"
    )
    assert "487,30\xa0€" in page.text_content("body")  # yesterday's revenue, the fleet's way
    assert page.evaluate("document.documentElement.scrollWidth") <= SCREENS[screen]["width"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"mail-digest-{screen}.png"), full_page=True)

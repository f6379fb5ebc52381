"""What a customer sees of notifications, in a real browser on a phone-sized and a laptop-sized screen: the
booking confirmation mail (its HTML part) and the unsubscribe page its link opens. Screenshots land in the
artifacts folder (docs/images/ keeps the key ones)."""

import uuid

import pytest

from apps.notifications import rendering, tokens
from apps.notifications.models import Preference
from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.processes, pytest.mark.django_db(transaction=True)]
SCREENS = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1366, "height": 768}}


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("screen", SCREENS)
def test_the_booking_confirmation_mail_reads_on_a_phone_and_a_laptop(browser, screen):
    mail = rendering.render(
        kind="trip.confirmed",
        language="de",
        context={
            "fleet": "Alpha Logistik",
            "name": "Ana",
            "pickup": "Invalidenstraße 1, 10115 Berlin",
            "dropoff": "Oranienstraße 25, 10999 Berlin",
            "tracking_url": "https://track.example.test/track/abc/",
            "unsubscribe_url": "https://track.example.test/notifications/unsubscribe/xyz/",
            "brand": {"name": "Alpha Logistik", "colour": "#7a1f5c", "logo_url": ""},
            "details": [
                ["pickup", "Invalidenstraße 1, 10115 Berlin"],
                ["dropoff", "Oranienstraße 25, 10999 Berlin"],
                ["when", "06.12.2026, 14:30"],
            ],
        },
    )
    page = browser.new_page(viewport=SCREENS[screen])
    page.set_content(mail.html)
    button = page.locator("a", has_text="Buchung verfolgen")
    assert button.get_attribute("href") == "https://track.example.test/track/abc/"
    assert page.evaluate("getComputedStyle(document.querySelector('a[href*=track]')).backgroundColor") == (
        "rgb(122, 31, 92)"  # the fleet's colour
    )
    # nothing is wider than the screen: no sideways scrolling on a phone
    assert page.evaluate("document.documentElement.scrollWidth") <= SCREENS[screen]["width"]
    shot(page, f"mail-confirmed-{screen}")


@pytest.mark.parametrize("screen", SCREENS)
def test_the_invitation_mail_reads_on_a_phone_and_a_laptop(browser, screen):
    """An account mail: the link goes where the slot was, the button in the fleet's colour, no unsubscribe."""
    from apps.notifications.domain import ACCOUNT_LINK_SLOT

    mail = rendering.render(
        kind="account.invitation",
        language="de",
        context={
            "fleet": "Alpha Logistik",
            "who": "Mia Manager",
            "role": "Fahrer/in",
            "email": "nia@example.test",
            "expires": "13. Dezember 2026",
            "brand": {"name": "Alpha Logistik", "colour": "#7a1f5c", "logo_url": ""},
            "action_url": ACCOUNT_LINK_SLOT,
        },
    )
    link = "https://app.example.test/invitation?token=abc-DEF_123"
    page = browser.new_page(viewport=SCREENS[screen])
    page.set_content(mail.html.replace(ACCOUNT_LINK_SLOT, link))
    assert page.locator("a", has_text="Einladung annehmen").get_attribute("href") == link
    assert "Mia Manager lädt Sie ein, Alpha Logistik auf LogiTrack als Fahrer/in beizutreten" in page.text_content(
        "body"
    )
    assert "abbestellen" not in page.text_content("body")  # an account mail has no unsubscribe
    assert page.evaluate("document.documentElement.scrollWidth") <= SCREENS[screen]["width"]
    shot(page, f"mail-invitation-{screen}")


@pytest.mark.parametrize("screen", SCREENS)
def test_a_customer_unsubscribes_in_the_browser(server, browser, django_side, screen):
    from apps.fleet.tests.factories import active_fleet

    def branded():
        made = active_fleet(name="Alpha Logistik")
        made.brand_colour = "#7a1f5c"
        made.save(update_fields=["brand_colour"])
        return made

    fleet = django_side(branded)
    user_id = uuid.uuid4()
    token = tokens.unsubscribe_token(user_id=user_id, channel="email", fleet_id=fleet.id)
    page = browser.new_page(viewport=SCREENS[screen])
    page.goto(f"{server}/notifications/unsubscribe/{token}/")
    assert page.text_content(".brand").strip() == "Alpha Logistik"
    assert "Keine E-Mail-Nachrichten von Alpha Logistik" in page.text_content(".lead")
    page.wait_for_function("getComputedStyle(document.querySelector('button')).backgroundColor === 'rgb(122, 31, 92)'")
    shot(page, f"unsubscribe-{screen}")
    assert not django_side(lambda: Preference.objects.filter(user_id=user_id).exists())
    page.click("button[type=submit]")
    page.wait_for_selector("[data-state=done]")
    shot(page, f"unsubscribe-done-{screen}")
    assert django_side(lambda: Preference.objects.get(user_id=user_id).opted_out) == ["email"]


@pytest.mark.parametrize("screen", SCREENS)
def test_a_manager_orders_the_morning_summary_in_the_console(two_fleets, server, browser, django_side, screen):
    manager = two_fleets.a.users["fleet_manager"]
    page = browser.new_page(viewport=SCREENS[screen])
    page.goto(f"{server}/admin/login/?next=/admin/")
    page.fill("input[name=username]", manager.email)
    page.fill("input[name=password]", "correct horse battery staple")
    page.click("input[type=submit]")
    page.wait_for_url(f"{server}/admin/")
    page.click("text=Your notifications")
    page.wait_for_url(f"{server}/notifications/preferences/")
    page.check("input[name=digest]")
    page.uncheck("input[name=sms]")
    page.select_option("select[name=language]", "de")
    page.fill("input[name=quiet_start]", "22:00")
    page.fill("input[name=quiet_end]", "06:30")
    page.select_option("select[name=time_zone]", "Europe/Berlin")
    assert page.evaluate("document.documentElement.scrollWidth") <= SCREENS[screen]["width"]
    shot(page, f"preferences-{screen}")
    page.click("input[type=submit]")
    page.wait_for_selector(".messagelist")
    assert "saved" in page.text_content(".messagelist")
    assert page.is_checked("input[name=digest]") and not page.is_checked("input[name=sms]")
    saved = django_side(lambda: Preference.objects.get(user_id=manager.id))
    assert (saved.digest, saved.opted_out, saved.language, saved.time_zone) == (True, ["sms"], "de", "Europe/Berlin")

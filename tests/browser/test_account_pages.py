"""The pages emailed links open, in a real browser on a phone-sized and a laptop-sized screen: an invited driver
chooses a name and password, someone who forgot theirs sets a new one. The screenshots land in the artifacts
folder (docs/images/ keeps two of them)."""

import pytest

from apps.identity.models import User
from apps.identity.services import invitations, passwords
from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.processes, pytest.mark.django_db(transaction=True)]
PASSWORD = "a brand new passphrase 42"
SCREENS = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1366, "height": 768}}


def styled(page) -> None:
    """The page's own stylesheet (a static file, as the Content-Security-Policy wants) is applied."""
    assert page.evaluate("getComputedStyle(document.querySelector('.card')).borderRadius") == "14px"


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("screen", SCREENS)
def test_an_invited_driver_accepts_in_the_browser(two_fleets, server, browser, django_side, screen):
    _, token = django_side(
        lambda: invitations.invitation_create(
            principal=two_fleets.a.principal("fleet_manager"),
            email="nia.driver@example.test",
            fleet_id=two_fleets.a.fleet_id,
            role="driver",
        )
    )
    page = browser.new_page(viewport=SCREENS[screen])
    page.goto(f"{server}/invitation?token={token}")

    assert page.url == f"{server}/invitation"  # the token left the address bar
    styled(page)
    page.fill("input[name=display_name]", "Nia Okafor")
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=password_again]", "not the same")
    page.click("button[type=submit]")
    assert page.text_content("#id_password_again-error").strip() == "The two passwords differ."
    shot(page, f"invitation-{screen}")
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=password_again]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=You're in")
    shot(page, f"invitation-done-{screen}")
    assert django_side(lambda: User.objects.get(email="nia.driver@example.test").check_password(PASSWORD))


@pytest.mark.parametrize("screen", SCREENS)
def test_a_forgotten_password_is_reset_in_the_browser(two_fleets, server, browser, django_side, screen):
    driver = two_fleets.a.users["driver"]
    token = django_side(passwords.password_reset_request, email=driver.email)
    page = browser.new_page(viewport=SCREENS[screen])
    page.goto(f"{server}/reset-password?token={token}")

    styled(page)
    page.fill("input[name=new_password]", "12345678")
    page.fill("input[name=new_password_again]", "12345678")
    page.click("button[type=submit]")
    page.wait_for_selector("#id_new_password-error")
    shot(page, f"reset-password-{screen}")
    page.fill("input[name=new_password]", PASSWORD)
    page.fill("input[name=new_password_again]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Password changed")
    page.click("a.button")
    page.fill("input[name=email]", driver.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/dispatch/")  # signed in with the new password (a driver: the screen refuses)

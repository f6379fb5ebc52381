"""A fleet manager makes an API key for the fleet's shop integration in a real browser: the key's secret is shown
once in the message after saving, the list shows only its start, and the key works on the API at once. The
screenshots land in the artifacts folder (docs/images/console-api-key-*.png keeps them)."""

from __future__ import annotations

import re
import urllib.request

import pytest

from apps.fleet.tests.factories import FleetFactory
from apps.identity.contracts import FleetRole
from apps.identity.services import api_keys
from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.processes, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple"  # UserFactory's
SCREENS = {"390": {"width": 390, "height": 844}, "1366": {"width": 1366, "height": 768}}
KEY = re.compile(r"lt_[0-9a-f]{12}_[A-Za-z0-9]{43}")


def seed(two_fleets):
    from apps.identity.services import memberships

    FleetFactory(id=two_fleets.a.fleet_id, name="Alpha Logistics")
    FleetFactory(id=two_fleets.b.fleet_id, name="Bravo Freight")
    for tenant, name in ((two_fleets.a, "Alpha Logistics"), (two_fleets.b, "Bravo Freight")):
        memberships.fleet_name_record(fleet_id=tenant.fleet_id, name=name)
    manager = two_fleets.a.principal(FleetRole.FLEET_MANAGER)
    shop = api_keys.service_account_create(principal=manager, fleet_id=two_fleets.a.fleet_id, name="Shopify connector")
    api_keys.service_account_create(
        principal=two_fleets.b.principal(FleetRole.FLEET_MANAGER), fleet_id=two_fleets.b.fleet_id, name="Bravo ERP"
    )
    return shop.id


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("screen", SCREENS)
def test_a_manager_makes_a_key_and_sees_its_secret_once(two_fleets, server, browser, django_side, screen):
    shop_id = django_side(seed, two_fleets)
    page = browser.new_page(viewport=SCREENS[screen])
    page.goto(f"{server}/admin/login/?next=/admin/identity/apikey/add/")
    page.fill("input[name=username]", two_fleets.a.users["fleet_manager"].email)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{server}/admin/identity/apikey/add/")
    options = page.eval_on_selector_all("select[name=service_account] option", "os => os.map(o => o.textContent)")
    assert "Shopify connector" in options and "Bravo ERP" not in options
    page.select_option("select[name=service_account]", str(shop_id))
    page.check("input[name=scopes][value='trips:read']")
    page.check("input[name=scopes][value='fleet:read']")
    shot(page, f"console-api-key-add-{screen}")
    page.click("input[name=_save]")
    page.wait_for_url(f"{server}/admin/identity/apikey/")
    message = page.text_content(".messagelist")
    secret = KEY.search(message).group(0)
    assert "shown only this once" in message
    shot(page, f"console-api-key-{screen}")

    listed = page.text_content("#result_list")
    assert secret[:15] in listed and secret[15:] not in listed and "Alpha Logistics" in listed
    page.reload()
    assert secret not in page.content()  # the message is gone: shown once

    request = urllib.request.Request(f"{server}/api/v1/fleet/vehicles/", headers={"X-Api-Key": secret})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200

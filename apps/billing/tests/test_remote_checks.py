"""Start-up checks of billing run as its own service (apps/billing/checks.py, logitrack.remote): billing as the
platform calls it, and fleet, partner and identity as billing's own processes call them."""

from apps.billing import checks


def test_remote_mode_needs_an_address_and_a_credential(settings):
    settings.BILLING_API_MODE = "inprocess"
    assert checks.remote_mode_configured() == []
    settings.BILLING_API_MODE = "remotely"
    assert [m.id for m in checks.remote_mode_configured()] == ["remote.E001"]
    settings.BILLING_API_MODE = "remote"
    settings.BILLING_SERVICE_URL, settings.BILLING_SERVICE_TOKEN = "http://billing:8000", ""
    found = checks.remote_mode_configured()
    assert [m.id for m in found] == ["remote.E002"] and "BILLING_SERVICE_TOKEN is not set" in found[0].msg
    settings.BILLING_SERVICE_TOKEN = "x" * 40
    assert checks.remote_mode_configured() == []


def test_billings_calls_to_the_platform_are_checked_the_same_way(settings):
    settings.FLEET_API_MODE, settings.FLEET_SERVICE_URL, settings.FLEET_SERVICE_TOKEN = "remote", "", "x" * 40
    found = checks.remote_mode_configured()
    assert [m.id for m in found] == ["remote.E002"] and "FLEET_SERVICE_URL is not set" in found[0].msg
    settings.FLEET_SERVICE_URL = "http://platform:8000"
    settings.IDENTITY_API_MODE = "elsewhere"
    assert [m.msg for m in checks.remote_mode_configured()] == ["IDENTITY_API_MODE is 'elsewhere'"]


def test_a_process_does_not_serve_a_context_it_calls_remotely(settings):
    """Billing's process (fleet remote) with fleet's tokens too would answer fleet's calls from billing's database."""
    settings.FLEET_API_MODE, settings.FLEET_SERVICE_URL, settings.FLEET_SERVICE_TOKEN = "remote", "http://p", "x" * 40
    settings.FLEET_SERVICE_TOKENS = ["y" * 40]
    found = checks.remote_mode_configured()
    assert [m.id for m in found] == ["remote.E003"] and "FLEET_SERVICE_TOKENS" in found[0].msg
    settings.FLEET_SERVICE_TOKENS = []
    assert checks.remote_mode_configured() == []


def test_short_service_credentials_are_warned_about_on_deploy(settings):
    settings.BILLING_SERVICE_TOKEN, settings.BILLING_SERVICE_TOKENS = "", ["y" * 32, "short"]
    assert [m.id for m in checks.service_tokens_strong()] == ["remote.W001"]
    settings.BILLING_SERVICE_TOKENS = ["y" * 32]
    assert checks.service_tokens_strong() == []
    settings.PARTNER_SERVICE_TOKEN = "short"
    found = checks.service_tokens_strong()
    assert [m.id for m in found] == ["remote.W001"] and "partner" in found[0].msg

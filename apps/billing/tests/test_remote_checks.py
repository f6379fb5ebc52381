"""Start-up checks of billing run as its own service (apps/billing/checks.py)."""

from apps.billing import checks


def test_remote_mode_needs_an_address_and_a_credential(settings):
    settings.BILLING_API_MODE = "inprocess"
    assert checks.remote_mode_configured() == []
    settings.BILLING_API_MODE = "remotely"
    assert [m.id for m in checks.remote_mode_configured()] == ["billing.E001"]
    settings.BILLING_API_MODE = "remote"
    settings.BILLING_SERVICE_URL, settings.BILLING_SERVICE_TOKEN = "http://billing:8000", ""
    found = checks.remote_mode_configured()
    assert [m.id for m in found] == ["billing.E002"] and "BILLING_SERVICE_TOKEN is not set" in found[0].msg
    settings.BILLING_SERVICE_TOKEN = "x" * 40
    assert checks.remote_mode_configured() == []


def test_short_service_credentials_are_warned_about_on_deploy(settings):
    settings.BILLING_SERVICE_TOKEN, settings.BILLING_SERVICE_TOKENS = "", ["y" * 32, "short"]
    assert [m.id for m in checks.service_tokens_strong()] == ["billing.W001"]
    settings.BILLING_SERVICE_TOKENS = ["y" * 32]
    assert checks.service_tokens_strong() == []

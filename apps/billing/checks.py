"""Settings of billing run as its own service, checked at start-up rather than at the first booking: a caller in
remote mode needs billing's address and a credential, and credentials must be hard to guess."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

MODES = ("inprocess", "remote")
MIN_TOKEN_LENGTH = 32


@checks.register()
def remote_mode_configured(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    mode = settings.BILLING_API_MODE
    if mode not in MODES:
        return [checks.Error(f"BILLING_API_MODE is {mode!r}", hint="use inprocess or remote", id="billing.E001")]
    if mode == "remote":
        missing = [name for name in ("BILLING_SERVICE_URL", "BILLING_SERVICE_TOKEN") if not getattr(settings, name)]
        if missing:
            return [
                checks.Error(
                    f"BILLING_API_MODE is remote but {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} "
                    "not set: every call into billing would fail",
                    hint="set billing's internal address and the credential its BILLING_SERVICE_TOKENS accepts",
                    id="billing.E002",
                )
            ]
    return []


@checks.register(checks.Tags.security, deploy=True)
def service_tokens_strong(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    tokens = [settings.BILLING_SERVICE_TOKEN, *settings.BILLING_SERVICE_TOKENS]
    if any(token and len(token) < MIN_TOKEN_LENGTH for token in tokens):
        return [
            checks.Warning(
                f"a billing service credential is shorter than {MIN_TOKEN_LENGTH} characters",
                hint="use a random token, e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))'",
                id="billing.W001",
            )
        ]
    return []

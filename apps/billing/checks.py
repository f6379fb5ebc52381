"""Settings of billing run as its own service, checked at start-up rather than at the first call: billing as the
platform calls it, and fleet, partner and identity as billing's own processes call them on the platform. A caller in
remote mode needs the service's address and a credential, a process serves only a context whose data it holds, and
credentials must be hard to guess (logitrack.remote.settings_problems, credential_problems)."""

from __future__ import annotations

from typing import Any

from django.core import checks

from apps.billing.contracts import REMOTE
from apps.fleet.contracts import REMOTE as FLEET
from apps.identity.contracts import REMOTE as IDENTITY
from apps.partner.contracts import REMOTE as PARTNER
from logitrack import remote

SERVICES = tuple(interface.service for interface in (REMOTE, FLEET, PARTNER, IDENTITY))


@checks.register()
def remote_mode_configured(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    return remote.settings_problems(SERVICES)


@checks.register(checks.Tags.security, deploy=True)
def service_tokens_strong(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    return remote.credential_problems(SERVICES)

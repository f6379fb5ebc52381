"""Payment providers, chosen by settings: `BILLING_PAYMENT_PROVIDERS = {name: {"CLASS": dotted path, ...options}}`.

A provider confirms (or fails) a customer's top-up by a signed notification to
`/api/v1/billing/payments/<name>/webhook/`. Add a provider by writing a PaymentProvider subclass (base.py) and
naming it in the setting.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from apps.billing.contracts import UnknownPaymentProvider
from apps.billing.payments.base import Outcome, PaymentNotification, PaymentProvider

__all__ = ["Outcome", "PaymentNotification", "PaymentProvider", "provider"]


def provider(name: str) -> PaymentProvider:
    """The configured and enabled provider of that name; UnknownPaymentProvider (404) otherwise."""
    config = dict(settings.BILLING_PAYMENT_PROVIDERS.get(name) or {})
    if not config:
        raise UnknownPaymentProvider(f"no payment provider called {name[:40]!r} is configured")
    adapter = import_string(config.pop("CLASS"))(name, **{k.lower(): v for k, v in config.items()})
    if not adapter.enabled:
        raise UnknownPaymentProvider(f"the payment provider {name!r} has no webhook secret configured")
    return adapter

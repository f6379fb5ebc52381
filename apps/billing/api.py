"""Public in-process API of the billing context: keyword-only functions, contracts in and out.

Only other apps' `integrations.py` (and `config`) may import this module.
"""

from __future__ import annotations

import uuid

from apps.billing import services as _services
from apps.billing.contracts import QuoteRef
from apps.billing.models import Quote as _Quote


def quote_check(*, quote_id: uuid.UUID, fleet_id: uuid.UUID) -> QuoteRef:
    """A quote a booking may rely on: this fleet's and not expired (QuoteNotFound, QuoteExpired otherwise)."""
    return _ref(_services.quote_check(quote_id=quote_id, fleet_id=fleet_id))


def _ref(quote: _Quote) -> QuoteRef:
    return QuoteRef(
        id=quote.id,
        fleet_id=quote.fleet_id,
        vehicle_type=quote.vehicle_type,
        service=quote.service,
        total_minor=quote.total_minor,
        currency=quote.currency,
        expires_at=quote.expires_at,
    )

"""Quotes: a priced trip a booking may rely on until it expires."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import transaction
from django.utils import timezone

from apps.billing import integrations, selectors
from apps.billing.contracts import (
    NoTariff,
    QuoteExpired,
    QuoteNotFound,
    TripFacts,
)
from apps.billing.models import (
    Quote,
)
from apps.billing.services import fares


@transaction.atomic
def quote_create(
    *, fleet_id: uuid.UUID, vehicle_type: str, service: str, facts: TripFacts, customer_id: uuid.UUID | None
) -> Quote:
    terms = integrations.fleet_terms(fleet_id=fleet_id)
    tariff = selectors.tariff_for(fleet_id=fleet_id, vehicle_type=vehicle_type, service=service, at=facts.at)
    if tariff is None:
        raise NoTariff(f"the fleet has no {service} tariff for a {vehicle_type or 'vehicle'} at that time")
    fare = fares.fare_price(tariff, facts, terms.time_zone)
    return Quote.objects.create(
        fleet_id=fleet_id,
        tariff=tariff,
        customer_id=customer_id,
        vehicle_type=vehicle_type,
        service=service,
        facts=fares.facts_json(facts),
        breakdown=fares.breakdown_json(fare),
        currency=fare.currency,
        total_minor=fare.total.amount_minor,
        expires_at=timezone.now() + dt.timedelta(minutes=tariff.quote_valid_minutes),
    )


def quote_check(*, quote_id: uuid.UUID, fleet_id: uuid.UUID) -> Quote:
    """A quote a booking may rely on: this fleet's, and not expired."""
    quote = Quote.objects.filter(id=quote_id, fleet_id=fleet_id).first()
    if quote is None:
        raise QuoteNotFound("no such quote for this fleet")
    if quote.expires_at <= timezone.now():
        raise QuoteExpired("the quote has expired; ask for a new one")
    return quote

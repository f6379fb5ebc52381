"""Quotes: a priced trip a booking may rely on until it expires."""

from __future__ import annotations

import datetime as dt
import uuid

from django.utils import timezone

from apps.billing import integrations, selectors
from apps.billing.contracts import NoTariff, QuoteExpired, QuoteNotFound, TripFacts
from apps.billing.models import Quote
from apps.billing.services import fares
from logitrack.db import contexts
from logitrack.exceptions import NotFound
from logitrack.principal import Principal, Role
from logitrack.types import GeoPoint


@contexts.atomic("billing")
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


def quote_request(
    *,
    principal: Principal,
    fleet_id: uuid.UUID,
    vehicle_type: str,
    service: str,
    points: list[GeoPoint],
    at: dt.datetime | None = None,
    distance_m: int | None = None,
    duration_s: int | None = None,
) -> Quote:
    """A quote asked for by a customer (any fleet) or a fleet's dispatcher or manager (their fleets; another is 404
    `fleet.not_found`), from the planned distance and duration when given, else estimated. A customer's quote is
    theirs (they see it later); staff quotes belong to nobody."""
    if not principal.has_role(Role.CUSTOMER) and not principal.may_act_on_fleet(
        fleet_id, Role.DISPATCHER, Role.FLEET_MANAGER
    ):
        raise NotFound("no such fleet", code="fleet.not_found")
    at = at or timezone.now()
    if distance_m is not None and duration_s is not None:
        facts = TripFacts(distance_m=distance_m, duration_s=duration_s, stops=len(points), at=at, points=tuple(points))
    else:
        facts = fares.estimate_facts(points=points, at=at, vehicle_type=vehicle_type)
    return quote_create(
        fleet_id=fleet_id,
        vehicle_type=vehicle_type,
        service=service,
        facts=facts,
        customer_id=principal.user_id if principal.has_role(Role.CUSTOMER) else None,
    )


def quote_check(*, quote_id: uuid.UUID, fleet_id: uuid.UUID) -> Quote:
    """A quote a booking may rely on: this fleet's, and not expired."""
    quote = Quote.objects.filter(id=quote_id, fleet_id=fleet_id).first()
    if quote is None:
        raise QuoteNotFound("no such quote for this fleet")
    if quote.expires_at <= timezone.now():
        raise QuoteExpired("the quote has expired; ask for a new one")
    return quote

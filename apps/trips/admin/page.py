"""What the trip page shows, read once and formatted on the fleet's clock and in its currency: the summary, the fare
and its lines, the stops with their proof of delivery, the map's data and the timeline with who did what."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from apps.billing.contracts import BillingUnavailable
from apps.trips import integrations, selectors
from apps.trips.models import ProofOfDelivery, Trip
from logitrack import formatting

ACTIONS = {
    "book": "Booked",
    "assign": "Assigned",
    "unassign": "Unassigned",
    "accept": "Accepted",
    "start": "Driving to pickup",
    "arrive": "Arrived at pickup",
    "pickup": "Picked up",
    "complete": "Completed",
    "cancel": "Cancelled",
    "fail": "Failed",
}
STOP_KINDS = {"pickup": "Pickup", "dropoff": "Drop-off"}
FARE_KINDS = {"quote": "Quoted", "fare": "Final fare", "cancellation": "Cancellation fee"}


def _label(value: str) -> str:
    return value.replace("_", " ").capitalize() if value else ""


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return ""
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def _distance(metres: int | None, locale: str) -> str:
    if metres is None:
        return ""
    from babel.numbers import format_decimal

    return f"{format_decimal(round(metres / 1000, 1), format='#,##0.0', locale=locale)} km"


def reference(trip: Trip) -> str:
    """What people call a trip: the first 8 hex digits of its id (the search finds it by them)."""
    return trip.id.hex[:8].upper()


def _tracking_path(trip: Trip) -> str | None:
    """The customer's tracking page while its link works: staff open it to see what the customer sees, or share it."""
    token, _ = selectors.owner_secrets(trip=trip)
    return f"/track/{token}/" if token else None


def map_config() -> dict:
    """The base layer of the trip's map, as the dispatch screen's (settings MAP_TILES_*; None: a plain grid)."""
    return {
        "tiles_url": settings.MAP_TILES_URL or None,
        "attribution": settings.MAP_TILES_ATTRIBUTION,
        "max_zoom": settings.MAP_TILES_MAX_ZOOM,
    }


def trip_page(model_admin, trip: Trip) -> dict:
    place = model_admin.locality(trip)
    tz, locale, currency = place.time_zone, place.locale, place.currency

    def when(value):
        return formatting.local_datetime(value, tz, locale) if value else ""

    def clock(value):
        return formatting.local_time(value, tz, locale) if value else ""

    def money(minor: int | None, in_currency: str) -> str:
        return formatting.money(minor, in_currency, locale) if minor is not None else ""

    stops = list(trip.stops.all())
    proofs = {p.stop_id: p for p in ProofOfDelivery.objects.filter(stop__trip=trip)}
    timeline = list(trip.timeline.all())
    actors = integrations.user_names(ids=sorted({e.actor_id for e in timeline if e.actor_id}, key=str))
    try:
        fare = integrations.fare_detail(trip_id=trip.id, quote_id=trip.quote_id)
        fare_unavailable = False
    except BillingUnavailable:  # the page still shows the trip; the fare card says why it is empty
        fare, fare_unavailable = None, True
    fare_shown = None
    if fare is not None:
        fare_shown = {
            "kind": FARE_KINDS.get(fare.kind, _label(fare.kind)),
            "lines": [
                {
                    "description": line.description,
                    "net": money(line.net_minor, fare.currency),
                    "tax": money(line.tax_minor, fare.currency),
                    "gross": money(line.gross_minor, fare.currency),
                    "rate": formatting.rate_bps(line.tax_rate_bps, locale),
                }
                for line in fare.lines
            ],
            "net": money(fare.net_minor, fare.currency),
            "tax": money(fare.tax_minor, fare.currency),
            "total": money(fare.total_minor, fare.currency),
            "quoted": money(fare.quoted_total_minor, fare.currency)
            if fare.quoted_total_minor is not None and fare.quoted_total_minor != fare.total_minor
            else "",
        }

    def proof_url(stop, which):
        return reverse("admin:trips_trip_proof", args=[trip.pk, stop.sequence, which])

    stops_shown = []
    for stop in stops:
        proof = proofs.get(stop.id)
        window = ""
        edge = stop.window_start or stop.window_end
        if edge is not None:
            day = formatting.local_date(edge.astimezone(formatting.zone(tz)).date(), locale)
            window = f"{day}, {clock(stop.window_start) or '…'}–{clock(stop.window_end) or '…'}"
        stops_shown.append(
            {
                "sequence": stop.sequence,
                "kind": STOP_KINDS.get(stop.kind, _label(stop.kind)),
                "kind_code": stop.kind,
                "address": stop.address,
                "contact": stop.contact_name,
                "notes": stop.notes,
                "window": window,
                # what the booking said comes off here (a declared zero share shows as "nothing")
                "unload": None
                if stop.unload_weight_kg is None
                else _load_text(stop.unload_weight_kg, stop.unload_parcels or 0, stop.unload_seats or 0) or "nothing",
                "status": stop.get_status_display(),
                "status_code": stop.status,
                "arrived": when(stop.arrived_at),
                "finished": when(stop.finished_at),
                "failure": stop.failure_reason,
                "proof": {
                    "recipient": proof.recipient_name,
                    "signature": proof_url(stop, "signature") if proof.signature_path else "",
                    "photo": proof_url(stop, "photo") if proof.photo_path else "",
                    "pin_verified": proof.pin_verified,
                    "captured": when(proof.captured_at),
                }
                if proof
                else None,
            }
        )
    vehicle = model_admin.name_of(trip, "vehicle_id") if trip.vehicle_id else ""
    return {
        "reference": reference(trip),
        "tracking_url": _tracking_path(trip),
        "status": trip.get_status_display(),
        "status_code": trip.status,
        "fleet": model_admin.name_of(trip, "fleet_id"),
        "customer": model_admin.name_of(trip, "customer_id") if trip.customer_id else "",
        "driver": model_admin.name_of(trip, "driver_id") if trip.driver_id else "",
        "vehicle": vehicle,
        "service": _label(trip.service),
        "vehicle_type": _label(trip.vehicle_type),
        "requested_for": when(trip.requested_for) or "As soon as possible",
        "booked": when(trip.created_at),
        "started": when(trip.started_at),
        "ended": when(trip.ended_at),
        "end_reason": trip.end_reason,
        "load": _load_text(trip.weight_kg, trip.parcels, trip.seats),
        "time_zone": tz,
        "currency": currency,
        "fare": fare_shown,
        "fare_unavailable": fare_unavailable,
        "distance": _distance(fare.distance_m if fare else None, locale),
        "duration": _duration(fare.duration_s if fare else None),
        "stops": stops_shown,
        "timeline": [
            {
                "at": when(e.at),
                "action": ACTIONS.get(e.action, _label(e.action)),
                "change": f"{_label(e.from_status)} → {_label(e.to_status)}" if e.from_status else _label(e.to_status),
                "actor": actors.get(e.actor_id, "") if e.actor_id else "",
                "role": _label(e.actor_role),
                "reason": e.reason,
            }
            for e in timeline
        ],
        "map": {
            **map_config(),
            "stops": [
                {"lat": s.lat, "lng": s.lng, "kind": s.kind, "sequence": s.sequence, "label": s.address} for s in stops
            ],
            "driver": {"lat": trip.tracking_lat, "lng": trip.tracking_lng}
            if trip.tracking_lat is not None and trip.tracking_lng is not None
            else None,
        },
    }


def _load_text(weight_kg: int, parcels: int, seats: int) -> str:
    return ", ".join(
        text
        for text in (
            f"{weight_kg} kg" if weight_kg else "",
            f"{parcels} parcels" if parcels else "",
            f"{seats} seats" if seats else "",
        )
        if text
    )

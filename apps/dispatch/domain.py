"""Pure rules of the dispatch context: what a valid ping is, distances and travel-time estimates."""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Mapping
from typing import Any

from apps.dispatch.contracts import InvalidPing, Ping

LAT_LIMIT = 85.05112878  # Web-Mercator / Redis GEO limit; no road is further north or south
MAX_FUTURE_SKEW = dt.timedelta(seconds=30)  # phone clocks run a little ahead
MAX_AGE = dt.timedelta(days=7)  # an older buffered fix is not worth keeping
MAX_BATCH = 500
MAX_SPEED_MPS = 100.0
MAX_ACCURACY_M = 10_000.0
EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def _number(raw: Mapping[str, Any], key: str, low: float, high: float, errors: dict, *, required: bool) -> float | None:
    value = raw.get(key)
    if value is None:
        if required:
            errors[key] = ["This field is required."]
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        errors[key] = ["A number is required."]
        return None
    if not low <= value <= high:
        errors[key] = [f"Must be between {low} and {high}."]
        return None
    return float(value)


def _timestamp(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)  # Python 3.11 reads a trailing "Z" itself
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def parse_ping(raw: Any, *, now: dt.datetime) -> Ping:
    """A ping from its JSON form, or InvalidPing naming every bad field. Times need an offset (ISO 8601)."""
    if type(raw) is not dict and not isinstance(raw, Mapping):  # JSON gives dicts: skip the ABC check for them
        raise InvalidPing("a ping is a JSON object", extra={"errors": {"non_field_errors": ["Expected an object."]}})
    errors: dict[str, list[str]] = {}
    try:
        raw_id = raw.get("ping_id")
        ping_id = uuid.UUID(raw_id if type(raw_id) is str else str(raw_id))
    except ValueError:
        errors["ping_id"] = ["A UUID chosen by the app is required."]
    lat = _number(raw, "lat", -LAT_LIMIT, LAT_LIMIT, errors, required=True)
    lng = _number(raw, "lng", -180.0, 180.0, errors, required=True)
    accuracy = _number(raw, "accuracy_m", 0.0, MAX_ACCURACY_M, errors, required=False)
    heading = _number(raw, "heading", 0.0, 360.0, errors, required=False)
    speed = _number(raw, "speed_mps", 0.0, MAX_SPEED_MPS, errors, required=False)
    recorded_at = _timestamp(raw.get("recorded_at"))
    if recorded_at is None:
        errors["recorded_at"] = ["An ISO 8601 time with its UTC offset is required."]
    elif recorded_at > now + MAX_FUTURE_SKEW:
        errors["recorded_at"] = ["Lies in the future; check the device clock."]
    elif recorded_at < now - MAX_AGE:
        errors["recorded_at"] = [f"Older than {MAX_AGE.days} days."]
    unknown = set(raw) - {"ping_id", "lat", "lng", "accuracy_m", "heading", "speed_mps", "recorded_at", "driver_id"}
    if unknown:
        errors["non_field_errors"] = [f"Unknown fields: {', '.join(sorted(unknown))}."]
    if errors or lat is None or lng is None or recorded_at is None:  # each None above recorded its error
        raise InvalidPing("the ping is not valid", extra={"errors": errors})
    return Ping(
        ping_id=ping_id,
        lat=lat,
        lng=lng,
        recorded_at=recorded_at,
        accuracy_m=accuracy,
        heading=heading,
        speed_mps=speed,
    )


def parse_batch(raw: Any, *, now: dt.datetime) -> list[Ping]:
    """All pings of an upload or none: errors are reported by position so the app can drop the bad ones."""
    if not isinstance(raw, list) or not raw:
        raise InvalidPing("send a non-empty list of pings", extra={"errors": {"pings": ["A non-empty list."]}})
    if len(raw) > MAX_BATCH:
        raise InvalidPing(
            f"at most {MAX_BATCH} pings per upload", code="dispatch.batch_too_large", extra={"max": MAX_BATCH}
        )
    pings, errors = [], {}
    for i, item in enumerate(raw):
        try:
            pings.append(parse_ping(item, now=now))
        except InvalidPing as exc:
            errors[str(i)] = exc.extra["errors"]
    if errors:
        raise InvalidPing("some pings are not valid; nothing was stored", extra={"errors": errors})
    return pings


def claims_other_driver(raw: Any, driver_id: uuid.UUID) -> bool:
    """A ping may name its driver; it must be the sender's own."""
    claimed = raw.get("driver_id") if type(raw) is dict or isinstance(raw, Mapping) else None
    return claimed is not None and str(claimed) != str(driver_id)


def sort_pings(raw: list, *, driver_id: uuid.UUID, now: dt.datetime) -> tuple[list[Ping], list[dict]]:
    """One by one (a socket's messages): the valid pings, and for each refused one what to tell the app."""
    good, refused = [], []
    for item in raw:
        ping_id = item.get("ping_id") if type(item) is dict or isinstance(item, Mapping) else None
        if claims_other_driver(item, driver_id):
            refused.append(
                {
                    "code": "dispatch.not_your_driver",
                    "message": "pings can only be sent for yourself",
                    "ping_id": ping_id,
                }
            )
            continue
        try:
            good.append(parse_ping(item, now=now))
        except InvalidPing as exc:
            refused.append(
                {"code": exc.code, "message": exc.message, "ping_id": ping_id, "errors": exc.extra["errors"]}
            )
    return good, refused


def newest_per_driver(positions):
    """Coalesce: the latest position of each driver (what a screen needs; older ones are superseded)."""
    latest = {}
    for p in positions:
        held = latest.get(p.driver_id)
        if held is None or p.recorded_at > held.recorded_at:
            latest[p.driver_id] = p
    return list(latest.values())


def _stop_json(s) -> dict:
    return {
        "sequence": s.sequence,
        "kind": s.kind,
        "status": s.status,
        "address": s.address,
        "lat": s.lat,
        "lng": s.lng,
        "window_start": s.window_start,
        "window_end": s.window_end,
    }


def trip_json(t, attempt=None) -> dict:
    """A trip (a TripView: the TripSnapshot its event carries, or a TripRef from trips' api) and auto-dispatch's
    progress on it, as screens and driver apps receive it."""
    return {
        "id": t.id,
        "status": t.status,
        "version": t.version,
        "vehicle_type": t.vehicle_type,
        "weight_kg": t.weight_kg,
        "seats": t.seats,
        "driver_id": t.driver_id,
        "shift_id": t.shift_id,
        "requested_for": t.requested_for,
        "created_at": t.created_at,
        "stops": [_stop_json(s) for s in t.stops],
        "dispatch": None
        if attempt is None
        else {"status": attempt.status, "offers_made": attempt.offers_made, "flag_reason": attempt.flag_reason},
    }

"""Bookings from a CSV file, for the admin's "Import bookings" and `manage.py trips_import_bookings` alike: one row
is one trip (a pickup and a drop-off), booked through `booking.trip_book` with every rule a booking over the API
meets (stops and windows, the fleet's area and capacity, the quote), by a member of the fleet's staff, in its own
transaction; bad rows are reported by line (logitrack.csvimport), and a dry run books nothing.

The columns are `COLUMNS` below (the admin's import page lists them; so does the app's README).
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from rest_framework import serializers

from apps.trips import integrations
from apps.trips.contracts import ActorRole, InvalidTrip, StopKind
from apps.trips.models import Trip
from apps.trips.services import booking
from logitrack import formatting
from logitrack.csvimport import ImportReport, read_rows, run_import

REQUIRED = (
    "pickup_address",
    "pickup_lat",
    "pickup_lng",
    "dropoff_address",
    "dropoff_lat",
    "dropoff_lng",
    "vehicle_type",
)
COLUMNS = (  # (name, required, what it holds): UTF-8, a header row, any order, unknown columns ignored
    ("pickup_address, pickup_lat, pickup_lng", True, "where the trip starts (decimal degrees)"),
    ("dropoff_address, dropoff_lat, dropoff_lng", True, "where it ends"),
    ("vehicle_type", True, "bike, car, van or truck: only a vehicle of exactly this type takes the trip"),
    ("service", False, "delivery (default) or ride"),
    ("customer_email", False, "the customer account it is booked for (an active one)"),
    (
        "requested_for",
        False,
        "2026-12-07 09:30 on the fleet's clock, or ISO 8601 with an offset; empty: as soon as possible",
    ),
    ("pickup_window_start, pickup_window_end, dropoff_window_start, dropoff_window_end", False, "like requested_for"),
    (
        "pickup_contact_name, pickup_contact_phone, dropoff_contact_name, dropoff_contact_phone",
        False,
        "phones as +4930…",
    ),
    ("dropoff_notes", False, "for the driver"),
    ("weight_kg, volume_m3, parcels, seats", False, "the load (0 when empty)"),
    ("quote_id", False, "a quote of this fleet that has not expired"),
    ("require_pin", False, "yes / no: the drop-off needs the PIN the customer gives the recipient"),
)
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 2000


class FileRefused(Exception):
    """The file as a whole cannot be read (encoding, header, size): nothing in it is looked at."""


class Row(serializers.Serializer):
    pickup_address = serializers.CharField(max_length=300)
    pickup_lat = serializers.FloatField(min_value=-90, max_value=90)
    pickup_lng = serializers.FloatField(min_value=-180, max_value=180)
    dropoff_address = serializers.CharField(max_length=300)
    dropoff_lat = serializers.FloatField(min_value=-90, max_value=90)
    dropoff_lng = serializers.FloatField(min_value=-180, max_value=180)
    vehicle_type = serializers.ChoiceField(choices=["bike", "car", "van", "truck"])
    service = serializers.ChoiceField(choices=["delivery", "ride"], default="delivery")
    customer_email = serializers.EmailField(required=False, default="")
    requested_for = serializers.CharField(required=False, default="")
    pickup_window_start = serializers.CharField(required=False, default="")
    pickup_window_end = serializers.CharField(required=False, default="")
    dropoff_window_start = serializers.CharField(required=False, default="")
    dropoff_window_end = serializers.CharField(required=False, default="")
    pickup_contact_name = serializers.CharField(max_length=150, required=False, default="")
    pickup_contact_phone = serializers.RegexField(r"^\+[1-9]\d{6,14}$", required=False, default="")
    dropoff_contact_name = serializers.CharField(max_length=150, required=False, default="")
    dropoff_contact_phone = serializers.RegexField(r"^\+[1-9]\d{6,14}$", required=False, default="")
    dropoff_notes = serializers.CharField(max_length=500, required=False, default="")
    weight_kg = serializers.IntegerField(min_value=0, max_value=60_000, required=False, default=0)
    volume_m3 = serializers.DecimalField(
        max_digits=6, decimal_places=2, min_value=0, required=False, default=Decimal(0)
    )
    parcels = serializers.IntegerField(min_value=0, max_value=1000, required=False, default=0)
    seats = serializers.IntegerField(min_value=0, max_value=60, required=False, default=0)
    quote_id = serializers.UUIDField(required=False, default=None)
    require_pin = serializers.BooleanField(required=False, default=False)


def parse(data: bytes) -> list[tuple[int, dict[str, str]]]:
    """(line, row) pairs of an uploaded file, or FileRefused saying plainly what is wrong with it."""
    if len(data) > MAX_BYTES:
        raise FileRefused(f"the file is {len(data):,} bytes; at most {MAX_BYTES:,} ({MAX_ROWS} bookings) at once")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileRefused(
            f"the file is not UTF-8 text (byte {exc.start + 1}); save it from the spreadsheet as 'CSV UTF-8'"
        ) from None
    if "\x00" in text:
        raise FileRefused("the file is not a CSV text file")
    return read(io.StringIO(text, newline=""))


def read(handle) -> list[tuple[int, dict[str, str]]]:
    try:
        rows = read_rows(handle, required=REQUIRED)
    except ValueError as exc:
        raise FileRefused(str(exc)) from None
    except Exception as exc:  # csv.Error: a broken quote, a field over the csv module's limit
        raise FileRefused(f"the file is not a readable CSV: {exc}") from None
    if not rows:
        raise FileRefused("the file has a header but no bookings")
    if len(rows) > MAX_ROWS:
        raise FileRefused(f"the file has {len(rows)} bookings; at most {MAX_ROWS} at once")
    return rows


def _when(text: str, field: str, zone: dt.tzinfo) -> dt.datetime | None:
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text.replace("T", " ").strip())
    except ValueError:
        raise serializers.ValidationError(
            {field: [f"{text[:30]!r} is not a date and time (2026-12-07 09:30)"]}
        ) from None
    return value.replace(tzinfo=zone) if value.tzinfo is None else value


def booker(
    *, fleet_id: uuid.UUID, booked_by_id: uuid.UUID, role: ActorRole = ActorRole.DISPATCHER
) -> Callable[[dict[str, str]], Trip]:
    """The function that books one row for this fleet, as `booked_by_id` (the fleet's staff)."""
    place = integrations.fleet_localities(fleet_ids=[fleet_id]).get(fleet_id)
    if place is None:
        raise InvalidTrip("no such fleet", code="trips.fleet_not_found")
    zone = formatting.zone(place.time_zone)

    def book(row: dict[str, str]) -> Trip:
        values = Row(data={k: v for k, v in row.items() if v != ""})
        values.is_valid(raise_exception=True)
        v: dict[str, Any] = dict(values.validated_data)
        customer_id = None
        if v["customer_email"]:
            found = integrations.customers_find(text=v["customer_email"], known_ids=[], limit=1)
            if not found or found[0].email.lower() != v["customer_email"].lower():
                raise serializers.ValidationError({"customer_email": ["no active customer account with this email"]})
            customer_id = found[0].id
        stops = [
            booking.StopInput(
                kind=StopKind.PICKUP,
                address=v["pickup_address"],
                lat=v["pickup_lat"],
                lng=v["pickup_lng"],
                contact_name=v["pickup_contact_name"],
                contact_phone=v["pickup_contact_phone"],
                window_start=_when(v["pickup_window_start"], "pickup_window_start", zone),
                window_end=_when(v["pickup_window_end"], "pickup_window_end", zone),
            ),
            booking.StopInput(
                kind=StopKind.DROPOFF,
                address=v["dropoff_address"],
                lat=v["dropoff_lat"],
                lng=v["dropoff_lng"],
                contact_name=v["dropoff_contact_name"],
                contact_phone=v["dropoff_contact_phone"],
                window_start=_when(v["dropoff_window_start"], "dropoff_window_start", zone),
                window_end=_when(v["dropoff_window_end"], "dropoff_window_end", zone),
                notes=v["dropoff_notes"],
            ),
        ]
        return booking.trip_book(
            fleet_id=fleet_id,
            booked_by_id=booked_by_id,
            customer_id=customer_id,
            vehicle_type=v["vehicle_type"],
            service=v["service"],
            stops=stops,
            load=booking.Load(
                weight_kg=v["weight_kg"], volume_m3=v["volume_m3"], parcels=v["parcels"], seats=v["seats"]
            ),
            quote_id=v["quote_id"],
            requested_for=_when(v["requested_for"], "requested_for", zone),
            role=role,
            require_pin=v["require_pin"],
        ).trip

    return book


def import_bookings(
    rows: list[tuple[int, dict[str, str]]],
    *,
    fleet_id: uuid.UUID,
    booked_by_id: uuid.UUID,
    dry_run: bool,
    progress_out=None,
) -> ImportReport:
    """Book every row (each whole or not at all); a dry run checks every rule and books nothing."""
    return run_import(
        rows, booker(fleet_id=fleet_id, booked_by_id=booked_by_id), dry_run=dry_run, progress_out=progress_out
    )

"""What the trips views share: If-Match versions and ETags, the problems they document, and the caller (resolved
once per request; what they may see is decided in apps.trips.selectors)."""

from __future__ import annotations

import re

from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from apps.trips import selectors
from apps.trips.rest_api.v1.serializers.trips import TripOutput
from logitrack.http.principal import require_principal
from logitrack.http.schema import problems

IF_MATCH = OpenApiParameter(
    "If-Match",
    {"type": "string", "pattern": r'^(W/)?"?[0-9]{1,9}"?$'},
    location=OpenApiParameter.HEADER,
    required=True,
    description='the trip version you read, as its ETag: W/"3"',
)
_VERSION = re.compile(r'(?:W/)?"?([0-9]{1,9})"?', re.ASCII)
# what a lifecycle step can answer besides the standard problems: another state or version, no If-Match
VERSIONED = problems(
    428,
    **{
        "409": "the trip is in another state (`trips.illegal_transition`; `trips.proof_missing` when a drop-off lacks "
        "the proof its fleet requires or the trip a PIN drop-off, with `errors` naming what is missing) or version "
        "(`trips.stale_version`)"
    },
)


# a trip goes only on a vehicle of exactly the type it was booked for (apps.trips.contracts.vehicle_serves_booking)
VEHICLE_TYPE_RULE = (
    "The shift's vehicle must be of exactly the type the trip was booked for (a bike booking never goes on a van, "
    "a car ride never on a truck): otherwise `409 trips.vehicle_type_mismatch` with `booked_vehicle_type` and "
    "`vehicle_type`."
)
ASSIGN_PROBLEMS = problems(
    428,
    **{
        "409": "the trip is in another state (`trips.illegal_transition`) or version (`trips.stale_version`), or the "
        "shift cannot take it: its vehicle is of another type than booked (`trips.vehicle_type_mismatch`), too full "
        "(`trips.over_capacity`), its driver not eligible (`trips.not_assignable`), it is not open "
        "(`trips.shift_not_open`) or the trip falls outside it (`trips.outside_shift`)"
    },
)
UNASSIGN_PROBLEMS = problems(
    428,
    **{
        "400": "no `reason` (`validation_failed`, naming it)",
        "409": "the trip is in another state (`trips.illegal_transition`: only assigned, en route or at the pickup), "
        "a stop is already done or failed (`trips.goods_on_board`, with `stops_handled`), or the trip changed "
        "since you read it (`trips.stale_version`, with `current_version`)",
    },
)


class PreconditionRequired(APIException):
    status_code = 428
    default_detail = 'send the version you read in If-Match (the ETag of the trip), e.g. If-Match: W/"3"'
    default_code = "trips.version_required"
    title = "Precondition required"


def expected_version(request) -> int:
    match = _VERSION.fullmatch(request.headers.get("If-Match", "").strip())
    if match is None:
        raise PreconditionRequired()
    return int(match.group(1))


def with_etag(trip, status=200, serializer=TripOutput, context=None):
    response = Response(serializer(trip, context=context or {}).data, status=status)
    response["ETag"] = f'W/"{trip.version}"'
    return response


def tracking_url(request, token: str) -> str:
    """The link a customer opens: the tracking page (its JSON stays at /api/v1/trips/track/<token>/)."""
    return request.build_absolute_uri(f"/track/{token}/")


def caller(request) -> selectors.Caller:
    """The caller as trips sees them (principal and driver ids), resolved once per request and kept on it."""
    found = getattr(request, "_trips_caller", None)
    if found is None:
        found = request._trips_caller = selectors.caller_of(principal=require_principal(request))
    return found

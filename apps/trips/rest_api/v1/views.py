"""Trips REST API: booking, the board, assignment, lifecycle transitions (with If-Match) and timelines."""

from __future__ import annotations

import re
import uuid

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import APIException
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.trips import domain, integrations, selectors, services
from apps.trips.contracts import CancelledBy, StopKind, StopStatus, TripNotFound, TripStatus
from apps.trips.models import Offer, Shift
from logitrack import files
from logitrack.exceptions import NotFound
from logitrack.http import downloads
from logitrack.http.params import paginated, query_choice, query_uuid
from logitrack.http.parsers import JSONParser
from logitrack.http.principal import HasRole, IsAuthenticatedPrincipal, require_principal
from logitrack.http.schema import file_download, problems
from logitrack.http.serializers import StrictInputSerializer
from logitrack.idempotency.drf import idempotent
from logitrack.principal import Role
from logitrack.types import GeoPoint

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


class PreconditionRequired(APIException):
    status_code = 428
    default_detail = 'send the version you read in If-Match (the ETag of the trip), e.g. If-Match: W/"3"'
    default_code = "trips.version_required"
    title = "Precondition required"


def _expected_version(request) -> int:
    match = _VERSION.fullmatch(request.headers.get("If-Match", "").strip())
    if match is None:
        raise PreconditionRequired()
    return int(match.group(1))


class StopOutput(serializers.Serializer):
    sequence = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=[k.value for k in StopKind])
    address = serializers.CharField()
    lat = serializers.FloatField()
    lng = serializers.FloatField()
    contact_name = serializers.CharField()
    window_start = serializers.DateTimeField(allow_null=True)
    window_end = serializers.DateTimeField(allow_null=True)
    service_minutes = serializers.IntegerField()
    notes = serializers.CharField()
    status = serializers.ChoiceField(choices=[s.value for s in StopStatus])


class FareOutput(serializers.Serializer):
    currency = serializers.CharField()
    quoted_total_minor = serializers.IntegerField(
        allow_null=True, help_text="minor units, tax included: the quote the trip was booked with (null: none)"
    )
    final_total_minor = serializers.IntegerField(
        allow_null=True,
        help_text="minor units, tax included: what billing settled (the fare of a completed trip, or a cancellation "
        "fee); null until then, or when nothing is charged",
    )
    final_kind = serializers.ChoiceField(choices=["fare", "cancellation"], allow_null=True)


class TripOutput(serializers.Serializer):
    id = serializers.UUIDField()
    fleet_id = serializers.UUIDField()
    customer_id = serializers.UUIDField(allow_null=True)
    status = serializers.ChoiceField(choices=[s.value for s in TripStatus])
    version = serializers.IntegerField()
    service = serializers.CharField()
    vehicle_type = serializers.CharField()
    quote_id = serializers.UUIDField(allow_null=True)
    requested_for = serializers.DateTimeField(allow_null=True)
    weight_kg = serializers.IntegerField()
    seats = serializers.IntegerField()
    parcels = serializers.IntegerField()
    driver_id = serializers.UUIDField(allow_null=True)
    vehicle_id = serializers.UUIDField(allow_null=True)
    stops = StopOutput(many=True)
    created_at = serializers.DateTimeField()
    fare = serializers.SerializerMethodField(help_text="null when the trip has neither a quote nor a settled amount")

    @extend_schema_field(FareOutput(allow_null=True))
    def get_fare(self, trip):
        fares = self.context.get("fares")
        if fares is None:  # one trip on its own; lists pass every page's fares in one call (fares_context)
            fares = integrations.trip_fares(trips=[trip])
        fare = fares.get(trip.id)
        return FareOutput(fare).data if fare is not None else None


def fares_context(trips) -> dict:
    """Serializer context with billing's fares of a page of trips, fetched in one call (no N+1 on a list)."""
    return {"fares": integrations.trip_fares(trips=list(trips))}


def _with_etag(trip, status=200, serializer=TripOutput):
    response = Response(serializer(trip).data, status=status)
    response["ETag"] = f'W/"{trip.version}"'
    return response


class TripDetailOutput(TripOutput):
    tracking_url = serializers.CharField(
        allow_null=True,
        help_text="for the trip's customer only (null for anyone else, or once the link expired): the link to share",
    )
    pins = serializers.DictField(
        child=serializers.CharField(),
        allow_null=True,
        help_text="for the trip's customer only (null for anyone else): drop-off sequence -> PIN, to give the "
        "recipient",
    )


class StopInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[k.value for k in StopKind])
    address = serializers.CharField(max_length=300)
    lat = serializers.FloatField(min_value=-90, max_value=90)
    lng = serializers.FloatField(min_value=-180, max_value=180)
    contact_name = serializers.CharField(max_length=150, required=False, default="", allow_blank=True)
    contact_phone = serializers.RegexField(r"^\+[1-9]\d{6,14}$", required=False, default="", allow_blank=True)
    window_start = serializers.DateTimeField(required=False, allow_null=True, default=None)
    window_end = serializers.DateTimeField(required=False, allow_null=True, default=None)
    service_minutes = serializers.IntegerField(min_value=0, max_value=240, required=False, default=0)
    notes = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)


class TripListApi(APIView):
    permission_classes = [IsAuthenticatedPrincipal]

    class BookSerializer(StrictInputSerializer):
        fleet_id = serializers.UUIDField()
        vehicle_type = serializers.ChoiceField(
            choices=["bike", "car", "van", "truck"],
            help_text="the vehicle the trip is quoted for and done with: only a vehicle of exactly this type takes "
            "it (assignment, offers, auto-dispatch, route plans); a larger one is not an upgrade",
        )
        service = serializers.ChoiceField(choices=["delivery", "ride"], default="delivery")
        stops = StopInputSerializer(many=True, min_length=2, max_length=services.MAX_STOPS)
        quote_id = serializers.UUIDField(required=False, allow_null=True, default=None)
        requested_for = serializers.DateTimeField(required=False, allow_null=True, default=None)
        weight_kg = serializers.IntegerField(min_value=0, max_value=60_000, required=False, default=0)
        volume_m3 = serializers.DecimalField(max_digits=6, decimal_places=2, min_value=0, required=False, default=0)
        parcels = serializers.IntegerField(min_value=0, max_value=1000, required=False, default=0)
        seats = serializers.IntegerField(min_value=0, max_value=60, required=False, default=0)
        customer_id = serializers.UUIDField(
            required=False, allow_null=True, default=None, help_text="dispatchers booking for a customer"
        )
        require_pin = serializers.BooleanField(
            required=False, default=False, help_text="drop-offs need a PIN the customer gives the recipient"
        )

    @extend_schema(
        tags=["trips"],
        parameters=[
            OpenApiParameter("status", str, enum=[s.value for s in TripStatus]),
            OpenApiParameter("fleet_id", uuid.UUID),
        ],
        responses={200: TripOutput(many=True)},
        operation_id="trips_list",
    )
    def get(self, request):
        principal = require_principal(request)
        qs = selectors.trips_visible(principal=principal, driver_ids=_driver_ids(principal))
        status = query_choice(request, "status", [s.value for s in TripStatus])
        fleet_id = query_uuid(request, "fleet_id")
        if status:
            qs = qs.filter(status=status)
        if fleet_id:
            qs = qs.filter(fleet_id=fleet_id)
        return paginated(self, request, qs, TripOutput, context=fares_context)

    class BookedOutput(TripOutput):
        tracking_url = serializers.CharField(help_text="share it; works without login until it expires")
        pins = serializers.DictField(child=serializers.CharField(), help_text="drop-off sequence -> PIN")

    @extend_schema(
        tags=["trips"],
        request=BookSerializer,
        responses={201: BookedOutput, **problems(404)},
        operation_id="trips_book",
    )
    @idempotent
    def post(self, request):
        principal = require_principal(request)
        data = self.BookSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        staff = principal.may_act_on_fleet(v["fleet_id"], Role.DISPATCHER, Role.FLEET_MANAGER)
        if not staff and not principal.has_role(Role.CUSTOMER):
            raise NotFound("no such fleet", code="fleet.not_found")
        booking = services.trip_book(
            fleet_id=v["fleet_id"],
            booked_by_id=principal.user_id,
            customer_id=(v["customer_id"] if staff else principal.user_id),
            vehicle_type=v["vehicle_type"],
            service=v["service"],
            stops=[services.StopInput(**s) for s in v["stops"]],
            load=services.Load(
                weight_kg=v["weight_kg"], volume_m3=v["volume_m3"], parcels=v["parcels"], seats=v["seats"]
            ),
            quote_id=v["quote_id"],
            requested_for=v["requested_for"],
            role="dispatcher" if staff else "customer",
            require_pin=v["require_pin"],
        )
        response = _with_etag(booking.trip, status=201)
        response.data["tracking_url"] = _tracking_url(request, booking.tracking_token)
        response.data["pins"] = {str(k): pin for k, pin in booking.pins.items()}
        return response


def _tracking_url(request, token: str) -> str:
    return request.build_absolute_uri(f"/api/v1/trips/track/{token}/")


def _driver_ids(principal) -> set:
    return integrations.driver_ids_of(user_id=principal.user_id) if principal.has_role(Role.DRIVER) else set()


def _trip(request, trip_id):
    principal = require_principal(request)
    trip = selectors.trip_for(principal=principal, trip_id=trip_id, driver_ids=_driver_ids(principal))
    if trip is None:
        raise TripNotFound("no such trip")
    return trip


class TripDetailApi(APIView):
    permission_classes = [IsAuthenticatedPrincipal]

    @extend_schema(
        tags=["trips"],
        responses={200: TripDetailOutput},
        operation_id="trips_get",
        description="The trip. Its customer also gets the tracking link and the drop-off PINs again "
        "(`tracking_url`, `pins`); everyone else sees them as null.",
    )
    def get(self, request, trip_id):
        principal = require_principal(request)
        trip = _trip(request, trip_id)
        trip.tracking_url, trip.pins = None, None
        if trip.customer_id is not None and trip.customer_id == principal.user_id:
            token, pins = selectors.owner_secrets(trip=trip)
            trip.tracking_url = _tracking_url(request, token) if token else None
            trip.pins = {str(k): pin for k, pin in pins.items()}
        return _with_etag(trip, serializer=TripDetailOutput)


class TransitionApi(APIView):
    permission_classes = [IsAuthenticatedPrincipal]

    class InputSerializer(StrictInputSerializer):
        action = serializers.ChoiceField(choices=sorted(domain.ACTIONS))
        reason = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)
        lat = serializers.FloatField(min_value=-90, max_value=90, required=False)
        lng = serializers.FloatField(min_value=-180, max_value=180, required=False)
        distance_m = serializers.IntegerField(min_value=0, max_value=2_000_000, required=False)
        waiting_s = serializers.IntegerField(min_value=0, max_value=86_400, required=False, default=0)

    @extend_schema(
        tags=["trips"],
        parameters=[IF_MATCH],
        request=InputSerializer,
        responses={200: TripOutput, **VERSIONED},
        operation_id="trips_transition",
    )
    @idempotent
    def post(self, request, trip_id):
        principal = require_principal(request)
        trip = _trip(request, trip_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        role = selectors.actor_role(principal=principal, trip=trip, action=v["action"])
        location = GeoPoint(v["lat"], v["lng"]) if "lat" in v and "lng" in v else None
        updated = services.trip_transition(
            trip_id=trip.id,
            action=v["action"],
            actor_id=principal.user_id,
            role=role,
            expected_version=_expected_version(request),
            reason=v["reason"],
            location=location,
            distance_m=v.get("distance_m"),
            waiting_s=v["waiting_s"],
        )
        return _with_etag(updated)


class AssignApi(APIView):
    permission_classes = [HasRole.of(Role.DISPATCHER, Role.FLEET_MANAGER)]

    class InputSerializer(StrictInputSerializer):
        shift_id = serializers.UUIDField()
        reason = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)

    @extend_schema(
        tags=["trips"],
        parameters=[IF_MATCH],
        request=InputSerializer,
        responses={200: TripOutput, **ASSIGN_PROBLEMS},
        operation_id="trips_assign",
        description=VEHICLE_TYPE_RULE,
    )
    @idempotent
    def post(self, request, trip_id):
        principal = require_principal(request)
        trip = _trip(request, trip_id)
        if not principal.may_act_on_fleet(trip.fleet_id, Role.DISPATCHER, Role.FLEET_MANAGER):
            raise TripNotFound("no such trip")
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        updated = services.trip_assign(
            trip_id=trip.id,
            actor_id=principal.user_id,
            expected_version=_expected_version(request),
            **data.validated_data,
        )
        return _with_etag(updated)


class TimelineApi(APIView):
    permission_classes = [IsAuthenticatedPrincipal]

    class EventOutput(serializers.Serializer):
        action = serializers.CharField()
        from_status = serializers.CharField()
        to_status = serializers.CharField()
        actor_id = serializers.UUIDField(allow_null=True)
        actor_role = serializers.ChoiceField(
            choices=[r.value for r in CancelledBy],
            help_text="`system`: the platform itself, with no `actor_id` (auto-dispatch's offers, lapsed offers, "
            "cancellations of stale trips or of an erased customer's)",
        )
        at = serializers.DateTimeField()
        lat = serializers.FloatField(allow_null=True)
        lng = serializers.FloatField(allow_null=True)
        reason = serializers.CharField()

    @extend_schema(tags=["trips"], responses={200: EventOutput(many=True)}, operation_id="trips_timeline")
    def get(self, request, trip_id):
        trip = _trip(request, trip_id)
        return paginated(self, request, trip.timeline.all(), self.EventOutput)


class ShiftOutput(serializers.Serializer):
    id = serializers.UUIDField()
    fleet_id = serializers.UUIDField()
    driver_id = serializers.UUIDField()
    vehicle_id = serializers.UUIDField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=Shift.Status.values)
    pooling = serializers.BooleanField()
    started_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    odometer_start_km = serializers.DecimalField(max_digits=9, decimal_places=1, allow_null=True)
    odometer_end_km = serializers.DecimalField(max_digits=9, decimal_places=1, allow_null=True)


class ShiftListApi(APIView):
    permission_classes = [HasRole.of(Role.DISPATCHER, Role.FLEET_MANAGER, Role.DRIVER)]

    class PlanSerializer(StrictInputSerializer):
        fleet_id = serializers.UUIDField()
        driver_id = serializers.UUIDField()
        vehicle_id = serializers.UUIDField()
        starts_at = serializers.DateTimeField()
        ends_at = serializers.DateTimeField()
        pooling = serializers.BooleanField(required=False, default=False)

    @extend_schema(
        tags=["trips"],
        parameters=[OpenApiParameter("fleet_id", uuid.UUID), OpenApiParameter("status", str, enum=Shift.Status.values)],
        responses={200: ShiftOutput(many=True)},
        operation_id="trips_shifts_list",
    )
    def get(self, request):
        principal = require_principal(request)
        qs = selectors.shifts_visible(
            principal=principal, driver_ids=integrations.driver_ids_of(user_id=principal.user_id)
        )
        status = query_choice(request, "status", Shift.Status.values)
        fleet_id = query_uuid(request, "fleet_id")
        if status:
            qs = qs.filter(status=status)
        if fleet_id:
            qs = qs.filter(fleet_id=fleet_id)
        return paginated(self, request, qs, ShiftOutput)

    @extend_schema(
        tags=["trips"],
        request=PlanSerializer,
        responses={201: ShiftOutput, **problems(404, 409)},
        operation_id="trips_shifts_plan",
    )
    @idempotent
    def post(self, request):
        principal = require_principal(request)
        data = self.PlanSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if not principal.may_act_on_fleet(data.validated_data["fleet_id"], Role.DISPATCHER, Role.FLEET_MANAGER):
            raise NotFound("no such fleet", code="fleet.not_found")
        shift = services.shift_plan(planned_by_id=principal.user_id, **data.validated_data)
        return Response(ShiftOutput(shift).data, status=201)


def _shift(request, shift_id, *, staff: bool):
    principal = require_principal(request)
    shift = (
        selectors.shifts_visible(principal=principal, driver_ids=integrations.driver_ids_of(user_id=principal.user_id))
        .filter(id=shift_id)
        .first()
    )
    if shift is None:
        raise NotFound("no such shift", code="trips.shift_not_found")
    is_staff = principal.may_act_on_fleet(shift.fleet_id, Role.DISPATCHER, Role.FLEET_MANAGER)
    if staff and not is_staff:
        raise NotFound("no such shift", code="trips.shift_not_found")
    return shift


class ShiftStartEndApi(APIView):
    """The driver starts and ends their shift from the app, with odometer readings."""

    permission_classes = [HasRole.of(Role.DRIVER)]
    end = False

    class InputSerializer(StrictInputSerializer):
        odometer_km = serializers.DecimalField(max_digits=9, decimal_places=1, min_value=0)

    @extend_schema(tags=["driver app"], request=InputSerializer, responses={200: ShiftOutput, **problems(409)})
    @idempotent
    def post(self, request, shift_id):
        principal = require_principal(request)
        shift = _shift(request, shift_id, staff=False)
        if shift.driver_id not in integrations.driver_ids_of(user_id=principal.user_id):
            raise NotFound("no such shift", code="trips.shift_not_found")
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        action = services.shift_end if self.end else services.shift_start
        return Response(ShiftOutput(action(shift_id=shift.id, odometer_km=data.validated_data["odometer_km"])).data)


class ShiftCancelApi(APIView):
    permission_classes = [HasRole.of(Role.DISPATCHER, Role.FLEET_MANAGER)]

    @extend_schema(
        tags=["trips"],
        request=None,
        responses={200: ShiftOutput, **problems(409)},
        operation_id="trips_shifts_cancel",
    )
    @idempotent
    def post(self, request, shift_id):
        shift = _shift(request, shift_id, staff=True)
        return Response(ShiftOutput(services.shift_cancel(shift_id=shift.id)).data)


class DoneSerializer(StrictInputSerializer):
    recipient_name = serializers.CharField(max_length=150, required=False, default="", allow_blank=True)
    signature = serializers.FileField(
        required=False, allow_empty_file=True, help_text="PNG of the signature, at most 5 MB; stored re-encoded as PNG"
    )
    photo = serializers.FileField(
        required=False,
        allow_empty_file=True,
        help_text="JPEG or PNG, at most 5 MB and 40 MP; stored re-encoded as JPEG, no metadata",
    )
    pin = serializers.RegexField(r"^\d{4}$", required=False, default="")


class FailSerializer(StrictInputSerializer):
    reason = serializers.CharField(max_length=300)


class StopActionApi(APIView):
    """The driver arrives at, finishes (with proof for drop-offs) or fails a stop."""

    permission_classes = [HasRole.of(Role.DRIVER)]
    parser_classes = [MultiPartParser, JSONParser]

    def act(self, request, trip_id, sequence, action):
        principal = require_principal(request)
        trip = _trip(request, trip_id)
        if trip.driver_id not in integrations.driver_ids_of(user_id=principal.user_id):
            raise TripNotFound("no such trip")
        version = _expected_version(request)
        common = {"trip_id": trip.id, "sequence": sequence, "actor_id": principal.user_id, "expected_version": version}
        if action == "arrive":
            services.stop_arrive(**common)
        elif action == "done":
            data = DoneSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            services.stop_done(**common, **data.validated_data)
        else:
            data = FailSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            services.stop_fail(**common, reason=data.validated_data["reason"])
        return _with_etag(_trip(request, trip.id))


class StopArriveApi(StopActionApi):
    @extend_schema(
        tags=["driver app"],
        parameters=[IF_MATCH],
        request=None,
        responses={200: TripOutput, **VERSIONED},
        operation_id="trips_stops_arrive",
    )
    @idempotent
    def post(self, request, trip_id, sequence):
        return self.act(request, trip_id, sequence, "arrive")


class StopDoneApi(StopActionApi):
    @extend_schema(
        tags=["driver app"],
        parameters=[IF_MATCH],
        request={"multipart/form-data": DoneSerializer},
        responses={200: TripOutput, **VERSIONED},
        operation_id="trips_stops_done",
    )
    @idempotent
    def post(self, request, trip_id, sequence):
        return self.act(request, trip_id, sequence, "done")


class StopFailApi(StopActionApi):
    @extend_schema(
        tags=["driver app"],
        parameters=[IF_MATCH],
        request=FailSerializer,
        responses={200: TripOutput, **VERSIONED},
        operation_id="trips_stops_fail",
    )
    @idempotent
    def post(self, request, trip_id, sequence):
        return self.act(request, trip_id, sequence, "fail")


class ProofApi(APIView):
    permission_classes = [IsAuthenticatedPrincipal]

    class ProofOutput(serializers.Serializer):
        recipient_name = serializers.CharField()
        pin_verified = serializers.BooleanField()
        captured_at = serializers.DateTimeField()
        has_signature = serializers.SerializerMethodField()
        has_photo = serializers.SerializerMethodField()

        def get_has_signature(self, proof) -> bool:
            return bool(proof.signature_path)

        def get_has_photo(self, proof) -> bool:
            return bool(proof.photo_path)

    @extend_schema(tags=["trips"], responses={200: ProofOutput}, operation_id="trips_stops_proof")
    def get(self, request, trip_id, sequence):
        proof = _proof(request, trip_id, sequence)
        return Response(self.ProofOutput(proof).data)


def _proof(request, trip_id, sequence):
    principal = require_principal(request)
    trip = selectors.trip_for(principal=principal, trip_id=trip_id)  # fleet staff and the trip's customer
    proof = selectors.proof_of(trip=trip, sequence=sequence) if trip else None
    if proof is None:
        raise NotFound("no proof of delivery here", code="trips.proof_not_found")
    return proof


class ProofFileApi(APIView):
    permission_classes = [IsAuthenticatedPrincipal]
    renderer_classes = downloads.renderers("image/png", "image/jpeg")

    @extend_schema(
        tags=["trips"],
        responses=file_download("image/png", "image/jpeg", description="the signature (PNG) or photo (JPEG, PNG)"),
        operation_id="trips_stops_proof_file",
    )
    def get(self, request, trip_id, sequence, which):
        if which not in ("signature", "photo"):
            raise NotFound("proof files are signature and photo", code="trips.proof_not_found")
        proof = _proof(request, trip_id, sequence)
        path = proof.signature_path if which == "signature" else proof.photo_path
        if not path:
            raise NotFound("nothing captured", code="trips.proof_not_found")
        return downloads.file_response(request, files.open_private(path), content_type=files.content_type_of(path))


class TrackingStop(serializers.Serializer):
    sequence = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=[k.value for k in StopKind])
    status = serializers.ChoiceField(choices=[s.value for s in StopStatus])


class TrackingVehicle(serializers.Serializer):
    type = serializers.CharField()
    make = serializers.CharField()
    model = serializers.CharField()
    registration = serializers.CharField()


class TrackingPosition(serializers.Serializer):
    lat = serializers.FloatField(help_text="rounded to 3 decimals (about 100 m)")
    lng = serializers.FloatField()


class TrackingOutput(serializers.Serializer):
    status = serializers.ChoiceField(choices=[s.value for s in TripStatus])
    stops = TrackingStop(many=True)
    driver_first_name = serializers.CharField(allow_null=True)
    vehicle = TrackingVehicle(allow_null=True)
    eta = serializers.DateTimeField(
        allow_null=True, help_text="estimated arrival at the next open stop, while the trip is assigned or moving"
    )
    driver_position = TrackingPosition(allow_null=True, help_text="approximate, while the trip moves")


class TrackingApi(APIView):
    """Public: anyone with the link sees the trip's progress — no login, no personal data but a first name."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(tags=["tracking"], responses={200: TrackingOutput}, operation_id="trips_track")
    def get(self, request, token):
        trip = selectors.tracking_for(token=token)
        if trip is None:
            raise NotFound("this tracking link is unknown or has expired", code="trips.tracking_expired")
        return Response(TrackingOutput(selectors.tracking_view(trip=trip)).data)


class OfferOutput(serializers.Serializer):
    id = serializers.UUIDField()
    trip_id = serializers.UUIDField()
    shift_id = serializers.UUIDField()
    driver_id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=Offer.Status.values)
    expires_at = serializers.DateTimeField()
    answered_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField()


class OfferCreateApi(APIView):
    permission_classes = [HasRole.of(Role.DISPATCHER, Role.FLEET_MANAGER)]

    class InputSerializer(StrictInputSerializer):
        shift_id = serializers.UUIDField()
        timeout_seconds = serializers.IntegerField(min_value=10, max_value=600, required=False)

    @extend_schema(
        tags=["trips"],
        request=InputSerializer,
        responses={
            201: OfferOutput,
            **problems(
                **{
                    "409": "the trip is not waiting or already has an open offer (`trips.offer_open`), or the shift "
                    "cannot take it (`trips.vehicle_type_mismatch`, `trips.over_capacity`, `trips.not_assignable`, "
                    "…) — the same checks as an assignment"
                }
            ),
        },
        operation_id="trips_offers_make",
        description=VEHICLE_TYPE_RULE,
    )
    @idempotent
    def post(self, request, trip_id):
        principal = require_principal(request)
        trip = _trip(request, trip_id)
        if not principal.may_act_on_fleet(trip.fleet_id, Role.DISPATCHER, Role.FLEET_MANAGER):
            raise TripNotFound("no such trip")
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        offer = services.offer_make(
            trip_id=trip.id,
            shift_id=data.validated_data["shift_id"],
            actor_id=principal.user_id,
            timeout_s=data.validated_data.get("timeout_seconds"),
        )
        return Response(OfferOutput(offer).data, status=201)


class MyOffersApi(APIView):
    permission_classes = [HasRole.of(Role.DRIVER)]

    @extend_schema(tags=["driver app"], responses={200: OfferOutput(many=True)}, operation_id="trips_offers_mine")
    def get(self, request):
        drivers = integrations.driver_ids_of(user_id=require_principal(request).user_id)
        return paginated(self, request, selectors.offers_pending(driver_ids=drivers), OfferOutput)


class OfferAnswerApi(APIView):
    permission_classes = [HasRole.of(Role.DRIVER)]
    accept = True

    class InputSerializer(StrictInputSerializer):
        reason = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)

    def answer(self, request, offer_id, accept):
        principal = require_principal(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        offer = services.offer_answer(
            offer_id=offer_id,
            driver_ids=integrations.driver_ids_of(user_id=principal.user_id),
            accept=accept,
            actor_id=principal.user_id,
            reason=data.validated_data["reason"],
        )
        return Response(OfferOutput(offer).data)


class OfferAcceptApi(OfferAnswerApi):
    @extend_schema(
        tags=["driver app"],
        request=OfferAnswerApi.InputSerializer,
        responses={200: OfferOutput, **problems(409)},
        operation_id="trips_offers_accept",
    )
    @idempotent
    def post(self, request, offer_id):
        return self.answer(request, offer_id, True)


class OfferRejectApi(OfferAnswerApi):
    @extend_schema(
        tags=["driver app"],
        request=OfferAnswerApi.InputSerializer,
        responses={200: OfferOutput, **problems(409)},
        operation_id="trips_offers_reject",
    )
    @idempotent
    def post(self, request, offer_id):
        return self.answer(request, offer_id, False)

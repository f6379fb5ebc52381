"""Fleet REST API: fleets and their onboarding, vehicles, vehicle documents and maintenance."""

from __future__ import annotations

import uuid

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.fleet import selectors
from apps.fleet.contracts import (
    FleetNotFound,
    FleetStatus,
    VehicleDocumentKind,
    VehicleNotFound,
    VehicleStatus,
    VehicleType,
)
from apps.fleet.domain import FLEET_ACTIONS
from apps.fleet.models import Fleet, Vehicle
from apps.fleet.services import fleet_settings, maintenance, onboarding, vehicle_documents, vehicles
from logitrack import files
from logitrack.http import downloads
from logitrack.http.params import paginated, query_choice, query_uuid
from logitrack.http.parsers import JSONParser
from logitrack.http.principal import HasRole, IsAuthenticatedPrincipal, require_principal
from logitrack.http.schema import file_download, problems
from logitrack.http.serializers import StrictInputSerializer
from logitrack.idempotency.drf import idempotent
from logitrack.principal import Principal, Role

MANAGERS = HasRole.of(Role.FLEET_MANAGER)
STAFF = HasRole.of(Role.FLEET_MANAGER, Role.DISPATCHER)


# ---- fleets ------------------------------------------------------------------------------


class FleetOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    legal_name = serializers.CharField()
    status = serializers.ChoiceField(choices=[s.value for s in FleetStatus])
    address_line1 = serializers.CharField()
    address_line2 = serializers.CharField()
    postal_code = serializers.CharField()
    city = serializers.CharField()
    country = serializers.CharField()
    currency = serializers.CharField()
    time_zone = serializers.CharField()
    tax_id = serializers.CharField()
    auto_dispatch = serializers.BooleanField()
    default_service_minutes = serializers.IntegerField()
    commission_bps = serializers.IntegerField()
    service_center_lat = serializers.FloatField(allow_null=True)
    service_center_lng = serializers.FloatField(allow_null=True)
    service_radius_m = serializers.IntegerField(allow_null=True)
    service_polygon = serializers.ListField(child=serializers.ListField(child=serializers.FloatField()))
    proof_of_delivery = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()


class FleetSettingsFields(StrictInputSerializer):
    name = serializers.CharField(max_length=120)
    legal_name = serializers.CharField(max_length=200)
    address_line1 = serializers.CharField(max_length=200)
    address_line2 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=20)
    city = serializers.CharField(max_length=100)
    tax_id = serializers.CharField(max_length=40, required=False, allow_blank=True)
    time_zone = serializers.CharField(max_length=64)
    auto_dispatch = serializers.BooleanField(required=False)
    default_service_minutes = serializers.IntegerField(required=False, min_value=0, max_value=240)
    service_center_lat = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    service_center_lng = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)
    service_radius_m = serializers.IntegerField(required=False, allow_null=True, min_value=100, max_value=500_000)
    service_polygon = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2),
        required=False,
        max_length=500,
    )
    proof_of_delivery = serializers.ListField(
        child=serializers.ChoiceField(choices=["recipient", "signature", "photo", "pin"]), required=False, max_length=4
    )


class FleetListApi(APIView):
    permission_classes = [IsAuthenticatedPrincipal]

    class ApplySerializer(FleetSettingsFields):
        country = serializers.RegexField(r"^[A-Z]{2}$")
        currency = serializers.RegexField(r"^[A-Z]{3}$")

    @extend_schema(
        tags=["fleet"],
        parameters=[
            OpenApiParameter("status", str, enum=[s.value for s in FleetStatus]),
            OpenApiParameter("search", str),
        ],
        responses={200: FleetOutput(many=True)},
        operation_id="fleet_fleets_list",
    )
    def get(self, request):
        status = query_choice(request, "status", {s.value for s in FleetStatus})
        qs = selectors.fleet_list(
            principal=require_principal(request), status=status, search=request.query_params.get("search")
        )
        return paginated(self, request, qs, FleetOutput)

    @extend_schema(
        tags=["fleet"], request=ApplySerializer, responses={201: FleetOutput}, operation_id="fleet_fleets_apply"
    )
    @idempotent
    def post(self, request):
        data = self.ApplySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fleet = onboarding.fleet_apply(applicant_id=require_principal(request).user_id, data=data.validated_data)
        return Response(FleetOutput(fleet).data, status=201)


def _fleet_for(principal: Principal, fleet_id: uuid.UUID) -> Fleet:
    fleet = selectors.fleets_visible(principal=principal).filter(id=fleet_id).first()
    if fleet is None:
        raise FleetNotFound("no such fleet")
    return fleet


class FleetDetailApi(APIView):
    permission_classes = [IsAuthenticatedPrincipal]

    class UpdateSerializer(FleetSettingsFields):
        commission_bps = serializers.IntegerField(required=False, min_value=0, max_value=10_000)

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            for field in self.fields.values():
                field.required = False

    @extend_schema(tags=["fleet"], responses={200: FleetOutput}, operation_id="fleet_fleets_get")
    def get(self, request, fleet_id):
        return Response(FleetOutput(_fleet_for(require_principal(request), fleet_id)).data)

    @extend_schema(
        tags=["fleet"],
        request=UpdateSerializer,
        responses={200: FleetOutput, **problems(403)},
        operation_id="fleet_fleets_update",
    )
    @idempotent
    def patch(self, request, fleet_id):
        principal = require_principal(request)
        fleet = _fleet_for(principal, fleet_id)
        if not principal.may_act_on_fleet(fleet.id, Role.FLEET_MANAGER):
            from rest_framework.exceptions import PermissionDenied

            raise PermissionDenied("only the fleet's managers may change its settings")
        data = self.UpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fleet = fleet_settings.fleet_settings_update(
            fleet_id=fleet.id, data=data.validated_data, as_platform_admin=principal.is_platform_admin
        )
        return Response(FleetOutput(fleet).data)


class FleetTransitionApi(APIView):
    """Onboarding decisions: platform admins only."""

    permission_classes = [HasRole.of(Role.PLATFORM_ADMIN)]

    class InputSerializer(StrictInputSerializer):
        action = serializers.ChoiceField(choices=sorted(FLEET_ACTIONS))
        reason = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)

    @extend_schema(
        tags=["fleet"],
        request=InputSerializer,
        responses={200: FleetOutput, **problems(409)},
        operation_id="fleet_fleets_transition",
    )
    def post(self, request, fleet_id):
        principal = require_principal(request)
        _fleet_for(principal, fleet_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fleet = onboarding.fleet_transition(fleet_id=fleet_id, actor_id=principal.user_id, **data.validated_data)
        return Response(FleetOutput(fleet).data)


class FleetHistoryApi(APIView):
    permission_classes = [HasRole.of(Role.FLEET_MANAGER)]

    class ChangeOutput(serializers.Serializer):
        from_status = serializers.CharField()
        to_status = serializers.CharField()
        actor_id = serializers.UUIDField(allow_null=True)
        reason = serializers.CharField()
        created_at = serializers.DateTimeField()

    @extend_schema(tags=["fleet"], responses={200: ChangeOutput(many=True)}, operation_id="fleet_fleets_history")
    def get(self, request, fleet_id):
        principal = require_principal(request)
        if not principal.may_act_on_fleet(fleet_id, Role.FLEET_MANAGER):
            raise FleetNotFound("no such fleet")
        fleet = _fleet_for(principal, fleet_id)
        return paginated(self, request, fleet.status_changes.order_by("created_at"), self.ChangeOutput)


# ---- vehicles ----------------------------------------------------------------------------


class VehicleDetailsOutput(serializers.Serializer):
    """The fields of the vehicle's own type: a bike's, a car's, a van's or a truck's."""

    electric = serializers.BooleanField(required=False, help_text="bike")
    cargo_box = serializers.BooleanField(required=False, help_text="bike")
    body = serializers.ChoiceField(choices=["sedan", "estate", "suv", "mpv"], required=False, help_text="car")
    wheelchair_accessible = serializers.BooleanField(required=False, help_text="car")
    tail_lift = serializers.BooleanField(required=False, help_text="van")
    refrigerated = serializers.BooleanField(required=False, help_text="van")
    axles = serializers.IntegerField(required=False, help_text="truck")
    gross_weight_kg = serializers.IntegerField(required=False, help_text="truck")
    licence_class = serializers.CharField(required=False, help_text="truck: the driving licence class it needs")


class VehicleOutput(serializers.Serializer):
    id = serializers.UUIDField()
    fleet_id = serializers.UUIDField()
    type = serializers.SerializerMethodField()
    registration = serializers.CharField()
    registration_country = serializers.CharField()
    make = serializers.CharField()
    model = serializers.CharField()
    year = serializers.IntegerField()
    status = serializers.ChoiceField(choices=[s.value for s in VehicleStatus])
    capacity_kg = serializers.IntegerField()
    capacity_volume_m3 = serializers.DecimalField(max_digits=6, decimal_places=2)
    seats = serializers.IntegerField()
    parcels = serializers.IntegerField()
    details = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_type(self, vehicle) -> str:
        return vehicle.TYPE.value

    @extend_schema_field(VehicleDetailsOutput)
    def get_details(self, vehicle) -> dict:
        return {f: getattr(vehicle, f) for f in vehicles.TYPE_FIELDS[vehicle.TYPE]}


class VehicleFields(StrictInputSerializer):
    make = serializers.CharField(max_length=60)
    model = serializers.CharField(max_length=60)
    year = serializers.IntegerField(min_value=1950, max_value=2100)
    capacity_kg = serializers.IntegerField(min_value=0, required=False)
    capacity_volume_m3 = serializers.DecimalField(max_digits=6, decimal_places=2, min_value=0, required=False)
    seats = serializers.IntegerField(min_value=0, max_value=60, required=False)
    parcels = serializers.IntegerField(min_value=0, required=False)
    electric = serializers.BooleanField(required=False)
    cargo_box = serializers.BooleanField(required=False)
    body = serializers.ChoiceField(choices=["sedan", "estate", "suv", "mpv"], required=False)
    wheelchair_accessible = serializers.BooleanField(required=False)
    tail_lift = serializers.BooleanField(required=False)
    refrigerated = serializers.BooleanField(required=False)
    axles = serializers.IntegerField(min_value=2, max_value=9, required=False)
    gross_weight_kg = serializers.IntegerField(min_value=1, required=False)
    licence_class = serializers.CharField(max_length=5, required=False)


def _check_type_fields(vehicle_type: VehicleType, data: dict) -> None:
    foreign = {f for t, fields in vehicles.TYPE_FIELDS.items() if t != vehicle_type for f in fields}
    own = set(vehicles.TYPE_FIELDS[vehicle_type])
    wrong = sorted((set(data) & foreign) - own)
    if wrong:
        raise serializers.ValidationError({f: [f"Does not apply to a {vehicle_type}."] for f in wrong})
    if vehicle_type == VehicleType.TRUCK and "gross_weight_kg" not in data:
        raise serializers.ValidationError({"gross_weight_kg": ["Required for a truck."]})


def _vehicle_for(request, vehicle_id: uuid.UUID, *, manage: bool = False) -> Vehicle:
    principal = require_principal(request)
    fleets = (
        None
        if principal.is_platform_admin
        else principal.fleets(Role.FLEET_MANAGER)
        if manage
        else selectors.vehicle_fleets(principal)
    )
    vehicle = selectors.vehicles_of(fleet_ids=fleets).filter(id=vehicle_id).first()
    if vehicle is None:
        raise VehicleNotFound("no such vehicle")
    return vehicle


class VehicleListApi(APIView):
    permission_classes = [STAFF]

    class CreateSerializer(VehicleFields):
        fleet_id = serializers.UUIDField()
        type = serializers.ChoiceField(choices=[t.value for t in VehicleType])
        registration = serializers.CharField(max_length=20)
        registration_country = serializers.RegexField(r"^[A-Z]{2}$", required=False)

    @extend_schema(
        tags=["fleet"],
        parameters=[
            OpenApiParameter("fleet_id", uuid.UUID),
            OpenApiParameter("status", str, enum=[s.value for s in VehicleStatus]),
            OpenApiParameter("type", str, enum=[t.value for t in VehicleType]),
            OpenApiParameter("search", str),
            OpenApiParameter("documents_expiring_within", int, description="days"),
        ],
        responses={200: VehicleOutput(many=True)},
        operation_id="fleet_vehicles_list",
    )
    def get(self, request):
        within = request.query_params.get("documents_expiring_within")
        qs = selectors.vehicle_list(
            principal=require_principal(request),
            fleet_id=query_uuid(request, "fleet_id"),
            status=query_choice(request, "status", {s.value for s in VehicleStatus}),
            vehicle_type=query_choice(request, "type", {t.value for t in VehicleType}),
            search=request.query_params.get("search"),
            documents_expiring_within=None
            if within is None
            else serializers.IntegerField(min_value=0, max_value=3650).run_validation(within),
        )
        return paginated(self, request, qs, VehicleOutput)

    @extend_schema(
        tags=["fleet"],
        request=CreateSerializer,
        responses={201: VehicleOutput, **problems(404)},
        operation_id="fleet_vehicles_create",
    )
    @idempotent
    def post(self, request):
        data = self.CreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        fleet_id, vehicle_type = values.pop("fleet_id"), VehicleType(values.pop("type"))
        principal = require_principal(request)
        if not principal.may_act_on_fleet(fleet_id, Role.FLEET_MANAGER):
            raise FleetNotFound("no such fleet")
        _check_type_fields(vehicle_type, values)
        vehicle = vehicles.vehicle_add(fleet_id=fleet_id, vehicle_type=vehicle_type, data=values)
        return Response(VehicleOutput(vehicle).data, status=201)


class VehicleDetailApi(APIView):
    permission_classes = [STAFF]

    class UpdateSerializer(VehicleFields):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            for field in self.fields.values():
                field.required = False

    @extend_schema(tags=["fleet"], responses={200: VehicleOutput}, operation_id="fleet_vehicles_get")
    def get(self, request, vehicle_id):
        return Response(VehicleOutput(_vehicle_for(request, vehicle_id)).data)

    @extend_schema(
        tags=["fleet"], request=UpdateSerializer, responses={200: VehicleOutput}, operation_id="fleet_vehicles_update"
    )
    @idempotent
    def patch(self, request, vehicle_id):
        vehicle = _vehicle_for(request, vehicle_id, manage=True)
        data = self.UpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        _check_type_fields(vehicle.TYPE, {k: v for k, v in data.validated_data.items() if k != "gross_weight_kg"})
        return Response(VehicleOutput(vehicles.vehicle_update(vehicle_id=vehicle.id, data=data.validated_data)).data)


class VehicleStatusApi(APIView):
    permission_classes = [MANAGERS]

    class InputSerializer(StrictInputSerializer):
        status = serializers.ChoiceField(choices=[s.value for s in VehicleStatus])

    @extend_schema(
        tags=["fleet"], request=InputSerializer, responses={200: VehicleOutput}, operation_id="fleet_vehicles_status"
    )
    @idempotent
    def post(self, request, vehicle_id):
        vehicle = _vehicle_for(request, vehicle_id, manage=True)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        vehicles.vehicle_status_change(vehicle_id=vehicle.id, status=VehicleStatus(data.validated_data["status"]))
        return Response(VehicleOutput(Vehicle.objects.get(id=vehicle.id)).data)


class DocumentOutput(serializers.Serializer):
    id = serializers.UUIDField()
    vehicle_id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=[k.value for k in VehicleDocumentKind])
    number = serializers.CharField()
    issued_on = serializers.DateField(allow_null=True)
    expires_on = serializers.DateField()
    has_file = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_has_file(self, doc) -> bool:
        return bool(doc.file_path)


class VehicleDocumentListApi(APIView):
    permission_classes = [MANAGERS]
    parser_classes = [MultiPartParser, JSONParser]

    class InputSerializer(StrictInputSerializer):
        kind = serializers.ChoiceField(choices=[k.value for k in VehicleDocumentKind])
        number = serializers.CharField(max_length=60, required=False, default="", allow_blank=True)
        issued_on = serializers.DateField(required=False, allow_null=True)
        expires_on = serializers.DateField()
        file = serializers.FileField(
            required=False,
            allow_empty_file=True,
            help_text="PDF (kept as sent; no scripts, not encrypted), or JPEG/PNG (at most 40 MP; stored re-encoded "
            "as JPEG, no metadata); at most 10 MB",
        )

    @extend_schema(
        tags=["fleet"], responses={200: DocumentOutput(many=True)}, operation_id="fleet_vehicle_documents_list"
    )
    def get(self, request, vehicle_id):
        vehicle = _vehicle_for(request, vehicle_id, manage=True)
        return paginated(self, request, vehicle.documents.order_by("expires_on"), DocumentOutput)

    @extend_schema(
        tags=["fleet"],
        request={"multipart/form-data": InputSerializer},
        responses={201: DocumentOutput},
        operation_id="fleet_vehicle_documents_add",
    )
    @idempotent
    def post(self, request, vehicle_id):
        vehicle = _vehicle_for(request, vehicle_id, manage=True)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        document = vehicle_documents.vehicle_document_add(
            vehicle_id=vehicle.id,
            kind=VehicleDocumentKind(values["kind"]),
            expires_on=values["expires_on"],
            number=values["number"],
            issued_on=values.get("issued_on"),
            upload=values.get("file"),
        )
        return Response(DocumentOutput(document).data, status=201)


class VehicleDocumentFileApi(APIView):
    permission_classes = [MANAGERS]
    renderer_classes = downloads.renderers("application/pdf", "image/jpeg", "image/png")

    @extend_schema(
        tags=["fleet"],
        responses=file_download("application/pdf", "image/jpeg", "image/png", description="the stored scan"),
        operation_id="fleet_vehicle_documents_file",
    )
    def get(self, request, vehicle_id, document_id):
        vehicle = _vehicle_for(request, vehicle_id, manage=True)
        document = vehicle.documents.filter(id=document_id).exclude(file_path="").first()
        if document is None:
            raise VehicleNotFound("no such document file", code="fleet.document_not_found")
        return downloads.file_response(
            request, files.open_private(document.file_path), content_type=document.content_type, as_attachment=True
        )


class MaintenanceOutput(serializers.Serializer):
    id = serializers.UUIDField()
    vehicle_id = serializers.UUIDField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    reason = serializers.CharField()


class MaintenanceListApi(APIView):
    permission_classes = [STAFF]

    class InputSerializer(StrictInputSerializer):
        starts_at = serializers.DateTimeField()
        ends_at = serializers.DateTimeField()
        reason = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)

    @extend_schema(tags=["fleet"], responses={200: MaintenanceOutput(many=True)}, operation_id="fleet_maintenance_list")
    def get(self, request, vehicle_id):
        vehicle = _vehicle_for(request, vehicle_id)
        return paginated(self, request, vehicle.maintenance_windows.order_by("starts_at"), MaintenanceOutput)

    @extend_schema(
        tags=["fleet"],
        request=InputSerializer,
        responses={201: MaintenanceOutput},
        operation_id="fleet_maintenance_schedule",
    )
    @idempotent
    def post(self, request, vehicle_id):
        vehicle = _vehicle_for(request, vehicle_id, manage=True)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        window = maintenance.maintenance_schedule(vehicle_id=vehicle.id, **data.validated_data)
        return Response(MaintenanceOutput(window).data, status=201)

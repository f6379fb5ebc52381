"""The vehicle inventory: managers add and change vehicles, their status, documents and maintenance;
dispatchers read vehicles and their maintenance."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.fleet.contracts import VehicleDocumentKind, VehicleStatus, VehicleType
from apps.fleet.rest_api.v1.filters import VehicleFilter
from apps.fleet.rest_api.v1.serializers.vehicles import (
    DocumentOutput,
    MaintenanceOutput,
    VehicleFields,
    VehicleOutput,
    check_type_fields,
)
from apps.fleet.selectors import vehicles as vehicle_selectors
from apps.fleet.selectors import visibility
from apps.fleet.services import maintenance, vehicle_documents, vehicles
from logitrack import files
from logitrack.http import downloads
from logitrack.http.filters import FilteredList
from logitrack.http.params import paginated
from logitrack.http.parsers import JSONParser
from logitrack.http.principal import HasRole, require_principal
from logitrack.http.schema import file_download, problems
from logitrack.http.serializers import StrictInputSerializer
from logitrack.idempotency.drf import idempotent
from logitrack.principal import Role

MANAGERS = HasRole.of(Role.FLEET_MANAGER)
STAFF = HasRole.of(Role.FLEET_MANAGER, Role.DISPATCHER)


class VehicleListApi(FilteredList, APIView):
    permission_classes = [STAFF]
    key_scopes = {"GET": "fleet:read"}  # what an integrator's API key needs (apps/identity)
    filterset_class = VehicleFilter

    class CreateSerializer(VehicleFields):
        fleet_id = serializers.UUIDField()
        type = serializers.ChoiceField(choices=[t.value for t in VehicleType])
        registration = serializers.CharField(max_length=20)
        registration_country = serializers.RegexField(r"^[A-Z]{2}$", required=False)

    @extend_schema(tags=["fleet"], responses={200: VehicleOutput(many=True)}, operation_id="fleet_vehicles_list")
    def get(self, request):
        qs = self.filter_queryset(vehicle_selectors.vehicle_list(principal=require_principal(request)))
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
        visibility.fleet_inventory_check(principal=require_principal(request), fleet_id=fleet_id)
        check_type_fields(vehicle_type, values)
        vehicle = vehicles.vehicle_add(fleet_id=fleet_id, vehicle_type=vehicle_type, data=values)
        return Response(VehicleOutput(vehicle).data, status=201)


class VehicleDetailApi(APIView):
    permission_classes = [STAFF]
    key_scopes = {"GET": "fleet:read"}  # what an integrator's API key needs (apps/identity)

    class UpdateSerializer(VehicleFields):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            for field in self.fields.values():
                field.required = False

    @extend_schema(tags=["fleet"], responses={200: VehicleOutput}, operation_id="fleet_vehicles_get")
    def get(self, request, vehicle_id):
        vehicle = visibility.vehicle_get(principal=require_principal(request), vehicle_id=vehicle_id)
        return Response(VehicleOutput(vehicle).data)

    @extend_schema(
        tags=["fleet"], request=UpdateSerializer, responses={200: VehicleOutput}, operation_id="fleet_vehicles_update"
    )
    @idempotent
    def patch(self, request, vehicle_id):
        vehicle = visibility.vehicle_get(principal=require_principal(request), vehicle_id=vehicle_id, manage=True)
        data = self.UpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        check_type_fields(vehicle.TYPE, {k: v for k, v in data.validated_data.items() if k != "gross_weight_kg"})
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
        vehicle = visibility.vehicle_get(principal=require_principal(request), vehicle_id=vehicle_id, manage=True)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changed = vehicles.vehicle_status_change(
            vehicle_id=vehicle.id, status=VehicleStatus(data.validated_data["status"])
        )
        return Response(VehicleOutput(changed).data)


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
        vehicle = visibility.vehicle_get(principal=require_principal(request), vehicle_id=vehicle_id, manage=True)
        return paginated(self, request, vehicle_selectors.vehicle_documents(vehicle=vehicle), DocumentOutput)

    @extend_schema(
        tags=["fleet"],
        request={"multipart/form-data": InputSerializer},
        responses={201: DocumentOutput},
        operation_id="fleet_vehicle_documents_add",
    )
    @idempotent
    def post(self, request, vehicle_id):
        vehicle = visibility.vehicle_get(principal=require_principal(request), vehicle_id=vehicle_id, manage=True)
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
        document = visibility.vehicle_document_file_get(
            principal=require_principal(request), vehicle_id=vehicle_id, document_id=document_id
        )
        return downloads.file_response(
            request, files.open_private(document.file_path), content_type=document.content_type, as_attachment=True
        )


class MaintenanceListApi(APIView):
    permission_classes = [STAFF]

    class InputSerializer(StrictInputSerializer):
        starts_at = serializers.DateTimeField()
        ends_at = serializers.DateTimeField()
        reason = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)

    @extend_schema(tags=["fleet"], responses={200: MaintenanceOutput(many=True)}, operation_id="fleet_maintenance_list")
    def get(self, request, vehicle_id):
        vehicle = visibility.vehicle_get(principal=require_principal(request), vehicle_id=vehicle_id)
        return paginated(self, request, vehicle_selectors.vehicle_maintenance(vehicle=vehicle), MaintenanceOutput)

    @extend_schema(
        tags=["fleet"],
        request=InputSerializer,
        responses={201: MaintenanceOutput},
        operation_id="fleet_maintenance_schedule",
    )
    @idempotent
    def post(self, request, vehicle_id):
        vehicle = visibility.vehicle_get(principal=require_principal(request), vehicle_id=vehicle_id, manage=True)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        window = maintenance.maintenance_schedule(vehicle_id=vehicle.id, **data.validated_data)
        return Response(MaintenanceOutput(window).data, status=201)

"""Fleets: operators apply, people of a fleet read it and its managers change its settings; platform admins
decide onboarding; managers read the onboarding history."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.fleet.domain import FLEET_ACTIONS
from apps.fleet.rest_api.v1.filters import FleetFilter
from apps.fleet.rest_api.v1.serializers.fleets import FleetOutput, FleetSettingsFields
from apps.fleet.selectors import fleets as fleet_selectors
from apps.fleet.selectors import visibility
from apps.fleet.services import fleet_settings, onboarding
from logitrack.http.filters import FilteredList
from logitrack.http.params import paginated
from logitrack.http.principal import HasRole, IsAuthenticatedPrincipal, require_principal
from logitrack.http.schema import problems
from logitrack.http.serializers import StrictInputSerializer
from logitrack.idempotency.drf import idempotent
from logitrack.principal import Role


class FleetListApi(FilteredList, APIView):
    permission_classes = [IsAuthenticatedPrincipal]
    filterset_class = FleetFilter

    class ApplySerializer(FleetSettingsFields):
        country = serializers.RegexField(r"^[A-Z]{2}$")
        currency = serializers.RegexField(r"^[A-Z]{3}$")

    @extend_schema(tags=["fleet"], responses={200: FleetOutput(many=True)}, operation_id="fleet_fleets_list")
    def get(self, request):
        qs = self.filter_queryset(fleet_selectors.fleet_list(principal=require_principal(request)))
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
        return Response(FleetOutput(visibility.fleet_get(principal=require_principal(request), fleet_id=fleet_id)).data)

    @extend_schema(
        tags=["fleet"],
        request=UpdateSerializer,
        responses={200: FleetOutput, **problems(403)},
        operation_id="fleet_fleets_update",
    )
    @idempotent
    def patch(self, request, fleet_id):
        principal = require_principal(request)
        fleet = visibility.fleet_get(principal=principal, fleet_id=fleet_id)
        if not principal.may_act_on_fleet(fleet.id, Role.FLEET_MANAGER):
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
        fleet = visibility.fleet_get(principal=principal, fleet_id=fleet_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fleet = onboarding.fleet_transition(fleet_id=fleet.id, actor_id=principal.user_id, **data.validated_data)
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
        history = fleet_selectors.fleet_history(principal=require_principal(request), fleet_id=fleet_id)
        return paginated(self, request, history, self.ChangeOutput)

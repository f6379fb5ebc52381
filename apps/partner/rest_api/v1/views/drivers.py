"""Managers' and dispatchers' view of the drivers of their fleets: list, profile, photo, documents;
managers suspend and reinstate."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.partner.rest_api.v1.filters import DriverFilter
from apps.partner.rest_api.v1.serializers.documents import DocumentOutput
from apps.partner.rest_api.v1.serializers.drivers import DriverOutput
from apps.partner.rest_api.v1.views._shared import MANAGERS, STAFF
from apps.partner.selectors import drivers as driver_selectors
from apps.partner.selectors import visibility
from apps.partner.services import compliance
from logitrack import files
from logitrack.http import downloads
from logitrack.http.filters import FilteredList
from logitrack.http.params import paginated
from logitrack.http.principal import HasRole, require_principal
from logitrack.http.schema import file_download
from logitrack.http.serializers import StrictInputSerializer
from logitrack.idempotency.drf import idempotent
from logitrack.principal import Role


class DriverListApi(FilteredList, APIView):
    permission_classes = [STAFF]
    key_scopes = {"GET": "partner:read"}  # what an integrator's API key needs (apps/identity)
    filterset_class = DriverFilter

    @extend_schema(tags=["partner"], responses={200: DriverOutput(many=True)}, operation_id="partner_drivers_list")
    def get(self, request):
        qs = self.filter_queryset(driver_selectors.driver_list(principal=require_principal(request)))
        return paginated(self, request, qs, DriverOutput)


class DriverDetailApi(APIView):
    permission_classes = [STAFF]
    key_scopes = {"GET": "partner:read"}  # what an integrator's API key needs (apps/identity)

    @extend_schema(tags=["partner"], responses={200: DriverOutput}, operation_id="partner_drivers_get")
    def get(self, request, driver_id):
        driver = visibility.driver_get(principal=require_principal(request), driver_id=driver_id)
        return Response(DriverOutput(driver).data)


class DriverSuspendApi(APIView):
    permission_classes = [MANAGERS]

    class InputSerializer(StrictInputSerializer):
        reason = serializers.CharField(max_length=300)

    @extend_schema(
        tags=["partner"], request=InputSerializer, responses={200: DriverOutput}, operation_id="partner_drivers_suspend"
    )
    @idempotent
    def post(self, request, driver_id):
        driver = visibility.driver_get(principal=require_principal(request), driver_id=driver_id, manage=True)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(DriverOutput(compliance.driver_suspend(driver_id=driver.id, **data.validated_data)).data)


class DriverReinstateApi(APIView):
    permission_classes = [MANAGERS]

    @extend_schema(
        tags=["partner"], request=None, responses={200: DriverOutput}, operation_id="partner_drivers_reinstate"
    )
    @idempotent
    def post(self, request, driver_id):
        driver = visibility.driver_get(principal=require_principal(request), driver_id=driver_id, manage=True)
        return Response(DriverOutput(compliance.driver_reinstate(driver_id=driver.id)).data)


class DriverDocumentsApi(APIView):
    permission_classes = [MANAGERS]

    @extend_schema(
        tags=["partner"], responses={200: DocumentOutput(many=True)}, operation_id="partner_drivers_documents"
    )
    def get(self, request, driver_id):
        driver = visibility.driver_get(principal=require_principal(request), driver_id=driver_id, manage=True)
        return paginated(self, request, driver_selectors.driver_documents(driver=driver), DocumentOutput)


class DriverPhotoApi(APIView):
    """A driver's photo: to the fleet's managers and dispatchers, and to the driver."""

    permission_classes = [HasRole.of(Role.FLEET_MANAGER, Role.DISPATCHER, Role.DRIVER)]
    renderer_classes = downloads.renderers("image/jpeg", "image/png")

    @extend_schema(
        tags=["partner"],
        responses=file_download("image/jpeg", "image/png", description="the photo"),
        operation_id="partner_drivers_photo",
    )
    def get(self, request, driver_id):
        driver = visibility.driver_photo_get(principal=require_principal(request), driver_id=driver_id)
        return downloads.file_response(
            request, files.open_private(driver.photo_path), content_type=files.content_type_of(driver.photo_path)
        )

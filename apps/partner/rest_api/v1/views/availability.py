"""The driver app: the caller's weekly availability windows and one-off exceptions."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.partner.rest_api.v1.serializers.availability import AvailabilityOutput, ExceptionSerializer, WindowSerializer
from apps.partner.rest_api.v1.views._shared import DRIVERS, FLEET_PARAM, ME, me
from apps.partner.selectors import availability as availability_selectors
from apps.partner.services import availability
from logitrack.http.serializers import StrictInputSerializer
from logitrack.idempotency.drf import idempotent


def _render(driver) -> Response:
    return Response(AvailabilityOutput(availability_selectors.driver_availability(driver=driver)).data)


class MyAvailabilityApi(APIView):
    permission_classes = [DRIVERS]

    class InputSerializer(StrictInputSerializer):
        # many=True hands max_length to the ListSerializer; DRF's stubs don't list it
        windows = WindowSerializer(many=True, max_length=50)  # type: ignore[call-arg]

    @extend_schema(
        tags=["driver app"],
        parameters=[FLEET_PARAM],
        responses={200: AvailabilityOutput, **ME},
        operation_id="partner_me_availability_get",
    )
    def get(self, request):
        return _render(me(request))

    @extend_schema(
        tags=["driver app"],
        parameters=[FLEET_PARAM],
        request=InputSerializer,
        responses={200: AvailabilityOutput, **ME},
        operation_id="partner_me_availability_replace",
    )
    @idempotent
    def put(self, request):
        driver = me(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        windows = [(w["weekday"], w["starts"], w["ends"]) for w in data.validated_data["windows"]]
        availability.availability_replace(driver_id=driver.id, windows=windows)
        return _render(driver)


class MyAvailabilityExceptionsApi(APIView):
    permission_classes = [DRIVERS]

    class InputSerializer(StrictInputSerializer, ExceptionSerializer):
        pass

    @extend_schema(
        tags=["driver app"],
        parameters=[FLEET_PARAM],
        request=InputSerializer,
        responses={201: ExceptionSerializer, **ME},
        operation_id="partner_me_availability_exception_add",
    )
    @idempotent
    def post(self, request):
        driver = me(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        exception = availability.availability_exception_add(driver_id=driver.id, **data.validated_data)
        return Response(ExceptionSerializer(exception).data, status=201)


class MyAvailabilityExceptionApi(APIView):
    permission_classes = [DRIVERS]

    @extend_schema(
        tags=["driver app"],
        parameters=[FLEET_PARAM],
        responses={204: None, **ME},
        operation_id="partner_me_availability_exception_remove",
    )
    def delete(self, request, exception_id):
        availability.availability_exception_remove(driver_id=me(request).id, exception_id=exception_id)
        return Response(status=204)

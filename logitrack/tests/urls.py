"""Views that exist only to exercise the kernel's HTTP glue (mounted by tests with pytest.mark.urls)."""

import io

from django.urls import include, path
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from logitrack.exceptions import Conflict, NotFound
from logitrack.http import downloads


class RaiseConflict(APIView):
    permission_classes = [AllowAny]

    def post(self, request):
        raise Conflict(
            "trip is already completed", code="trips.illegal_transition", extra={"current_state": "completed"}
        )


class RaiseNotFound(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        raise NotFound("no such vehicle", code="fleet.vehicle_not_found")


class Explode(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        raise RuntimeError("secret internals: password=hunter2")


class WaitForLock(APIView):
    """Waits briefly for an advisory lock a test holds on another connection: PostgreSQL's lock_not_available."""

    permission_classes = [AllowAny]

    def get(self, request):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '100ms'")
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int(request.GET["key"])])
        return Response({})


class Echo(APIView):
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=5)
        count = serializers.IntegerField(min_value=1)

    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(data.validated_data, status=201)


class Private(APIView):
    def get(self, request):
        return Response({"secret": True})


class Download(APIView):
    permission_classes = [AllowAny]
    renderer_classes = downloads.renderers("application/pdf")

    def get(self, request):
        if request.query_params.get("missing"):
            raise NotFound("no such file", code="kernel.file_not_found")
        return downloads.file_response(request, io.BytesIO(b"%PDF-1.7 ..."), content_type="application/pdf")


class OncePerMinute(AnonRateThrottle):
    rate = "1/min"
    scope = "kernel-test"


class Throttled(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [OncePerMinute]

    def get(self, request):
        return Response({"ok": True})


api = [
    path("conflict/", RaiseConflict.as_view()),
    path("missing/", RaiseNotFound.as_view()),
    path("explode/", Explode.as_view()),
    path("wait-for-lock/", WaitForLock.as_view()),
    path("echo/", Echo.as_view()),
    path("private/", Private.as_view()),
    path("throttled/", Throttled.as_view()),
    path("download/", Download.as_view()),
]
urlpatterns = [path("api/v1/kernel/", include(api))]
handler404 = "logitrack.http.handlers.not_found"
handler500 = "logitrack.http.handlers.server_error"

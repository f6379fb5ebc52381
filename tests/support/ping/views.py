"""A mutating endpoint for exercising Idempotency-Key handling end to end."""

import time

from django.urls import path
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from logitrack.exceptions import Conflict
from logitrack.idempotency.drf import idempotent
from tests.support.ping.services import ping_send


class PingCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        label = serializers.CharField(max_length=100)
        delay = serializers.FloatField(required=False, default=0, max_value=5)
        conflict = serializers.BooleanField(required=False, default=False)

    @idempotent
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ping = ping_send(label=data.validated_data["label"])
        time.sleep(data.validated_data["delay"])  # hold the request open to provoke concurrent retries
        if data.validated_data["conflict"]:
            raise Conflict("refused after writing", code="ping.refused")
        return Response(
            {"id": str(ping.id), "label": ping.label}, status=201, headers={"Location": f"/pings/{ping.id}"}
        )


urlpatterns = [path("api/v1/ping/pings/", PingCreateApi.as_view())]
handler404 = "logitrack.http.handlers.not_found"

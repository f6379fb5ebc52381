"""The public tracking page: anyone with the link sees the trip's progress, without logging in."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.trips import selectors
from apps.trips.rest_api.v1.serializers.tracking import TrackingOutput


class TrackingApi(APIView):
    """Public: anyone with the link sees the trip's progress — no login, no personal data but a first name."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(tags=["tracking"], responses={200: TrackingOutput}, operation_id="trips_track")
    def get(self, request, token):
        return Response(TrackingOutput(selectors.tracking_page(token=token)).data)

"""The dispatch screen's state over REST: the snapshot a screen reloads after a gap in the feed."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.dispatch import selectors
from apps.dispatch.schemas import SnapshotOutput
from logitrack.http.principal import HasRole, require_principal

STAFF = selectors.STAFF


class SnapshotApi(APIView):
    """The dispatch screen's state with the feed sequence it reflects: load it after a gap in the sequence."""

    permission_classes = [HasRole.of(*STAFF)]

    @extend_schema(tags=["dispatch"], responses={200: SnapshotOutput}, operation_id="snapshot")
    def get(self, request, fleet_id):
        snapshot = selectors.snapshot_for(principal=require_principal(request), fleet_id=fleet_id)
        return Response(SnapshotOutput(snapshot).data)

"""The dispatch screen's state over REST: the snapshot a screen reloads after a gap in the feed, and the drivers
suggested for a trip."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.dispatch import selectors
from apps.dispatch.schemas import CandidatesOutput, SnapshotOutput
from logitrack.http.principal import HasRole, require_principal
from logitrack.http.schema import problems

STAFF = selectors.STAFF


class SnapshotApi(APIView):
    """The dispatch screen's state with the feed sequence it reflects: load it after a gap in the sequence."""

    permission_classes = [HasRole.of(*STAFF)]

    @extend_schema(tags=["dispatch"], responses={200: SnapshotOutput}, operation_id="snapshot")
    def get(self, request, fleet_id):
        snapshot = selectors.snapshot_for(principal=require_principal(request), fleet_id=fleet_id)
        return Response(SnapshotOutput(snapshot).data)


class TripCandidatesApi(APIView):
    """Suggested drivers for a trip, ranked by the matcher auto-dispatch uses; every other open shift of the fleet
    follows with the reasons it cannot take the trip."""

    permission_classes = [HasRole.of(*STAFF)]

    @extend_schema(
        tags=["dispatch"],
        responses={
            200: CandidatesOutput,
            **problems(
                **{
                    "404": "no such trip, or not one of your fleets' (`dispatch.trip_not_found`)",
                    "409": "the trip has ended (`dispatch.trip_ended`)",
                }
            ),
        },
        operation_id="trip_candidates",
    )
    def get(self, request, trip_id):
        found = selectors.trip_candidates_for(principal=require_principal(request), trip_id=trip_id)
        return Response(CandidatesOutput(found).data)

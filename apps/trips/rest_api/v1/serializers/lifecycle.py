"""Moving a trip: a lifecycle step, an assignment to a shift, and the timeline that records them."""

from __future__ import annotations

from rest_framework import serializers

from apps.trips import domain
from apps.trips.contracts import ActorRole
from logitrack.http.serializers import StrictInputSerializer


class TransitionInput(StrictInputSerializer):
    action = serializers.ChoiceField(choices=sorted(domain.TRANSITIONS))
    reason = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)
    lat = serializers.FloatField(min_value=-90, max_value=90, required=False)
    lng = serializers.FloatField(min_value=-180, max_value=180, required=False)
    distance_m = serializers.IntegerField(min_value=0, max_value=2_000_000, required=False)
    waiting_s = serializers.IntegerField(min_value=0, max_value=86_400, required=False, default=0)


class AssignInput(StrictInputSerializer):
    shift_id = serializers.UUIDField()
    reason = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)


class UnassignInput(StrictInputSerializer):
    reason = serializers.CharField(max_length=300, help_text="why the trip is taken from its driver (on its timeline)")


class TimelineEntryOutput(serializers.Serializer):
    action = serializers.CharField()
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    actor_id = serializers.UUIDField(allow_null=True)
    actor_role = serializers.ChoiceField(
        choices=[r.value for r in ActorRole],
        help_text="`system`: the platform itself, with no `actor_id` (auto-dispatch's offers, lapsed offers, "
        "cancellations of stale trips or of an erased customer's)",
    )
    at = serializers.DateTimeField()
    lat = serializers.FloatField(allow_null=True)
    lng = serializers.FloatField(allow_null=True)
    reason = serializers.CharField()

"""The mobile apps' notification preferences: `GET/PUT /api/v1/notifications/preferences/` (the signed-in user's)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.notifications.rendering.copy import LANGUAGES
from apps.notifications.services import preferences
from logitrack.http.principal import IsAuthenticatedPrincipal
from logitrack.http.schema import problems
from logitrack.http.serializers import StrictInputSerializer

CHANNELS = [c.value for c in preferences.PEOPLE_CHANNELS]


class PreferencesOutput(serializers.Serializer):
    opted_out = serializers.ListField(child=serializers.ChoiceField(choices=CHANNELS))
    language = serializers.CharField(help_text="'' : the fleet's language")
    quiet_start = serializers.TimeField(allow_null=True, format="%H:%M")
    quiet_end = serializers.TimeField(allow_null=True, format="%H:%M")
    time_zone = serializers.CharField(help_text="'' : the fleet's time zone")
    digest = serializers.BooleanField(help_text="fleet managers: the daily digest of each of their fleets by email")


class PreferencesApi(APIView):
    permission_classes = [IsAuthenticatedPrincipal]

    class InputSerializer(StrictInputSerializer):
        opted_out = serializers.ListField(
            child=serializers.ChoiceField(choices=CHANNELS), required=False, max_length=len(CHANNELS)
        )
        language = serializers.ChoiceField(choices=["", *LANGUAGES], required=False)
        quiet_start = serializers.TimeField(required=False, allow_null=True)
        quiet_end = serializers.TimeField(required=False, allow_null=True)
        time_zone = serializers.CharField(required=False, allow_blank=True, max_length=60)
        digest = serializers.BooleanField(required=False)

    @extend_schema(
        tags=["notifications"], responses={200: PreferencesOutput}, operation_id="notifications_preferences_get"
    )
    def get(self, request):
        return Response(PreferencesOutput(preferences.preference_get(user_id=request.user.id)).data)

    @extend_schema(
        tags=["notifications"],
        request=InputSerializer,
        responses={200: PreferencesOutput, **problems(**{"400": "invalid preferences"})},
        operation_id="notifications_preferences_update",
    )
    def put(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        given = data.validated_data
        pref = preferences.preference_update(
            user_id=request.user.id,
            opted_out=given.get("opted_out"),
            language=given.get("language"),
            quiet_start=given.get("quiet_start"),
            quiet_end=given.get("quiet_end"),
            time_zone=given.get("time_zone"),
            quiet_given="quiet_start" in given or "quiet_end" in given,
            digest=given.get("digest"),
        )
        return Response(PreferencesOutput(pref).data)

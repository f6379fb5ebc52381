"""Query parameters of identity's list endpoints, as django-filter FilterSets (so the OpenAPI schema documents
them). A bad value is a 400 `validation_failed` naming the parameter, with the messages the endpoints have always
given; a parameter given empty is a bad value too, not "no filter" (logitrack.http.filters)."""

from __future__ import annotations

import django_filters

from apps.identity.contracts import FleetRole
from apps.identity.models import Invitation, Membership
from logitrack.http.filters import ChoiceFilter, UUIDFilter, choices


class MembershipFilter(django_filters.FilterSet):
    # strip=False: as DRF's UUIDField, surrounding spaces make a bad value (elsewhere they are stripped)
    fleet_id = UUIDFilter(field_name="fleet_id", label="only this fleet", strip=False)
    role = ChoiceFilter(field_name="role", choices=choices(FleetRole), label="only this role")

    class Meta:
        model = Membership
        fields = ("fleet_id", "role")


class InvitationFilter(django_filters.FilterSet):
    fleet_id = UUIDFilter(field_name="fleet_id", label="only this fleet", strip=False)

    class Meta:
        model = Invitation
        fields = ("fleet_id",)

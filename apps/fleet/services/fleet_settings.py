"""The settings a fleet keeps and other contexts read (time zone, dispatch, service area, proof of delivery…);
commission, currency and country are a platform admin's to change."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError

from apps.fleet import integrations
from apps.fleet.contracts import InvalidFleetData
from apps.fleet.models import Fleet
from apps.fleet.services._shared import invalid
from logitrack.db import contexts
from logitrack.db.services import model_update

FLEET_SETTINGS = (
    "name",
    "legal_name",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "tax_id",
    "time_zone",
    "auto_dispatch",
    "default_service_minutes",
    "service_center_lat",
    "service_center_lng",
    "service_radius_m",
    "service_polygon",
    "proof_of_delivery",
    # branding: what the tracking page and the messages sent in the fleet's name look like (the logo: branding.py)
    "language",
    "brand_colour",
)
ADMIN_ONLY_SETTINGS = ("commission_bps", "currency", "country")


@contexts.atomic("fleet")
def fleet_settings_update(*, fleet_id: uuid.UUID, data: dict[str, Any], as_platform_admin: bool = False) -> Fleet:
    fleet = Fleet.objects.select_for_update().get(id=fleet_id)
    allowed = FLEET_SETTINGS + (ADMIN_ONLY_SETTINGS if as_platform_admin else ())
    refused = sorted(set(data) - set(allowed))
    if refused:
        raise InvalidFleetData(
            "only a platform admin may change these", extra={"errors": {f: ["Not editable by you."] for f in refused}}
        )
    renamed = "name" in data and data["name"] != fleet.name
    try:  # uniqueness is left to the database
        model_update(instance=fleet, fields=allowed, data=data, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise invalid(exc) from None
    if renamed:
        integrations.fleet_name_tell(fleet_id=fleet.id, name=fleet.name)
    return fleet

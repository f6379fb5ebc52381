"""A fleet's logo as its customers see it: on the tracking page and in the messages sent in its name."""

from __future__ import annotations

import uuid

from apps.fleet.contracts import FleetLogo
from apps.fleet.models import Fleet
from logitrack import files


def logo_version(path: str) -> str:
    """Stored logos are named by their content's hash (services/branding.py), so the name's stem is a version."""
    return path.rsplit("/", 1)[-1].split(".")[0][:12] if path else ""


def fleet_logo(*, fleet_id: uuid.UUID) -> FleetLogo | None:
    """The fleet's logo (PNG bytes) and its version; None without a logo, or when its file is missing."""
    path = Fleet.objects.filter(id=fleet_id).values_list("logo_path", flat=True).first()
    if not path:
        return None
    try:
        with files.open_private(path) as handle:
            content = handle.read()
    except FileNotFoundError:
        return None
    return FleetLogo(content=content, version=logo_version(path))

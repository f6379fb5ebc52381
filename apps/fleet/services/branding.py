"""How a fleet presents itself to its customers: its logo (the colour and language are fleet settings)."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.files.base import File

from apps.fleet.models import Fleet
from logitrack import files, images
from logitrack.db import contexts

LOGO_MAX_BYTES = 2 * 1024 * 1024
# Stored as a PNG (transparency kept) at most 512 px a side: a page header and an email show it under 100 px
# high, at up to 3x on a phone. Uploads declaring more than 16 MP are refused before decoding.
LOGO = images.Output("logo", "png", 512, "LOGITRACK_IMAGE_MAX_PIXELS_LOGO", 16_000_000)


def logo_check(upload: File[Any]) -> None:
    """What fleet_logo_set checks, without storing anything (forms show the reason next to the field):
    ValidationFailed with its code when the upload is not a PNG or JPEG within the limits."""
    kind, _ = files.validate_upload(upload, allowed=("png", "jpeg"), max_bytes=LOGO_MAX_BYTES)
    upload.seek(0)
    images.sanitize(upload.read(), kind, LOGO)
    upload.seek(0)


@contexts.atomic("fleet")
def fleet_logo_set(*, fleet_id: uuid.UUID, upload: File[Any]) -> Fleet:
    """Check the upload (PNG or JPEG by its bytes, at most 2 MiB), re-encode it as a PNG without metadata and
    store it privately, named by its content's hash (that name's stem is `FleetBranding.logo_version`). The
    logo it replaces is deleted once this commits; a refused upload (ValidationFailed) changes nothing."""
    fleet = Fleet.objects.select_for_update().get(id=fleet_id)
    stored = files.store_private(
        upload,
        folder="fleet-logos",
        allowed=("png", "jpeg"),
        max_bytes=LOGO_MAX_BYTES,
        image=LOGO,
        named_by_content=True,
    )
    old, fleet.logo_path = fleet.logo_path, stored.path
    try:
        fleet.save(update_fields=["logo_path", "updated_at"])
    except Exception:
        files.delete_private(stored.path)
        raise
    if old and old != stored.path:
        contexts.on_commit(lambda: files.delete_private(old), "fleet")
    return fleet


@contexts.atomic("fleet")
def fleet_logo_remove(*, fleet_id: uuid.UUID) -> Fleet:
    """The fleet shows its name alone again; the file goes once this commits."""
    fleet = Fleet.objects.select_for_update().get(id=fleet_id)
    old, fleet.logo_path = fleet.logo_path, ""
    fleet.save(update_fields=["logo_path", "updated_at"])
    if old:
        contexts.on_commit(lambda: files.delete_private(old), "fleet")
    return fleet

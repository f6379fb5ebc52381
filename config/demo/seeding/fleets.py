"""The demo fleets themselves: applied for by their manager, reviewed and activated, and auto-dispatch switched on
last where the plan says so (so the seeded open trips stay as they were made)."""

from __future__ import annotations

import uuid

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw, ImageFont

from apps.fleet.models import Fleet
from apps.fleet.services import branding as fleet_branding
from apps.fleet.services import fleet_settings as fleet_fleet_settings
from apps.fleet.services import onboarding as fleet_onboarding
from config.demo.plans import FleetPlan


def existing(plan: FleetPlan, manager_id: uuid.UUID) -> Fleet | None:
    """The fleet an earlier run made for this plan (a re-run leaves it as it is), or None."""
    return Fleet.objects.filter(applicant_id=manager_id, name=plan.name).first()


def fleet_open(plan: FleetPlan, manager_id: uuid.UUID) -> uuid.UUID:
    """Apply for the plan's fleet as its manager, then review and activate it (which makes the manager one)."""
    city = plan.city
    fleet_row = fleet_onboarding.fleet_apply(
        applicant_id=manager_id,
        data={
            "name": plan.name,
            "legal_name": plan.legal_name,
            "address_line1": plan.address_line1,
            "postal_code": plan.postal_code,
            "city": city.name,
            "country": plan.country,
            "currency": plan.currency,
            "time_zone": plan.time_zone,
            "tax_id": plan.tax_id,
            "service_center_lat": city.center[0],
            "service_center_lng": city.center[1],
            "service_radius_m": city.radius_m,
            "proof_of_delivery": list(plan.proof_of_delivery),
            "commission_bps": 1500,
            "default_service_minutes": 4,
        },
    )
    for action in ("start_review", "activate"):
        fleet_onboarding.fleet_transition(fleet_id=fleet_row.id, action=action, actor_id=None, reason="demo operator")
    return fleet_row.id


def auto_dispatch_switch_on(fleet_id: uuid.UUID) -> None:
    fleet_fleet_settings.fleet_settings_update(fleet_id=fleet_id, data={"auto_dispatch": True})


def branding(plan: FleetPlan, fleet_id: uuid.UUID) -> None:
    """The fleet's colour and a logo drawn from it (its initials on a rounded square), so its tracking page and
    messages look like the company's own; uploaded through the service a manager's admin upload goes through."""
    fleet_fleet_settings.fleet_settings_update(fleet_id=fleet_id, data={"brand_colour": plan.brand_colour})
    fleet_branding.fleet_logo_set(fleet_id=fleet_id, upload=SimpleUploadedFile("logo.png", logo_png(plan)))


def logo_png(plan: FleetPlan, size: int = 256) -> bytes:
    import io

    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, size - 1, size - 1), radius=size // 5, fill=plan.brand_colour)
    initials = "".join(word[0] for word in plan.name.split()[:2]).upper()
    try:
        font: ImageFont.ImageFont | ImageFont.FreeTypeFont = ImageFont.truetype("DejaVuSans-Bold.ttf", size // 2 - 8)
    except OSError:  # no DejaVu on this machine: Pillow's own font, scaled
        font = ImageFont.load_default(size=size // 2 - 8)
    draw.text((size / 2, size / 2 + size // 40), initials, fill="white", font=font, anchor="mm")
    draw.rounded_rectangle(
        (size // 5, size * 3 // 4, size * 4 // 5, size * 3 // 4 + size // 28), radius=4, fill="white"
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()

"""Turning a message's context into what is sent: a subject, a text and an HTML body (email) and a short text
(SMS), in the recipient's language and the fleet's colours. Deterministic: the same context renders the same
message, so what a delivery keeps is what a replay sends."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string

from apps.notifications.rendering import copy as copy  # services read the copy's languages through here
from apps.notifications.rendering.copy import has_text, language_of, text


@dataclasses.dataclass(frozen=True, kw_only=True)
class Rendered:
    subject: str
    text: str
    html: str
    sms: str


def _fill(template: str, values: dict[str, Any]) -> str:
    return template.format_map(defaultdict(str, values))


def render(*, kind: str, language: str, context: dict[str, Any]) -> Rendered:
    """`context`: the values the copy names (fleet, pickup, eta, ...), `details` as [[label key, value], ...],
    `brand` (name, colour, logo_url), `tracking_url` and `unsubscribe_url` (either may be empty)."""
    language = language_of(language)
    values = dict(context)
    common = {key: _fill(text(language, "_", key), values) for key in _COMMON_KEYS}
    if has_text(language, kind, "footer"):  # managers' and drivers' messages say why they get them
        common["footer"] = _fill(text(language, kind, "footer"), values)
    values.setdefault("reason_line", "")
    if context.get("cancelled_by"):
        who = _fill(
            text(language, "_", "who_customer" if context["cancelled_by"] == "customer" else "who_fleet"), values
        )
        values["reason_line"] = _fill(text(language, "_", "cancelled_by"), {"who": who})
    receipt = context.get("receipt") or {}
    receipt_line = _fill(text(language, "_", "receipt"), receipt) if receipt else ""
    # [label, value] or [label, value, url] (a manager's line links into the console)
    details = [
        (common.get(d[0], d[0]), _value(d[1], language, values), d[2] if len(d) > 2 else "")
        for d in context.get("details", [])
    ]
    page = {
        "language": language,
        "subject": _fill(text(language, kind, "subject"), values),
        "heading": _fill(text(language, kind, "heading"), values),
        "intro": _fill(text(language, kind, "intro"), values).strip(),
        "details": details,
        "receipt_line": receipt_line,
        "brand": context.get("brand", {}),
        # the button: the tracking page for customers, a page of the admin for managers (`action_url`)
        "tracking_url": context.get("action_url") or context.get("tracking_url", ""),
        "unsubscribe_url": context.get("unsubscribe_url", ""),
        "common": common,
    }
    if context.get("action_url") and has_text(language, kind, "action"):
        common["track"] = _fill(text(language, kind, "action"), values)
    return Rendered(
        subject=page["subject"],
        text=render_to_string("notifications/email/message.txt", page).strip() + "\n",
        html=render_to_string("notifications/email/message.html", page),
        sms=_fill(text(language, kind, "sms"), values).strip(),
    )


def brand_context(brand: Any | None) -> dict[str, str]:
    """What a message shows of its fleet (`context["brand"]`): name, colour, the public logo's URL (versioned, so a
    new logo is fetched again); LogiTrack's own without a fleet."""
    if brand is None:
        return {"name": "LogiTrack", "colour": "", "logo_url": ""}
    base = str(settings.PUBLIC_BASE_URL).rstrip("/")
    logo = f"{base}/brand/{brand.fleet_id}/logo.png?v={brand.logo_version}" if brand.logo_version else ""
    return {"name": brand.name, "colour": brand.colour, "logo_url": logo}


def phrase(key: str, argument: str = "") -> dict[str, str]:
    """A detail value that is a phrase of the copy in the recipient's language (`phrase("asap")`), as opposed to
    text people typed (addresses, reasons, names), which is shown exactly as given."""
    return {"phrase": key, "argument": argument}


def _value(value: Any, language: str, values: dict[str, Any]) -> str:
    """A detail's value: plain text, a `phrase(...)`, or a list of them."""
    if isinstance(value, list | tuple):
        return ", ".join(_value(v, language, values) for v in value)
    if isinstance(value, dict) and "phrase" in value:
        return _fill(text(language, "_", value["phrase"]), {**values, "signer": value.get("argument", "")})
    return str(value)


_COMMON_KEYS = (
    "track",
    "pickup",
    "dropoff",
    "when",
    "driver",
    "vehicle",
    "eta",
    "reason",
    "stops_done",
    "proof",
    "footer",
    "unsubscribe",
    "amount",
    "expires_on",
)

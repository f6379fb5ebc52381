"""What a fleet's managers receive by email: a webhook endpoint of their fleet switched off for failing, and (for
those who asked for it) the daily digest of the fleet, built from the same api calls as the console's overview.

Both go through the delivery machinery (services.deliveries): one delivery per (source, manager, kind). The
digest's source is a UUID derived from (fleet, local day), so however often the periodic job runs in a day, each
opted-in manager gets one digest per fleet and day."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Any
from urllib.parse import urlsplit

import structlog
from babel import Locale, UnknownLocaleError
from django.conf import settings
from django.utils import timezone

from apps.fleet.contracts import FleetBranding
from apps.identity.contracts import UserContact
from apps.notifications import integrations, rendering
from apps.notifications.contracts import Channel
from apps.notifications.models import Delivery, Preference, WebhookEndpoint
from apps.notifications.rendering.copy import text
from apps.notifications.services.deliveries import NewDelivery, delivery_create
from apps.notifications.services.drivers import (
    DriverMessage,
    VehiclePapers,
    document_name,
    language_for,
    user_notify,
)
from logitrack.db import contexts
from logitrack.formatting import local_date, local_datetime, money, zone

log = structlog.get_logger(__name__)

WEBHOOK_DISABLED = "manager.webhook_disabled"
DIGEST = "manager.digest"
DIGEST_EVENT_TYPE = "logitrack.notifications.manager_digest"  # the delivery log's "source" of a digest
EXPIRY_DAYS = 30  # as the console's overview: documents running out within this many days
_DIGEST_NAMESPACE = uuid.UUID("6f1d2a53-2b0e-4d8e-9a43-5b1f0f3c7d21")


def _base() -> str:
    return str(settings.PUBLIC_BASE_URL).rstrip("/")


def reading_locale(language: str, fleet_locale: str) -> str:
    """The manager's language with the fleet's regional ways ("en" in a German fleet: en_DE, "20,50 €" and
    "Sunday, 6 December 2026"); the fleet's own locale when the two cannot be combined."""
    territory = fleet_locale.partition("_")[2]
    if territory and _known(f"{language}_{territory}"):
        return f"{language}_{territory}"
    if fleet_locale.split("_")[0] == language or not _known(language):
        return fleet_locale
    return language


def _known(locale: str) -> bool:
    try:
        Locale.parse(locale)
    except (UnknownLocaleError, ValueError):
        return False
    return True


def _language(manager: UserContact, prefs: dict[uuid.UUID, Preference], fleet_language: str) -> str:
    pref = prefs.get(manager.id)
    return (pref.language if pref and pref.language else "") or fleet_language


def _send(
    *,
    source_id: uuid.UUID,
    source_type: str,
    kind: str,
    manager: UserContact,
    fleet_id: uuid.UUID,
    language: str,
    context: dict[str, Any],
    sender: str,
    data: dict[str, Any],
) -> bool:
    rendered = rendering.render(kind=kind, language=language, context=context)
    _, created = delivery_create(
        new=NewDelivery(
            event_id=source_id,
            event_type=source_type,
            kind=kind,
            channel=Channel.EMAIL,
            recipient_id=manager.id,
            fleet_id=fleet_id,
            address=manager.email,
            language=rendering.copy.language_of(language),
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            sender_name=sender,
            data=data,
        )
    )
    return created


# ---- a webhook endpoint switched off ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class EndpointDisabled:
    event_id: uuid.UUID
    event_type: str
    endpoint_id: uuid.UUID
    fleet_id: uuid.UUID
    url: str
    failing_since: dt.datetime
    last_error: str


def webhook_disabled_tell(*, disabled: EndpointDisabled) -> int:
    """Mail each manager of the endpoint's fleet (and nobody else); how many deliveries were made (0 when the
    event was handled before)."""
    brand = integrations.branding(fleet_id=disabled.fleet_id)
    if brand is None:
        return 0
    managers = integrations.fleet_manager_contacts(fleet_id=disabled.fleet_id)
    prefs = {p.user_id: p for p in Preference.objects.filter(user_id__in=[m.id for m in managers])}
    link = f"{_base()}/admin/notifications/webhookendpoint/{disabled.endpoint_id}/change/"
    description = (
        WebhookEndpoint.objects.filter(id=disabled.endpoint_id).values_list("description", flat=True).first() or ""
    )
    made = 0
    for manager in managers:
        language = _language(manager, prefs, brand.language)
        lang = rendering.copy.language_of(language)
        since = local_datetime(disabled.failing_since, brand.time_zone, reading_locale(lang, brand.locale))
        label = {k: text(lang, WEBHOOK_DISABLED, k) for k in ("endpoint", "description", "failing_since", "last_error")}
        details = [[label["endpoint"], disabled.url]]
        if description:
            details.append([label["description"], description])
        details += [
            [label["failing_since"], since],
            [label["last_error"], disabled.last_error or "–"],
            [text(lang, WEBHOOK_DISABLED, "switch_on"), text(lang, WEBHOOK_DISABLED, "switch_on_how")],
        ]
        context = {
            "fleet": brand.name,
            "url": disabled.url,
            "host": urlsplit(disabled.url).hostname or disabled.url,
            "endpoint_id": str(disabled.endpoint_id),
            "failing_since": since,
            "brand": rendering.brand_context(brand),
            "action_url": link,
            "details": details,
        }
        made += _send(
            source_id=disabled.event_id,
            source_type=disabled.event_type,
            kind=WEBHOOK_DISABLED,
            manager=manager,
            fleet_id=disabled.fleet_id,
            language=language,
            context=context,
            sender=brand.name,
            data={"context": context, "endpoint_id": str(disabled.endpoint_id)},
        )
    log.info("notifications.webhook_disabled_told", endpoint_id=str(disabled.endpoint_id), managers=made)
    return made


# ---- the daily digest -------------------------------------------------------------------------------------------


def digest_source_id(*, fleet_id: uuid.UUID, day: dt.date) -> uuid.UUID:
    """The digest of a fleet for one local day: the same id every run, so its deliveries are made once."""
    return uuid.uuid5(_DIGEST_NAMESPACE, f"{fleet_id}:{day.isoformat()}")


def digests_send(*, now: dt.datetime | None = None) -> int:
    """For each fleet whose local clock has passed `NOTIFICATIONS_DIGEST_HOUR` today: the digest to each of its
    managers who asked for it and has not had today's yet. How many deliveries were made. Run by beat (often:
    each fleet's hour comes in its own time zone; a run that finds everything sent reads no figures)."""
    now = now or timezone.now()
    wanting = set(Preference.objects.filter(digest=True).values_list("user_id", flat=True))
    if not wanting:
        return 0
    made = 0
    for brand in integrations.all_brandings().values():
        try:
            made += fleet_digest_send(brand=brand, now=now, wanting=wanting)
        except Exception:  # one fleet's trouble must not keep the others' digests back; the next run tries again
            log.exception("notifications.digest_failed", fleet_id=str(brand.fleet_id))
    return made


@contexts.atomic("notifications")  # a fleet's digests together; sent after the commit
def fleet_digest_send(*, brand: FleetBranding, now: dt.datetime, wanting: set[uuid.UUID]) -> int:
    """The fleet's digest of today to its opted-in managers (`wanting`) who have not had it; per fleet and run:
    two queries while its hour has not come or everyone is served, the figures only when someone is due."""
    fleet_id = brand.fleet_id
    local_now = now.astimezone(zone(brand.time_zone))
    if local_now.hour < settings.NOTIFICATIONS_DIGEST_HOUR:
        return 0
    today = local_now.date()
    source = digest_source_id(fleet_id=fleet_id, day=today)
    due = [user_id for user_id in integrations.fleet_manager_ids(fleet_id=fleet_id) if user_id in wanting]
    if not due:
        return 0
    had = set(
        Delivery.objects.filter(source_event_id=source, kind=DIGEST, recipient_id__in=due).values_list(
            "recipient_id", flat=True
        )
    )
    managers = integrations.contacts(user_ids=[user_id for user_id in due if user_id not in had])
    if not managers:
        return 0
    figures = _figures(fleet_id=fleet_id, today=today)
    prefs = {p.user_id: p for p in Preference.objects.filter(user_id__in=[m.id for m in managers])}
    made = 0
    for manager in managers:
        language = _language(manager, prefs, brand.language)
        context = _digest_context(figures, brand=brand, language=rendering.copy.language_of(language), today=today)
        made += _send(
            source_id=source,
            source_type=DIGEST_EVENT_TYPE,
            kind=DIGEST,
            manager=manager,
            fleet_id=fleet_id,
            language=language,
            context=context,
            sender=brand.name,
            data={"context": context, "day": today.isoformat()},
        )
    log.info("notifications.digest_made", fleet_id=str(fleet_id), day=today.isoformat(), managers=made)
    return made


@dataclasses.dataclass(frozen=True)
class _Figures:
    kyc_count: int
    kyc_oldest: dt.datetime | None
    payouts_count: int
    payouts_oldest: dt.datetime | None
    payouts_totals: tuple[tuple[str, int], ...]
    expiring_drivers: int
    expiring_vehicles: int
    completed: int
    cancelled: int
    failed: int
    revenue: tuple[tuple[str, int], ...]  # (currency, charged minor units)

    @property
    def needs_attention(self) -> bool:
        return bool(self.kyc_count or self.payouts_count or self.expiring_drivers or self.expiring_vehicles)


def _figures(*, fleet_id: uuid.UUID, today: dt.date) -> _Figures:
    yesterday = today - dt.timedelta(days=1)
    queue = integrations.kyc_review_queue(fleet_id=fleet_id)
    payouts = integrations.payouts_waiting(fleet_id=fleet_id)
    drivers, vehicles = integrations.documents_expiring(
        fleet_id=fleet_id, on_or_before=today + dt.timedelta(days=EXPIRY_DAYS)
    )
    trips = integrations.trip_day(fleet_id=fleet_id, day=yesterday)
    revenue: dict[str, int] = {}
    for row in integrations.revenue_on(fleet_id=fleet_id, day=yesterday):
        revenue[row.currency] = revenue.get(row.currency, 0) + row.charged_minor
    return _Figures(
        kyc_count=queue.count,
        kyc_oldest=queue.oldest_at,
        payouts_count=payouts.count,
        payouts_oldest=payouts.oldest_at,
        payouts_totals=tuple((t.currency, t.amount_minor) for t in payouts.totals),
        expiring_drivers=drivers,
        expiring_vehicles=vehicles,
        completed=trips.completed if trips else 0,
        cancelled=trips.cancelled if trips else 0,
        failed=trips.failed if trips else 0,
        revenue=tuple(sorted(revenue.items())),
    )


def _digest_context(figures: _Figures, *, brand: Any, language: str, today: dt.date) -> dict[str, Any]:
    """The digest's lines in the manager's language, with the fleet's money and clock. Every line is there each day
    (a zero says "nothing", which is news too); the intro says whether anything waits."""
    base, locale, tz = _base(), reading_locale(language, brand.locale), brand.time_zone

    def t(key: str, **values: Any) -> str:
        return text(language, DIGEST, key).format(**values)

    def waiting(count: int, oldest: dt.datetime | None) -> str:
        if not count:
            return t("none")
        return t("oldest", count=count, since=local_datetime(oldest, tz, locale)) if oldest else str(count)

    payouts = waiting(figures.payouts_count, figures.payouts_oldest)
    if figures.payouts_totals:
        payouts += ": " + ", ".join(money(amount, cur, locale) for cur, amount in figures.payouts_totals)
    revenue = ", ".join(money(amount, cur, locale) for cur, amount in figures.revenue) or money(
        0, brand.currency, locale
    )
    details = [
        [t("kyc"), waiting(figures.kyc_count, figures.kyc_oldest), f"{base}/admin/partner/kycdocument/"],
        [t("payouts"), payouts, f"{base}/admin/billing/payout/"],
        [
            t("expiring", days=EXPIRY_DAYS),
            t("expiring_value", drivers=figures.expiring_drivers, vehicles=figures.expiring_vehicles)
            if figures.expiring_drivers or figures.expiring_vehicles
            else t("none"),
        ],
        [
            t("ended_badly"),
            t("ended_badly_value", failed=figures.failed, cancelled=figures.cancelled),
            f"{base}/admin/trips/trip/",
        ],
        [t("completed"), str(figures.completed)],
        [t("revenue"), revenue],
    ]
    return {
        "fleet": brand.name,
        "day": local_date(today, locale, format="full"),
        "summary": t("attention") if figures.needs_attention else t("all_clear"),
        "brand": rendering.brand_context(brand),
        "action_url": f"{base}/admin/",
        "details": details,
    }


def vehicle_document_expiring_tell_managers(*, papers: VehiclePapers) -> int:
    """Each of the fleet's managers hears that a vehicle's document runs out (fleet announces it once per threshold:
    30, 7, 1 days left), in their own language, by email."""
    brand, shown, vehicle = papers.facts()
    made = 0
    for manager_id in integrations.fleet_manager_ids(fleet_id=papers.fleet_id):
        document = document_name(language_for(manager_id, brand), f"vdoc_{papers.kind}", papers.kind)
        made += user_notify(
            message=DriverMessage(
                event_id=papers.event_id,
                event_type=papers.event_type,
                kind="fleet.vehicle_document_expiring",
                extra={"document": document, "vehicle": vehicle, "expires_on": shown, "days_left": papers.days_left},
                details=(("vehicle", vehicle), ("expires_on", shown)),
                channels=(Channel.EMAIL,),
                urgent=papers.days_left <= 1,
            ),
            user_id=manager_id,
            fleet_id=papers.fleet_id,
            brand=brand,
        )
    return made

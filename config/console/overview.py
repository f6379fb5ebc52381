"""The overview's figures, gathered from each context's public api and put in the manager's language: names for
people and vehicles, money in the fleet's currency and locale (Babel), times in the fleet's time zone. No context's
models, services or selectors: only `api.py` and `contracts.py` (an import-linter contract says so).

Where each figure comes from (README.md has the whole table): trips' `trip_figures` and `trip_days` (daily figures
trips keeps as trips and shifts end), billing's `revenue_by_day` (daily sums the ledger keeps as it posts) and
`payouts_waiting`, partner's `kyc_review_queue` and `kyc_documents_expiring`, fleet's `fleet_documents_expiring`;
names from partner, fleet and identity.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

from babel import Locale
from babel.dates import format_skeleton
from babel.numbers import format_currency, format_percent

from apps.billing.contracts import BillingUnavailable, PayoutsWaiting, RevenueDayFigures
from apps.fleet import api as fleet_api
from apps.fleet.contracts import FleetRef
from apps.identity import api as identity_api
from apps.partner import api as partner_api
from apps.trips import api as trips_api
from apps.trips.contracts import ActorRole, TripDayFigures, TripStatus
from config.console.contexts import billing_api
from logitrack.formatting import DEFAULT_LOCALE, local_date, local_datetime, locale_for, money, units, zone

PERIODS = (7, 30)
EXPIRY_DAYS = 30  # documents running out within this many days
TOP = 12  # drivers and vehicles shown in the charts
RECENT = 8  # rows of each table
STATUS_LABELS = {
    TripStatus.REQUESTED: "Waiting",
    TripStatus.ASSIGNED: "Assigned",
    TripStatus.EN_ROUTE: "On the way",
    TripStatus.AT_PICKUP: "At pickup",
    TripStatus.IN_PROGRESS: "In progress",
    TripStatus.COMPLETED: "Completed",
    TripStatus.CANCELLED: "Cancelled",
    TripStatus.FAILED: "Failed",
}
UNDER_WAY = (TripStatus.ASSIGNED, TripStatus.EN_ROUTE, TripStatus.AT_PICKUP, TripStatus.IN_PROGRESS)
ENDED_BY = {
    ActorRole.CUSTOMER: "by the customer",
    ActorRole.DISPATCHER: "by a dispatcher",
    ActorRole.DRIVER: "by the driver",
    ActorRole.SYSTEM: "by LogiTrack",
}
DOCUMENT_LABELS = {
    "driving_licence": "Driving licence",
    "identity_document": "Identity document",
    "background_check": "Background check",
    "registration": "Registration",
    "insurance": "Insurance",
    "inspection": "Inspection",
}
NOBODY = "someone no longer on record"


@dataclasses.dataclass(frozen=True)
class Links:
    """Admin pages the user may open, as URL makers (None: not theirs to open, shown without a link)."""

    trip: Callable[[uuid.UUID], str] | None = None
    kyc_document: Callable[[uuid.UUID], str] | None = None
    vehicle_document: Callable[[uuid.UUID], str] | None = None
    payout: Callable[[uuid.UUID], str] | None = None

    def to(self, kind: str, object_id: uuid.UUID) -> str:
        maker = getattr(self, kind)
        return maker(object_id) if maker is not None else ""


@dataclasses.dataclass(frozen=True)
class Place:
    """How one fleet's numbers and times are written."""

    currency: str
    time_zone: str
    locale: str

    @classmethod
    def of(cls, fleet: FleetRef) -> Place:
        return cls(currency=fleet.currency, time_zone=fleet.time_zone, locale=locale_for(fleet.country))


def today_of(fleets: Sequence[FleetRef], now: dt.datetime) -> dt.date:
    """The latest local date among the fleets: the period's last day (trips' and billing's rule too)."""
    return max((now.astimezone(zone(f.time_zone)).date() for f in fleets), default=now.date())


def build(*, fleets: Sequence[FleetRef], days: int, now: dt.datetime, links: Links) -> dict[str, Any]:
    """Everything the page shows for these fleets over the `days` ending today: figure cards, chart data (for
    json_script) and tables, formatted; no id or minor unit left in."""
    fleet_ids = [f.id for f in fleets]
    places = {f.id: Place.of(f) for f in fleets}
    locales = {p.locale for p in places.values()}
    page_locale = locales.pop() if len(locales) == 1 else DEFAULT_LOCALE
    by_currency: dict[str, str] = {}  # currency -> the locale of its first fleet
    for fleet in fleets:
        by_currency.setdefault(fleet.currency, places[fleet.id].locale)
    today = today_of(fleets, now)
    first = today - dt.timedelta(days=days - 1)
    period = [first + dt.timedelta(days=n) for n in range(days)]

    trips = trips_api.trip_figures(fleet_ids=fleet_ids, days=days, now=now, recent=RECENT)
    month = trips_api.trip_days(fleet_ids=fleet_ids, first=today - dt.timedelta(days=29), last=today)
    try:
        revenue = billing_api.revenue_by_day(
            fleet_ids=fleet_ids, first=min(first, today - dt.timedelta(days=6)), last=today
        )
        payouts = billing_api.payouts_waiting(fleet_ids=fleet_ids, limit=RECENT)
        billing_unavailable = False
    except BillingUnavailable:  # billing runs apart and is away: the rest of the page still answers, no money guessed
        revenue, billing_unavailable = [], True
        payouts = PayoutsWaiting(count=0, totals=(), oldest_at=None, oldest=())
    queue = partner_api.kyc_review_queue(fleet_ids=fleet_ids, limit=RECENT)
    horizon = today + dt.timedelta(days=EXPIRY_DAYS)
    kyc_expiring = partner_api.kyc_documents_expiring(fleet_ids=fleet_ids, on_or_before=horizon)
    vehicle_expiring = fleet_api.fleet_documents_expiring(fleet_ids=fleet_ids, on_or_before=horizon)

    names = _Names.gather(
        driver_ids={d.driver_id for d in trips.drivers}
        | {t.driver_id for t in trips.ended_badly if t.driver_id}
        | {p.driver_id for p in payouts.oldest}
        | {e.driver_id for e in kyc_expiring},
        vehicle_ids={v.vehicle_id for v in trips.vehicles} | {e.vehicle_id for e in vehicle_expiring},
        customer_ids={t.customer_id for t in trips.ended_badly if t.customer_id},
    )
    page = places[fleets[0].id] if len(fleets) == 1 else Place("", "UTC", page_locale)
    on_time = _on_time(month, today, page_locale)
    charts = {
        "days": [format_skeleton("Md", day, locale=page_locale) for day in period],
        "status": _status_chart(trips.today_by_status),
        "onTime": _on_time_chart(month[-days:], page_locale),
        "revenue": [] if billing_unavailable else _revenue_charts(revenue, period, by_currency),
        "utilisation": _utilisation_chart(trips.drivers, names, page_locale),
        "perDriver": _top((names.driver(d.driver_id), d.trips_completed) for d in trips.drivers),
        "perVehicle": _top((names.vehicle(v.vehicle_id, short=True), v.trips_completed) for v in trips.vehicles),
    }
    by_status = {c.status: c.count for c in trips.today_by_status}
    week = [r for r in revenue if r.day > today - dt.timedelta(days=7)]
    return {
        "today": local_date(today, page_locale, format="medium"),
        "period_days": days,
        "billing_unavailable": billing_unavailable,
        "cards": {
            "trips_today": sum(by_status.values()),
            "trips_done": by_status[TripStatus.COMPLETED],
            "trips_under_way": sum(by_status[s] for s in UNDER_WAY),
            "trips_waiting": by_status[TripStatus.REQUESTED],
            "trips_ended_badly": by_status[TripStatus.CANCELLED] + by_status[TripStatus.FAILED],
            "open_earlier": trips.open_from_earlier_days,
            "on_time": on_time,
            "revenue_week": _money_totals(week, "charged_minor", by_currency),
            "fees_week": _money_totals(week, "platform_fee_minor", by_currency),
            "utilisation": _utilisation_total(trips.drivers, page_locale),
            "payouts": payouts.count,
            "payouts_total": [
                money(t.amount_minor, t.currency, by_currency.get(t.currency, page_locale)) for t in payouts.totals
            ],
            "payouts_oldest": _when(payouts.oldest_at, places[payouts.oldest[0].fleet_id] if payouts.oldest else page),
            "kyc": queue.count,
            "kyc_oldest": _when(queue.oldest_at, places[queue.oldest[0].fleet_id] if queue.oldest else page),
            "expiring": len(kyc_expiring) + len(vehicle_expiring),
        },
        "charts": charts,
        "kyc_queue": [
            {
                "driver": d.driver_name or NOBODY,
                "document": DOCUMENT_LABELS.get(d.document_type, d.document_type),
                "submitted": _when(d.submitted_at, places.get(d.fleet_id, page)),
                "fleet": _fleet_name(fleets, d.fleet_id),
                "url": links.to("kyc_document", d.id),
            }
            for d in queue.oldest
        ],
        "expiring": _expiring_rows(kyc_expiring, vehicle_expiring, names, links, today, page_locale),
        "payouts": [
            {
                "driver": names.driver(p.driver_id),
                "amount": money(p.amount_minor, p.currency, places.get(p.fleet_id, page).locale or page_locale),
                "requested": _when(p.requested_at, places.get(p.fleet_id, page)),
                "fleet": _fleet_name(fleets, p.fleet_id),
                "url": links.to("payout", p.id),
            }
            for p in payouts.oldest
        ],
        "ended_badly": [
            {
                "when": _when(t.ended_at, places.get(t.fleet_id, page)),
                "route": " → ".join(filter(None, [t.pickup_address, t.dropoff_address])) or "–",
                "customer": names.customer(t.customer_id) if t.customer_id else "–",
                "driver": names.driver(t.driver_id) if t.driver_id else "no driver yet",
                "status": STATUS_LABELS[t.status],
                "failed": t.status == TripStatus.FAILED,
                "why": t.reason or "no reason given",
                "who": ENDED_BY.get(t.ended_by, "") if t.ended_by else "",
                "fleet": _fleet_name(fleets, t.fleet_id),
                "url": links.to("trip", t.id),
            }
            for t in trips.ended_badly
        ],
        "show_fleet": len(fleets) > 1,
    }


# ---- names -------------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Names:
    drivers: dict[uuid.UUID, str]
    vehicles: dict[uuid.UUID, str]
    customers: dict[uuid.UUID, str]

    @classmethod
    def gather(cls, *, driver_ids: set, vehicle_ids: set, customer_ids: set) -> _Names:
        """One call per context, whatever the number of rows."""
        return cls(
            drivers={d.id: d.display_name for d in partner_api.drivers_get(driver_ids=sorted(driver_ids, key=str))},
            vehicles=fleet_api.vehicle_names(vehicle_ids=sorted(vehicle_ids, key=str)),
            customers={u.id: u.display_name for u in identity_api.users_get(user_ids=sorted(customer_ids, key=str))},
        )

    def driver(self, driver_id: uuid.UUID) -> str:
        return self.drivers.get(driver_id) or NOBODY

    def vehicle(self, vehicle_id: uuid.UUID, *, short: bool = False) -> str:
        """ "BSK104 · Mercedes-Benz Sprinter"; `short` (chart labels): "BSK104 · Sprinter"."""
        name = self.vehicles.get(vehicle_id)
        if name is None:
            return "a vehicle no longer on record"
        plate, _, model = name.partition(" · ")
        return f"{plate} · {model.split(' ', 1)[-1]}" if short and model else name

    def customer(self, customer_id: uuid.UUID) -> str:
        return self.customers.get(customer_id) or NOBODY


def _fleet_name(fleets: Sequence[FleetRef], fleet_id: uuid.UUID) -> str:
    return next((f.name for f in fleets if f.id == fleet_id), "")


def _when(moment: dt.datetime | None, place: Place) -> str:
    return local_datetime(moment, place.time_zone, place.locale or DEFAULT_LOCALE, format="short") if moment else "–"


# ---- figures -----------------------------------------------------------------------------------------------------


def _percent(part: int, whole: int, locale: str) -> str:
    return format_percent(Decimal(part) / Decimal(whole), locale=locale) if whole else "–"


def _on_time(month: Sequence[TripDayFigures], today: dt.date, locale: str) -> list[dict[str, Any]]:
    """On time today, over 7 and over 30 days: the stops reached by their window's end among those counted."""
    found = []
    for label, days in (("today", 1), ("7 days", 7), ("30 days", 30)):
        rows = [d for d in month if d.day > today - dt.timedelta(days=days)]
        counted, on_time = sum(d.stops_windowed for d in rows), sum(d.stops_on_time for d in rows)
        found.append({"label": label, "value": _percent(on_time, counted, locale), "of": counted})
    return found


def _on_time_chart(days: Sequence[TripDayFigures], locale: str) -> dict[str, Any]:
    return {
        "values": [round(100 * d.stops_on_time / d.stops_windowed, 1) if d.stops_windowed else None for d in days],
        "tips": [
            f"{_percent(d.stops_on_time, d.stops_windowed, locale)} · {d.stops_on_time} of {d.stops_windowed} stops"
            if d.stops_windowed
            else "no stop with a window"
            for d in days
        ],
        "axis": _percent_axis(locale),
    }


def _percent_axis(locale: str) -> dict[str, Any]:
    ticks = [0, 25, 50, 75, 100]
    return {"max": 100, "ticks": [[t, format_percent(Decimal(t) / 100, locale=locale)] for t in ticks]}


def _status_chart(counts: Iterable[Any]) -> dict[str, Any]:
    shown = list(counts)
    return {
        "keys": [c.status.value for c in shown],
        "labels": [STATUS_LABELS[c.status] for c in shown],
        "values": [c.count for c in shown],
    }


def _money_totals(rows: Iterable[RevenueDayFigures], field: str, by_currency: dict[str, str]) -> list[str]:
    totals: dict[str, int] = defaultdict(int)
    for row in rows:
        totals[row.currency] += getattr(row, field)
    currencies = sorted(set(totals) | set(by_currency))
    return [money(totals.get(c, 0), c, by_currency.get(c, DEFAULT_LOCALE)) for c in currencies]


def _revenue_charts(
    rows: Sequence[RevenueDayFigures], period: Sequence[dt.date], by_currency: dict[str, str]
) -> list[dict[str, Any]]:
    """One chart per currency (amounts in different currencies never add up): what customers were charged and the
    platform's fees per day, in currency units, with Babel's tooltips and axis labels."""
    charts = []
    for currency in sorted(set(by_currency) | {r.currency for r in rows}):
        locale = by_currency.get(currency, DEFAULT_LOCALE)
        day_rows = {r.day: r for r in rows if r.currency == currency}
        charged = [day_rows[d].charged_minor if d in day_rows else 0 for d in period]
        fees = [day_rows[d].platform_fee_minor if d in day_rows else 0 for d in period]
        charts.append(
            {
                "currency": currency,
                "charged": [float(units(v, currency)) for v in charged],
                "fees": [float(units(v, currency)) for v in fees],
                "chargedTips": [money(v, currency, locale) for v in charged],
                "feesTips": [money(v, currency, locale) for v in fees],
                "chargedAxis": money_axis(max(charged, default=0), currency, locale),
                "feesAxis": money_axis(max(fees, default=0), currency, locale),
                "total": money(sum(charged), currency, locale),
                "feesTotal": money(sum(fees), currency, locale),
            }
        )
    return charts


def money_axis(top_minor: int, currency: str, locale: str, *, steps: int = 4) -> dict[str, Any]:
    """A value axis from 0 in round steps of the currency (1, 2, 2.5 or 5 × a power of ten) reaching `top_minor`,
    each tick written by Babel in the fleet's locale without cents ("1.500 €", "£1,500")."""
    top = units(max(top_minor, 0), currency)
    raw = top / steps if top > 0 else Decimal(1)
    magnitude = Decimal(10) ** math.floor(math.log10(raw))
    step = next(
        m * magnitude for m in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10)) if raw <= m * magnitude
    )
    count = max(1, math.ceil(top / step)) if top > 0 else steps
    ticks = [step * n for n in range(count + 1)]
    return {"max": float(ticks[-1]), "ticks": [[float(t), whole_money(t, currency, locale)] for t in ticks]}


def whole_money(amount: Decimal, currency: str, locale: str) -> str:
    """An axis label: the amount in the locale's currency pattern, without the minor unit when it is whole."""
    pattern = Locale.parse(locale).currency_formats["standard"].pattern
    if amount == amount.to_integral_value():
        pattern = pattern.replace(".00", "")
    return format_currency(amount, currency, format=pattern, locale=locale, currency_digits=False)


def _hours(seconds: int) -> str:
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60:02d} min"


def _utilisation_chart(drivers: Sequence[Any], names: _Names, locale: str) -> dict[str, Any]:
    """Time on trips over time on shift, per driver: the drivers with the most time on shift."""
    shown = sorted((d for d in drivers if d.on_shift_s > 0), key=lambda d: (-d.on_shift_s, str(d.driver_id)))[:TOP]
    return {
        "labels": [names.driver(d.driver_id) for d in shown],
        "values": [round(100 * d.on_trip_s / d.on_shift_s, 1) for d in shown],
        "tips": [
            f"{_percent(d.on_trip_s, d.on_shift_s, locale)} · "
            f"{_hours(d.on_trip_s)} on trips of {_hours(d.on_shift_s)} on shift"
            for d in shown
        ],
        "axis": _percent_axis(locale),
    }


def _utilisation_total(drivers: Sequence[Any], locale: str) -> dict[str, str]:
    on_trip, on_shift = sum(d.on_trip_s for d in drivers), sum(d.on_shift_s for d in drivers)
    return {"value": _percent(on_trip, on_shift, locale), "on_shift": _hours(on_shift), "on_trip": _hours(on_trip)}


def _top(rows: Iterable[tuple[str, int]]) -> dict[str, list]:
    shown = sorted((r for r in rows if r[1] > 0), key=lambda r: (-r[1], r[0]))[:TOP]
    return {"labels": [name for name, _ in shown], "values": [n for _, n in shown]}


def _expiring_rows(kyc, vehicles, names: _Names, links: Links, today: dt.date, locale: str) -> list[dict[str, Any]]:
    rows = [
        {
            "whose": names.driver(e.driver_id),
            "kind": "driver",
            "document": DOCUMENT_LABELS.get(e.document_type, e.document_type),
            "on": e.expires_on,
            "url": links.to("kyc_document", e.document_id) if e.document_id else "",
        }
        for e in kyc
    ] + [
        {
            "whose": names.vehicle(e.vehicle_id),
            "kind": "vehicle",
            "document": DOCUMENT_LABELS.get(e.kind, e.kind),
            "on": e.expires_on,
            "url": links.to("vehicle_document", e.document_id),
        }
        for e in vehicles
    ]
    rows.sort(key=lambda r: (r["on"], r["whose"]))
    for row in rows:
        left = (row["on"] - today).days
        row["expires"] = local_date(row["on"], locale, format="short")
        row["left"] = (
            f"expired {-left} day{'s' if left != -1 else ''} ago"
            if left < 0
            else "today"
            if left == 0
            else f"in {left} day{'s' if left != 1 else ''}"
        )
        row["urgent"] = left <= 7
    return rows

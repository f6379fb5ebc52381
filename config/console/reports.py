"""The reports a manager sends on, composed from the contexts' api: trips gives each ended trip of a bounded period
(its fleet's local day, driver, vehicle, route, stops on time), billing gives each trip's settled fare (the distance
it was priced on, what the customer was charged and the driver earned). They meet here by trip id, so billing never
asks trips for a vehicle and each figure is counted on the trip's day (the day it was wanted, as on the overview).

Kinds: drivers by day, vehicles by day (at most MAX_DAYS days), one customer's monthly statement. Each is a
`Report` of rows already written for people (names, money by Babel in the fleet's locale, local times), with the
same figures plain for CSV, and a PDF by WeasyPrint that fetches nothing (billing's refusing fetcher rule)."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import uuid
from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_decimal
from django.template.loader import render_to_string

from apps.billing.contracts import TripMoney
from apps.fleet import api as fleet_api
from apps.fleet.contracts import FleetRef
from apps.identity import api as identity_api
from apps.partner import api as partner_api
from apps.trips import api as trips_api
from apps.trips.contracts import REPORT_MAX_DAYS, TripReportLine, TripStatus
from config.console.contexts import billing_api
from logitrack.formatting import local_date, local_datetime, locale_for, money, rate_bps, units, zone

MAX_DAYS = REPORT_MAX_DAYS
DRIVERS, VEHICLES, STATEMENT = "drivers", "vehicles", "statement"
KINDS = {DRIVERS: "Drivers by day", VEHICLES: "Vehicles by day", STATEMENT: "Customer statement"}
MAX_PDF_ROWS = 3000  # a PDF is drawn in the request: beyond this, the CSV


class ReportTooLarge(ValueError):
    pass


@dataclasses.dataclass(frozen=True)
class Report:
    kind: str
    title: str
    fleet: FleetRef
    locale: str
    period: str  # as people read it
    columns: tuple[str, ...]
    numeric: frozenset[int]  # which columns are figures (right-aligned)
    rows: list[list[str]]  # written for people
    totals: list[list[str]]  # a line per currency
    csv_header: tuple[str, ...]
    csv_rows: list[list[str]]  # the same figures plain: ISO dates, decimal amounts with a currency column
    filename: str
    customer_name: str = ""


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    first = month.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first, following - dt.timedelta(days=1)


def customers_of_month(*, fleet: FleetRef, month: dt.date) -> dict[uuid.UUID, str]:
    """The customers with ended trips in the fleet's month, by name: whom a statement can be made for."""
    first, last = month_bounds(month)
    found = identity_api.users_get(user_ids=trips_api.trip_customers(fleet_id=fleet.id, first=first, last=last))
    return dict(sorted(((u.id, u.display_name or "(no name)") for u in found), key=lambda pair: pair[1].casefold()))


# ---- drivers / vehicles by day --------------------------------------------------------------------------------


@dataclasses.dataclass
class _Sums:
    trips: int = 0
    distance_m: int = 0
    windowed: int = 0
    on_time: int = 0
    revenue: int = 0
    earnings: int = 0

    def add(self, line: TripReportLine, fare: TripMoney | None) -> None:
        if line.status == TripStatus.COMPLETED:
            self.trips += 1
            self.distance_m += fare.distance_m if fare else 0
        self.windowed += line.stops_windowed
        self.on_time += line.stops_on_time
        if fare is not None:
            self.revenue += fare.charged_minor
            self.earnings += fare.driver_share_minor


def by_day(*, kind: str, fleet: FleetRef, first: dt.date, last: dt.date) -> Report:
    """A row per local day, driver (or vehicle) and currency: trips completed, km they were priced on, stops on time
    (of completed and failed trips), revenue charged and the driver's earnings (every ended trip with a fare or a
    cancellation fee, refunds netted), each on the trip's day."""
    assert kind in (DRIVERS, VEHICLES)
    locale = locale_for(fleet.country)
    lines = trips_api.trip_report_lines(fleet_id=fleet.id, first=first, last=last)
    fares = _fares(fleet, lines)
    who_of = (lambda line: line.driver_id) if kind == DRIVERS else (lambda line: line.vehicle_id)
    sums: dict[tuple[dt.date, uuid.UUID, str], _Sums] = defaultdict(_Sums)
    totals: dict[str, _Sums] = defaultdict(_Sums)
    for line in lines:
        who = who_of(line)
        if who is None:  # never reached a driver: nobody's day
            continue
        fare = fares.get(line.trip_id)
        currency = fare.currency if fare else fleet.currency
        sums[(line.day, who, currency)].add(line, fare)
        totals[currency].add(line, fare)
    names = _names(kind, {who for _, who, _ in sums})
    ordered = sorted(sums.items(), key=lambda item: (item[0][0], names[item[0][1]].casefold(), item[0][2]))
    label = "Driver" if kind == DRIVERS else "Vehicle"
    rows, csv_rows = [], []
    for (day, who, currency), s in ordered:
        rows.append([local_date(day, locale, format="short"), names[who], *_shown(s, currency, locale)])
        csv_rows.append([day.isoformat(), names[who], *_plain(s, currency)])
    total_rows = [["Total", "", *_shown(s, currency, locale)] for currency, s in sorted(totals.items())]
    return Report(
        kind=kind,
        title=f"{KINDS[kind]} · {fleet.name}",
        fleet=fleet,
        locale=locale,
        period=f"{local_date(first, locale)} – {local_date(last, locale)}",
        columns=("Day", label, "Trips", "km", "On time", "Revenue", "Earnings"),
        numeric=frozenset({2, 3, 4, 5, 6}),
        rows=rows,
        totals=total_rows,
        csv_header=("day", label.lower(), "trips", "km", "on_time_percent", "currency", "revenue", "earnings"),
        csv_rows=csv_rows,
        filename=f"{kind}-by-day-{first.isoformat()}-{last.isoformat()}",
    )


def _shown(s: _Sums, currency: str, locale: str) -> list[str]:
    return [
        format_decimal(s.trips, locale=locale),
        format_decimal(_km(s.distance_m), format="#,##0.0", locale=locale),
        rate_bps(_on_time_bps(s), locale) if s.windowed else "–",
        money(s.revenue, currency, locale),
        money(s.earnings, currency, locale),
    ]


def _plain(s: _Sums, currency: str) -> list[str]:
    return [
        str(s.trips),
        f"{_km(s.distance_m):.1f}",
        f"{Decimal(_on_time_bps(s)).scaleb(-2):.2f}" if s.windowed else "",
        currency,
        str(units(s.revenue, currency)),
        str(units(s.earnings, currency)),
    ]


def _km(distance_m: int) -> Decimal:
    return (Decimal(distance_m) / 1000).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _on_time_bps(s: _Sums) -> int:
    return (s.on_time * 10000 * 2 + s.windowed) // (2 * s.windowed)  # half up, in whole basis points


# ---- a customer's monthly statement ---------------------------------------------------------------------------


def statement(*, fleet: FleetRef, month: dt.date, customer_id: uuid.UUID, customer_name: str) -> Report:
    """Every trip of the customer wanted in the fleet's calendar month that was charged (a fare or a cancellation
    fee), oldest first: when (local), reference, route, fare; totals per currency."""
    locale = locale_for(fleet.country)
    first, last = month_bounds(month)
    lines = trips_api.trip_report_lines(fleet_id=fleet.id, first=first, last=last, customer_id=customer_id, routes=True)
    fares = _fares(fleet, lines)
    rows, csv_rows = [], []
    totals: dict[str, int] = defaultdict(int)
    for line in lines:
        fare = fares.get(line.trip_id)
        if fare is None:
            continue
        route = " → ".join(filter(None, [line.pickup_address, line.dropoff_address]))
        if fare.kind == "cancellation":
            route = f"{route} (cancellation fee)"
        rows.append(
            [
                local_datetime(line.wanted_at, fleet.time_zone, locale),
                line.reference,
                route,
                money(fare.fare_total_minor, fare.currency, locale),
            ]
        )
        local = line.wanted_at.astimezone(zone(fleet.time_zone))
        csv_rows.append(
            [
                local.strftime("%Y-%m-%d %H:%M"),
                line.reference,
                line.pickup_address,
                line.dropoff_address,
                fare.kind,
                fare.currency,
                str(units(fare.fare_total_minor, fare.currency)),
            ]
        )
        totals[fare.currency] += fare.fare_total_minor
    return Report(
        kind=STATEMENT,
        title=f"Statement · {customer_name}",
        fleet=fleet,
        locale=locale,
        period=local_date(first, locale, format="MMMM y"),
        columns=("When", "Reference", "Route", "Fare"),
        numeric=frozenset({3}),
        rows=rows,
        totals=[["Total", "", "", money(total, currency, locale)] for currency, total in sorted(totals.items())],
        csv_header=("when", "reference", "from", "to", "kind", "currency", "fare"),
        csv_rows=csv_rows,
        filename=f"statement-{first.strftime('%Y-%m')}",
        customer_name=customer_name,
    )


# ---- shared ---------------------------------------------------------------------------------------------------


def _fares(fleet: FleetRef, lines: Iterable[TripReportLine]) -> dict[uuid.UUID, TripMoney]:
    found = billing_api.trip_money(fleet_id=fleet.id, trip_ids=[line.trip_id for line in lines])
    return {fare.trip_id: fare for fare in found}


def _names(kind: str, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    wanted = sorted(ids, key=str)
    if kind == DRIVERS:
        found = {d.id: d.display_name for d in partner_api.drivers_get(driver_ids=wanted)}
    else:
        found = fleet_api.vehicle_names(vehicle_ids=wanted)
    return {i: found.get(i) or "(removed)" for i in ids}


def as_csv(report: Report) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(report.csv_header)
    writer.writerows(report.csv_rows)
    return out.getvalue().encode()


def as_pdf(report: Report, *, issued: dt.datetime) -> bytes:
    """The report as an A4 PDF in the house style of invoices, the fleet as the sender; drawn in the request, so
    bounded (ReportTooLarge beyond MAX_PDF_ROWS rows)."""
    if len(report.rows) > MAX_PDF_ROWS:
        raise ReportTooLarge(f"a PDF holds at most {MAX_PDF_ROWS} rows: download the CSV or choose a shorter period")
    html = render_to_string(
        "console/report_pdf.html",
        {
            "report": report,
            "seller": report.fleet,
            "issued": local_datetime(issued, report.fleet.time_zone, report.locale),
            "cells": [_cells(report, row) for row in report.rows],
            "total_cells": [_cells(report, row) for row in report.totals],
        },
    )
    return billing_api.document_pdf(html=html)


def cells(report: Report) -> list[list[tuple[str, bool]]]:
    return [_cells(report, row) for row in report.rows]


def total_cells(report: Report) -> list[list[tuple[str, bool]]]:
    return [_cells(report, row) for row in report.totals]


def _cells(report: Report, row: list[str]) -> list[tuple[str, bool]]:
    return [(value, n in report.numeric) for n, value in enumerate(row)]

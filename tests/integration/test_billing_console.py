"""Billing's admin as a fleet manager reads it: fleets, drivers and customers by name, money in the fleet's currency
and locale, times on its clock, tariffs typed in currency units, percentages and weekday checkboxes (stored exactly),
date ranges and exports of exactly the manager's filtered rows."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import uuid
from html.parser import HTMLParser

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client

from apps.billing.models import (
    Account,
    AccountKind,
    BaseFare,
    FareRecord,
    Invoice,
    JournalTransaction,
    MinimumFare,
    Payout,
    PerKm,
    Posting,
    Quote,
    Tariff,
    TaxRate,
    TimeSurcharge,
)
from apps.billing.tests.factories import tariff
from apps.fleet.tests.factories import active_fleet
from apps.identity.contracts import FleetRole
from apps.identity.tests.factories import CustomerFactory
from apps.partner.tests.factories import DriverProfileFactory
from tests.support.isolation_admin import form_values

pytestmark = pytest.mark.django_db

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
AT = dt.datetime(2026, 12, 4, 22, 30, tzinfo=dt.UTC)  # 23:30 on 4 Dec in Berlin


class _Text(HTMLParser):
    """What a person reads on a page: its text, without markup, scripts or styles."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style", "template")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style", "template")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def text_of(response) -> str:
    parser = _Text()
    parser.feed(response.content.decode())
    return re.sub(r"[ \t\r\n]+", " ", " ".join(parser.parts))  # no-break spaces stay: money is "13,24\xa0€"


@pytest.fixture
def console(two_fleets):
    alpha = active_fleet(fleet_id=two_fleets.a.fleet_id, name="Alpha Couriers")
    bravo = active_fleet(fleet_id=two_fleets.b.fleet_id, name="Bravo Logistics")
    manager = Client()
    manager.force_login(two_fleets.a.users[FleetRole.FLEET_MANAGER])
    ana = DriverProfileFactory(fleet_id=alpha.id, display_name="Ana Lima")
    carla = CustomerFactory(display_name="Carla Kunde")
    return two_fleets, alpha, bravo, manager, ana, carla


def _fare(fleet_id, *, total, at=AT, driver=None, customer=None, kind="fare"):
    fare = FareRecord.objects.create(
        trip_id=uuid.uuid4(), fleet_id=fleet_id, driver_id=driver, customer_id=customer, kind=kind, facts={},
        breakdown={"currency": "EUR", "lines": [{"description": "Base fare", "gross": total}], "taxes": []},
        currency="EUR", net_minor=total, tax_minor=0, total_minor=total,
    )  # fmt: skip
    FareRecord.objects.filter(pk=fare.pk).update(created_at=at)
    return fare


def test_the_fare_list_shows_names_money_and_local_times_never_an_id_or_minor_unit(console):
    _, alpha, bravo, manager, ana, carla = console
    fare = _fare(alpha.id, total=123450, driver=ana.id, customer=carla.id)
    other = _fare(bravo.id, total=999)
    response = manager.get("/admin/billing/farerecord/")
    text, html = text_of(response), response.content.decode()
    assert "Ana Lima" in text and "Carla Kunde" in text and "Alpha Couriers" in text
    assert "1.234,50\xa0€" in text and "04.12.2026, 23:30" in text
    assert not UUID.search(text) and "minor" not in text.lower()
    assert f'href="/admin/trips/trip/{fare.trip_id}/change/">{str(fare.trip_id)[:8]}</a>' in html
    assert str(other.trip_id)[:8] not in html and "Bravo" not in text
    page = manager.get(f"/admin/billing/farerecord/{fare.pk}/change/")
    text = text_of(page)
    assert "Ana Lima" in text and "1.234,50\xa0€" in text and "Base fare" in text
    assert not UUID.search(text) and "minor" not in text.lower()


def test_every_billing_list_and_page_speaks_names_and_money(console):
    _, alpha, _, manager, ana, carla = console
    fare = _fare(alpha.id, total=1324, driver=ana.id, customer=carla.id)
    Payout.objects.create(driver_id=ana.id, fleet_id=alpha.id, request_key="r1", currency="EUR", amount_minor=5000)
    invoice = Invoice.objects.create(
        fleet_id=alpha.id, customer_id=carla.id, kind="receipt", year=2026, sequence=1, number="RCT-2026-000001",
        trip_id=fare.trip_id, currency="EUR", lines=[], taxes=[], net_minor=1113, tax_minor=211, total_minor=1324,
        seller={}, buyer={}, issued_at=AT,
    )  # fmt: skip
    wallet = Account.objects.create(kind=AccountKind.DRIVER_WALLET, owner_id=ana.id, fleet_id=alpha.id, currency="EUR")
    revenue = Account.objects.create(kind=AccountKind.FLEET_REVENUE, fleet_id=alpha.id, currency="EUR")
    Account.objects.create(
        kind=AccountKind.CUSTOMER_LOYALTY, owner_id=carla.id, fleet_id=alpha.id, currency="PTS", balance_minor=1700
    )
    entry = JournalTransaction.objects.create(idempotency_key="k1", kind="fare", fleet_id=alpha.id, memo="trip fare")
    Posting.objects.create(transaction=entry, account=revenue, amount_minor=1324, currency="EUR")
    Posting.objects.create(transaction=entry, account=wallet, amount_minor=-1324, currency="EUR")
    quote = Quote.objects.create(
        fleet_id=alpha.id, tariff=tariff(fleet_id=alpha.id), customer_id=carla.id, service="delivery", facts={},
        breakdown={}, currency="EUR", total_minor=1324, expires_at=AT,
    )  # fmt: skip
    pages = {
        "/admin/billing/farerecord/": ["13,24\xa0€", "Ana Lima"],
        "/admin/billing/payout/": ["50,00\xa0€", "Ana Lima"],
        "/admin/billing/invoice/": ["13,24\xa0€", "Carla Kunde", "PDF RCT-2026-000001"],
        f"/admin/billing/invoice/{invoice.pk}/change/": ["11,13\xa0€", "2,11\xa0€", "Carla Kunde"],
        "/admin/billing/account/": ["Ana Lima", "0,00\xa0€", "Carla Kunde", "1.700 points"],
        f"/admin/billing/tariff/{quote.tariff_id}/change/": ["Europe/Berlin time", "Amount (EUR)"],
        "/admin/billing/tariff/add/": ["Europe/Berlin time"],
        "/admin/billing/journaltransaction/": ["13,24\xa0€", "Alpha Couriers"],
        f"/admin/billing/journaltransaction/{entry.pk}/change/": ["-13,24\xa0€", "Ana Lima"],
        "/admin/billing/quote/": ["13,24\xa0€", "Carla Kunde"],
        f"/admin/billing/quote/{quote.pk}/change/": ["13,24\xa0€", "Carla Kunde"],
        "/admin/billing/tariff/": ["base\xa02,50\xa0€", "1,20\xa0€/km"],
    }
    for path, expected in pages.items():
        response = manager.get(path)
        assert response.status_code == 200, path
        text = text_of(response)
        for words in expected:
            assert words in text, f"{path}: {words!r} missing"
        assert not UUID.search(text), f"{path} shows an id: {UUID.search(text).group()}"
        assert "minor" not in text.lower() and " bps" not in text.lower(), path
    assert f'href="/admin/billing/invoice/{invoice.pk}/pdf/"' in manager.get("/admin/billing/invoice/").content.decode()


def test_a_tariff_lists_its_components_readably(console):
    _, alpha, *_ = console
    priced = Tariff.objects.create(
        fleet_id=alpha.id, name="Readable", currency="EUR", valid_from=AT,
        default_tax=TaxRate.objects.create(fleet_id=alpha.id, name="VAT", rate_bps=1900),
    )  # fmt: skip
    BaseFare.objects.create(tariff=priced, position=1, amount_minor=350)
    PerKm.objects.create(tariff=priced, position=2, amount_minor_per_km=120)
    MinimumFare.objects.create(tariff=priced, position=3, amount_minor=800)
    TimeSurcharge.objects.create(
        tariff=priced, position=4, percent_bps=2500, starts=dt.time(22), ends=dt.time(6), weekdays=[4, 5]
    )
    text = text_of(console[3].get("/admin/billing/tariff/?q=Readable"))
    # no-break spaces inside a component: a narrow column breaks lines between components only
    assert "base\xa03,50\xa0€ · 1,20\xa0€/km · min\xa08,00\xa0€ · +25\xa0%\xa022:00–06:00 · incl.\xa0tax" in text


def _component(prefix: int, model, **values) -> dict:
    kind = ContentType.objects.get_for_model(model, for_concrete_model=False)
    return {
        f"components-{prefix}-polymorphic_ctype": str(kind.id),
        **{f"components-{prefix}-{k}": v for k, v in values.items()},
    }


def test_a_tariff_is_typed_in_units_percent_and_weekdays_and_stored_exactly(console):
    _, alpha, _, manager, *_ = console
    tax = TaxRate.objects.create(fleet_id=alpha.id, name="VAT", rate_bps=1900)
    form = {
        "fleet_id": str(alpha.id), "name": "Typed", "service": "delivery", "currency": "EUR",
        "default_tax": str(tax.id), "valid_from_0": "2026-01-01", "valid_from_1": "00:00:00",
        "quote_valid_minutes": "15", "final_cap_bps": "12.5", "prices_include_tax": "on",
        "components-TOTAL_FORMS": "3", "components-INITIAL_FORMS": "0",
        **_component(0, BaseFare, position="1", amount_minor="13.24"),
        **_component(1, PerKm, position="2", amount_minor_per_km="1.2", free_km="0"),
        **_component(
            2, TimeSurcharge, position="3", percent_bps="25", starts="22:00", ends="06:00", weekdays=["4", "5"]
        ),
    }  # fmt: skip
    refused = manager.post("/admin/billing/tariff/add/", {**form, "components-0-amount_minor": "13.245"})
    assert refused.status_code == 200 and not Tariff.objects.filter(name="Typed").exists()
    assert "Ensure that there are no more than 2 decimal places." in refused.content.decode()

    created = manager.post("/admin/billing/tariff/add/", form)
    assert created.status_code == 302, created.content.decode()[:2000]
    typed = Tariff.objects.get(name="Typed")
    assert typed.final_cap_bps == 1250
    assert typed.valid_from == dt.datetime(2025, 12, 31, 23, 0, tzinfo=dt.UTC)  # midnight on Berlin's clock
    assert BaseFare.objects.get(tariff=typed).amount_minor == 1324
    assert PerKm.objects.get(tariff=typed).amount_minor_per_km == 120
    surcharge = TimeSurcharge.objects.get(tariff=typed)
    assert (surcharge.percent_bps, surcharge.weekdays) == (2500, [4, 5])

    page = manager.get(f"/admin/billing/tariff/{typed.pk}/change/")
    html = page.content.decode()
    assert 'value="13.24"' in html and 'value="1.20"' in html and 'value="12.5"' in html and 'value="25"' in html
    assert 'value="2026-01-01"' in html and 'value="00:00:00"' in html  # shown on the same clock
    assert "Amount (EUR)" in html and "Surcharge (%)" in html and "Final fare cap (%)" in html
    assert "Friday" in html and "minor" not in text_of(page).lower()
    values = form_values(page)
    assert manager.post(f"/admin/billing/tariff/{typed.pk}/change/", values).status_code == 302  # as rendered
    assert BaseFare.objects.get(tariff=typed).amount_minor == 1324
    assert TimeSurcharge.objects.get(tariff=typed).weekdays == [4, 5]
    assert Tariff.objects.get(pk=typed.pk).final_cap_bps == 1250

    base = next(k.removesuffix("-amount_minor") for k in values if k.endswith("-amount_minor"))
    days = next(k for k in values if k.endswith("-weekdays"))
    changed = manager.post(
        f"/admin/billing/tariff/{typed.pk}/change/", {**values, f"{base}-amount_minor": "0.99", days: ["0"]}
    )
    assert changed.status_code == 302
    assert BaseFare.objects.get(tariff=typed).amount_minor == 99
    assert TimeSurcharge.objects.get(tariff=typed).weekdays == [0]


def test_a_tax_rate_is_typed_in_percent(console):
    _, alpha, _, manager, *_ = console
    response = manager.post(
        "/admin/billing/taxrate/add/", {"fleet_id": str(alpha.id), "name": "Reduced", "rate_bps": "7.5"}
    )
    assert response.status_code == 302 and TaxRate.objects.get(name="Reduced").rate_bps == 750
    too_fine = manager.post(
        "/admin/billing/taxrate/add/", {"fleet_id": str(alpha.id), "name": "Odd", "rate_bps": "7.555"}
    )
    assert too_fine.status_code == 200 and not TaxRate.objects.filter(name="Odd").exists()
    assert "7,5\xa0%" in text_of(manager.get("/admin/billing/taxrate/"))
    ten = TaxRate.objects.create(fleet_id=alpha.id, name="Ten", rate_bps=1000)
    assert 'value="10"' in manager.get(f"/admin/billing/taxrate/{ten.pk}/change/").content.decode()  # not "1E+1"


def test_a_managers_export_holds_exactly_their_filtered_fares(console):
    _, alpha, bravo, manager, ana, carla = console
    first = _fare(alpha.id, total=1324, driver=ana.id, customer=carla.id, at=AT)  # 4 Dec, 23:30 Berlin
    _fare(alpha.id, total=500, at=AT + dt.timedelta(hours=1))  # 5 Dec, 00:30 Berlin
    _fare(bravo.id, total=777, at=AT)
    response = manager.get("/admin/billing/farerecord/export/?created_at__from=2026-12-04&created_at__to=2026-12-04")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows == [
        ["Created at", "Trip", "Kind", "Customer", "Driver", "Net", "Tax", "Total", "Currency", "Capped", "Fleet"],
        ["2026-12-04 23:30:00", str(first.trip_id)[:8], "Fare", "Carla Kunde", "Ana Lima", "13.24", "0.00", "13.24",
         "EUR", "no", "Alpha Couriers"],
    ]  # fmt: skip
    everything = manager.get("/admin/billing/farerecord/export/?format=xlsx")
    assert everything.status_code == 200
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(b"".join(everything.streaming_content)), read_only=True)
    values = list(book.active.iter_rows(values_only=True))
    assert sorted(row[7] for row in values[1:]) == [5, 13.24]  # never fleet B's 7.77


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/admin/billing/payout/", "created_at"),
        ("/admin/billing/invoice/", "issued_at"),
        ("/admin/billing/journaltransaction/", "posted_at"),
    ],
)
def test_the_other_lists_filter_by_date_and_export(console, path, field):
    manager = console[3]
    assert manager.get(f"{path}?{field}__from=2026-12-01&{field}__to=2026-12-31").status_code == 200
    assert manager.get(f"{path}?{field}__from=someday").status_code == 302  # the list's "invalid filter" (?e=1)
    export = manager.get(f"{path}export/?{field}__from=2026-12-01&format=csv")
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    assert manager.get(f"{path}export/?{field}__from=someday").status_code == 400

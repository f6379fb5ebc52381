"""The admin kernel's readable lists (logitrack/admin: readable, export, filters, fields), on a throwaway admin
site over billing's fare records: names instead of ids looked up once per page, money in the fleet's locale,
times on its clock, date ranges read in its time zone, and exports of exactly the filtered rows."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from decimal import Decimal

import pytest
from django import forms
from django.contrib import admin
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.base import SessionBase
from django.test import RequestFactory
from django.urls import path
from openpyxl import load_workbook

from apps.billing.models import FareRecord
from apps.identity.tests.factories import PlatformAdminFactory
from logitrack.admin.export import Exportable
from logitrack.admin.fields import PercentField, UnitsField, WeekdaysField
from logitrack.admin.filters import DateRangeFilter
from logitrack.admin.readable import Readable
from logitrack.formatting import Locality

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

BERLIN = uuid.uuid4()
DRIVERS = {uuid.uuid4(): "Ana Lima", uuid.uuid4(): "Jonas Weber"}
LOOKUPS: list[list[uuid.UUID]] = []


def driver_names(*, ids):
    LOOKUPS.append(list(ids))
    return {i: DRIVERS[i] for i in ids if i in DRIVERS}


def localities(*, fleet_ids):
    return {BERLIN: Locality(locale="de_DE", time_zone="Europe/Berlin", currency="EUR")} if BERLIN in fleet_ids else {}


class FareAdmin(Readable, Exportable, admin.ModelAdmin):
    named_ids = {"driver_id": driver_names}
    localities = staticmethod(localities)
    money = {"total_minor": "currency"}
    local_times = ("created_at",)
    list_display = ("kind", "driver_id", "total_minor", "created_at")
    list_filter = (("created_at", DateRangeFilter),)
    readonly_fields = ("driver_id", "total_minor", "created_at")
    fields = ("kind", "driver_id", "total_minor", "created_at")
    ordering = ("created_at",)


SITE = admin.AdminSite(name="readable_test")
SITE.register(FareRecord, FareAdmin)
urlpatterns = [path("admin/", SITE.urls)]


@pytest.fixture
def fare_admin():
    LOOKUPS.clear()
    return SITE._registry[FareRecord]


@pytest.fixture
def staff():
    return PlatformAdminFactory()


def _request(user, path="/", **params):
    request = RequestFactory().get(path, params)
    request.user = user
    request.session = SessionBase()
    request._messages = FallbackStorage(request)
    return request


def _fare(driver_id, total_minor, at: dt.datetime):
    fare = FareRecord.objects.create(
        trip_id=uuid.uuid4(), fleet_id=BERLIN, driver_id=driver_id, facts={}, breakdown={}, currency="EUR",
        net_minor=total_minor, tax_minor=0, total_minor=total_minor,
    )  # fmt: skip
    FareRecord.objects.filter(pk=fare.pk).update(created_at=at)
    return fare


@pytest.fixture
def fares():
    ana, jonas = DRIVERS
    return [
        _fare(ana, 123450, dt.datetime(2026, 12, 4, 22, 30, tzinfo=dt.UTC)),  # 23:30 on 4 Dec in Berlin
        _fare(jonas, 990, dt.datetime(2026, 12, 4, 23, 30, tzinfo=dt.UTC)),  # 00:30 on 5 Dec in Berlin
        _fare(uuid.uuid4(), 500, dt.datetime(2026, 12, 5, 9, 0, tzinfo=dt.UTC)),  # a driver nobody can name
    ]


def test_the_list_shows_names_money_and_local_times_and_looks_names_up_once_per_page(fare_admin, staff, fares):
    response = fare_admin.changelist_view(_request(staff))
    html = response.render().content.decode()
    assert "Ana Lima" in html and "Jonas Weber" in html
    assert "1.234,50\xa0€" in html and "9,90\xa0€" in html
    assert "04.12.2026, 23:30" in html and "05.12.2026, 00:30" in html
    assert f"unknown ({str(fares[2].driver_id)[:8]})" in html
    assert str(fares[0].driver_id) not in html
    assert len(LOOKUPS) == 1 and len(LOOKUPS[0]) == 3


def test_the_change_page_shows_the_same_words_and_offers_no_id_field(fare_admin, staff, fares):
    request = _request(staff)
    response = fare_admin.change_view(request, str(fares[0].pk))
    html = response.render().content.decode()
    assert "Ana Lima" in html and "1.234,50\xa0€" in html
    form = fare_admin.get_form(request, fares[0])
    assert "driver_id" not in form.base_fields and "total_minor" not in form.base_fields


def test_a_date_range_is_read_on_the_fleets_clock_and_exports_exactly_the_filtered_rows(fare_admin, staff, fares):
    # a platform admin's filter clock is UTC; on it 4 Dec holds the first two fares
    request = _request(staff, **{"created_at__from": "2026-12-04", "created_at__to": "2026-12-04", "format": "csv"})
    response = fare_admin.export_view(request)
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == ["Kind", "Driver", "Total", "Created at"]
    assert rows[1:] == [
        ["Fare", "Ana Lima", "1234.50", "2026-12-04 23:30:00"],
        ["Fare", "Jonas Weber", "9.90", "2026-12-05 00:30:00"],
    ]

    fare_admin.filter_time_zone = lambda request: dt.timezone(dt.timedelta(hours=1))  # Berlin's winter clock
    request = _request(staff, **{"created_at__from": "2026-12-05", "format": "xlsx"})
    response = fare_admin.export_view(request)
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    values = list(book.active.iter_rows(values_only=True))
    assert values[0] == ("Kind", "Driver", "Total", "Created at")
    assert [row[1] for row in values[1:]] == ["Jonas Weber", f"unknown ({str(fares[2].driver_id)[:8]})"]
    assert values[1][2] == 9.9


@pytest.mark.parametrize(
    "params",
    [{"created_at__from": "yesterday"}, {"created_at__from": "2026-12-05", "created_at__to": "2026-12-01"}],
)
def test_a_bad_range_is_the_lists_invalid_filter_message_and_a_400_export(fare_admin, staff, fares, params):
    response = fare_admin.changelist_view(_request(staff, **params))
    assert response.status_code == 302 and response["Location"].endswith("?e=1")
    response = fare_admin.export_view(_request(staff, **params, format="csv"))
    assert response.status_code == 400


def test_an_unknown_export_format_is_refused(fare_admin, staff, fares):
    response = fare_admin.export_view(_request(staff, format="pdf"))
    assert response.status_code == 400 and b"csv, xlsx" in response.content


class PriceForm(forms.Form):
    amount = UnitsField(currency="EUR")
    yen = UnitsField(currency="JPY", required=False)
    rate = PercentField()
    days = WeekdaysField()


def test_amounts_rates_and_weekdays_are_typed_as_people_mean_them_and_stored_exactly():
    form = PriceForm(data={"amount": "13.24", "yen": "500", "rate": "19.5", "days": ["4", "0", "4"]})
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"amount": 1324, "yen": 500, "rate": 1950, "days": [0, 4]}

    form = PriceForm(data={"amount": "13.245", "yen": "1.5", "rate": "19.555", "days": ["7"]})
    assert not form.is_valid()
    assert set(form.errors) == {"amount", "yen", "rate", "days"}

    shown = PriceForm(initial={"amount": 1324, "rate": 1900, "days": [0, 6]})
    html = str(shown)
    assert 'value="13.24"' in html and 'value="19"' in html
    assert "Monday" in html and "Sunday" in html
    assert shown["amount"].value() == Decimal("13.24") and shown["rate"].value() == Decimal("19")

"""seed_demo --history-days: the weeks before today written in bulk (config/demo/history.py) are whole — shifts,
trips with stops in and out of their windows, cancellations and failures with reasons, fares settled on a ledger that
verifies — and the overview's daily tables agree with them."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from apps.billing.models import FareRecord, JournalTransaction, RevenueDay
from apps.billing.services import ledger
from apps.fleet.models import Fleet
from apps.trips.models import Shift, Stop, Trip, TripDay, TripLogEntry

pytestmark = pytest.mark.django_db


def test_history_days_before_today_are_whole_and_counted():
    out = io.StringIO()
    call_command("seed_demo", "--drivers", "8", "--trips", "8", "--history-days", "3", stdout=out, stderr=io.StringIO())

    berlin = Fleet.objects.get(name="Spree Kurier")
    today = timezone.now().astimezone(dt.UTC).date()
    past = Trip.objects.filter(fleet_id=berlin.id, requested_for__date__lt=today - dt.timedelta(days=1))
    assert past.exists()
    assert set(Trip.objects.filter(fleet_id=berlin.id, shift__status="ended").values_list("status", flat=True)) <= {
        "completed",
        "failed",
    }
    ended = Trip.objects.filter(status__in=["completed", "failed", "cancelled"], stops__window_end__isnull=False)
    assert ended.exists() and Stop.objects.filter(trip__in=past, window_end__isnull=False).count() == 2 * past.count()
    completed = Trip.objects.filter(status="completed")
    completed_ids = list(completed.values_list("id", flat=True))  # ids, not a join: trips and billing are apart
    assert FareRecord.objects.filter(trip_id__in=completed_ids).count() == completed.count()
    assert JournalTransaction.objects.filter(kind="settlement").count() == completed.count()
    badly = Trip.objects.filter(status__in=["cancelled", "failed"])
    assert all(t.end_reason for t in badly)
    assert TripLogEntry.objects.filter(trip__in=badly, to_status__in=["cancelled", "failed"]).count() == badly.count()
    assert Shift.objects.filter(status="ended").exists()
    assert ledger.verify() == []
    history = {
        line.split(":")[0].strip(): int(line.split(":")[1]) for line in out.getvalue().splitlines() if "history" in line
    }
    # a kind of ending the few seeded days happened not to have prints no line
    assert sum(history.get(f"history trips {end}", 0) for end in ("completed", "cancelled", "failed")) > 0

    # the overview's daily tables add up to the raw rows: trips by their end, fares net of refunds
    assert len(set(TripDay.objects.filter(fleet_id=berlin.id).values_list("day", flat=True))) >= 4  # 3 days + today
    for status in ("completed", "cancelled", "failed"):
        assert sum(TripDay.objects.values_list(status, flat=True)) == Trip.objects.filter(status=status).count()
    refunded = JournalTransaction.objects.filter(kind__startswith="reversal.").values("reference_id")
    charged = sum(FareRecord.objects.values_list("total_minor", flat=True)) - sum(
        FareRecord.objects.filter(trip_id__in=refunded).values_list("total_minor", flat=True)
    )
    assert sum(RevenueDay.objects.values_list("charged_minor", flat=True)) == charged


def test_history_days_are_bounded():
    with pytest.raises(CommandError, match="between 0 and 400"):
        call_command("seed_demo", "--history-days", "-1", stdout=io.StringIO(), stderr=io.StringIO())

"""The ledger check's result is kept and reported by /metrics, whoever ran it (the hourly task or the command)."""

import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.billing import tasks
from apps.billing.models import Account, AccountKind, LedgerCheck
from apps.billing.tests.test_ledger import wallet_with
from logitrack.testing.metrics import scraped


@pytest.mark.django_db
def test_no_check_yet_means_no_series():
    assert scraped("logitrack_ledger_check_problems", default=None) is None


@pytest.mark.django_db(transaction=True)  # as the worker runs it: its own transaction, one snapshot
def test_the_hourly_task_records_a_sound_ledger_then_the_command_a_broken_one():
    wallet_with(1000)
    before = time.time()
    assert tasks.verify_ledger() == 0
    assert scraped("logitrack_ledger_check_problems") == 0
    assert before - 1 <= scraped("logitrack_ledger_check_timestamp_seconds") <= time.time() + 1
    assert scraped("logitrack_ledger_check_duration_seconds") >= 0

    Account.objects.filter(kind=AccountKind.DRIVER_WALLET).update(balance_minor=999_999)
    with pytest.raises(CommandError, match="1 ledger invariant"):
        call_command("billing_verify_ledger")
    assert scraped("logitrack_ledger_check_problems") == 1
    check = LedgerCheck.objects.get()
    assert "holds 999999, its postings say 1000" in check.sample
    assert tasks.verify_ledger() == 1  # still broken: the next run says so again

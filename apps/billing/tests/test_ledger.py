"""The ledger's guarantees, including the ones the database enforces by itself."""

import copy
import threading
import uuid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connections
from django.db.utils import load_backend

from apps.billing.contracts import InsufficientFunds, LedgerConflict, UnbalancedTransaction
from apps.billing.models import Account, AccountKind, JournalTransaction, Payout, Posting
from apps.billing.services import ledger, payouts
from logitrack.db import contexts
from logitrack.types import Money


def _db():
    """Billing's connection in this thread (its own database when split)."""
    return connections[contexts.alias("billing")]


def wallet_with(amount, *, driver_id=None, fleet_id=None):
    driver_id, fleet_id = driver_id or uuid.uuid4(), fleet_id or uuid.uuid4()
    with contexts.atomic("billing"):
        wallet = ledger.account_for(
            kind=AccountKind.DRIVER_WALLET, currency="EUR", owner_id=driver_id, fleet_id=fleet_id
        )
        revenue = ledger.account_for(kind=AccountKind.FLEET_REVENUE, currency="EUR", owner_id=fleet_id)
        ledger.post(idempotency_key=f"seed:{driver_id}", kind="test.seed", legs=[(revenue, amount), (wallet, -amount)])
    return driver_id, fleet_id


@pytest.mark.django_db
def test_unbalanced_or_single_legged_transactions_are_refused_in_python():
    a = ledger.account_for(kind=AccountKind.CASH_CLEARING, currency="EUR")
    b = ledger.account_for(kind=AccountKind.PLATFORM_COMMISSION, currency="EUR")
    usd = ledger.account_for(kind=AccountKind.CASH_CLEARING, currency="USD")
    with contexts.atomic("billing"):
        for legs in ([(a, 100), (b, -99)], [(a, 100)], [(a, 100), (usd, -100)], []):
            with pytest.raises(UnbalancedTransaction), contexts.atomic("billing"):
                ledger.post(idempotency_key=str(uuid.uuid4()), kind="t", legs=legs)
    assert JournalTransaction.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_database_rejects_an_unbalanced_insert_made_with_raw_sql():
    if _db().vendor != "postgresql":
        pytest.skip("the constraint trigger is PostgreSQL's")
    a = ledger.account_for(kind=AccountKind.CASH_CLEARING, currency="EUR")
    txn_id = uuid.uuid4()
    with pytest.raises(IntegrityError, match="does not balance"), contexts.atomic("billing"), _db().cursor() as cursor:
        cursor.execute(
            "INSERT INTO billing_journaltransaction (id, idempotency_key, kind, memo, posted_at) "
            "VALUES (%s, 'raw', 'raw', '', now())",
            [txn_id],
        )
        cursor.execute(
            "INSERT INTO billing_posting (transaction_id, account_id, amount_minor, currency) "
            "VALUES (%s, %s, 500, 'EUR')",
            [txn_id, a.id],
        )
    assert not JournalTransaction.objects.filter(id=txn_id).exists()  # the whole transaction rolled back at commit


@pytest.mark.django_db(transaction=True)
def test_posted_entries_cannot_be_changed_or_deleted():
    if _db().vendor != "postgresql":
        pytest.skip("the immutability trigger is PostgreSQL's")
    wallet_with(1000)
    posting = Posting.objects.first()
    with pytest.raises(IntegrityError, match="immutable"), contexts.atomic("billing"):
        Posting.objects.filter(id=posting.id).update(amount_minor=1)
    with pytest.raises(IntegrityError, match="immutable"), contexts.atomic("billing"), _db().cursor() as cursor:
        cursor.execute("DELETE FROM billing_posting WHERE id = %s", [posting.id])  # around the ORM's own protection
    with pytest.raises(IntegrityError, match="immutable"), contexts.atomic("billing"):
        JournalTransaction.objects.update(memo="rewritten history")
    assert Posting.objects.get(id=posting.id).amount_minor == posting.amount_minor


@pytest.mark.django_db
def test_a_retry_posts_once_and_a_reused_key_with_other_postings_is_refused():
    a = ledger.account_for(kind=AccountKind.CASH_CLEARING, currency="EUR")
    b = ledger.account_for(kind=AccountKind.PLATFORM_COMMISSION, currency="EUR")
    with contexts.atomic("billing"):
        first, created = ledger.post(idempotency_key="k1", kind="t", legs=[(a, 100), (b, -100)])
        again, created_again = ledger.post(idempotency_key="k1", kind="t", legs=[(b, -100), (a, 100)])
        assert (created, created_again, again.id) == (True, False, first.id)
        with pytest.raises(LedgerConflict):
            ledger.post(idempotency_key="k1", kind="t", legs=[(a, 200), (b, -200)])
    a.refresh_from_db()
    assert a.balance_minor == 100


@pytest.mark.django_db
def test_a_wallet_never_pays_out_more_than_it_holds():
    driver_id, fleet_id = wallet_with(1000)
    payouts.payout_request(driver_id=driver_id, fleet_id=fleet_id, amount=Money(600, "EUR"), idempotency_key="p1")
    with pytest.raises(InsufficientFunds):
        payouts.payout_request(driver_id=driver_id, fleet_id=fleet_id, amount=Money(600, "EUR"), idempotency_key="p2")
    assert Payout.objects.count() == 1  # the refused request left nothing behind
    wallet = Account.objects.get(kind=AccountKind.DRIVER_WALLET, owner_id=driver_id)
    assert wallet.balance_minor == 400


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_payouts_from_one_wallet_never_overdraw_it():
    driver_id, fleet_id = wallet_with(1000)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def request(key):
        try:
            barrier.wait()
            payouts.payout_request(
                driver_id=driver_id, fleet_id=fleet_id, amount=Money(700, "EUR"), idempotency_key=key
            )
            outcomes.append("ok")
        except InsufficientFunds:
            outcomes.append("refused")
        finally:
            _db().close()

    threads = [threading.Thread(target=request, args=(f"race-{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(outcomes) == ["ok", "refused"]
    wallet = Account.objects.get(kind=AccountKind.DRIVER_WALLET, owner_id=driver_id)
    assert wallet.balance_minor == 300 and ledger.balance_of(wallet) == 300
    assert ledger.verify() == []


@pytest.mark.django_db
def test_payouts_are_paid_or_released_once(captured_events):
    driver_id, fleet_id = wallet_with(1000)
    paid = payouts.payout_request(driver_id=driver_id, fleet_id=fleet_id, amount=Money(300, "EUR"), idempotency_key="a")
    rejected = payouts.payout_request(
        driver_id=driver_id, fleet_id=fleet_id, amount=Money(200, "EUR"), idempotency_key="b"
    )
    with captured_events() as events:
        payouts.payout_decide(payout_id=paid.id, approve=True, actor_id=None)
        hold = Account.objects.get(kind=AccountKind.DRIVER_PAYOUT_HOLD, owner_id=driver_id)
        assert hold.balance_minor == 500  # approved money stays held until the transfer is made
        payouts.payout_mark_paid(payout_id=paid.id, bank_reference="SEPA-1")
        payouts.payout_decide(payout_id=rejected.id, approve=False, actor_id=None, reason="bank details missing")
    assert [e.TYPE for e in events] == ["logitrack.billing.payout.paid.v1", "logitrack.billing.payout.rejected.v1"]
    assert (events[1].payout_id, events[1].amount, events[1].reason) == (
        rejected.id,
        Money(200, "EUR"),
        "bank details missing",
    )
    wallet = Account.objects.get(kind=AccountKind.DRIVER_WALLET, owner_id=driver_id)
    hold = Account.objects.get(kind=AccountKind.DRIVER_PAYOUT_HOLD, owner_id=driver_id)
    assert (wallet.balance_minor, hold.balance_minor) == (700, 0)
    from logitrack.exceptions import Conflict

    with pytest.raises(Conflict):
        payouts.payout_decide(payout_id=paid.id, approve=True, actor_id=None)
    with pytest.raises(Conflict):
        payouts.payout_mark_paid(payout_id=rejected.id)


@pytest.mark.django_db
def test_verify_command_names_the_offenders(capsys):
    wallet_with(1000)
    call_command("billing_verify_ledger")
    assert "every invariant holds" in capsys.readouterr().out
    Account.objects.filter(kind=AccountKind.DRIVER_WALLET).update(balance_minor=999_999)  # a cached balance gone wrong
    with pytest.raises(CommandError, match="1 ledger invariant"):
        call_command("billing_verify_ledger")
    assert "holds 999999, its postings say 1000" in capsys.readouterr().out


def _waiting_on_a_lock() -> bool:
    with _db().cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # asked inside a transaction, which would keep its first
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_two_transactions_of_several_postings_each_do_not_deadlock_over_a_drivers_wallet():
    """A batch of settlements is one transaction of several postings. Every posting locks the platform's accounts
    first, so a second batch waits for them holding nothing. Locked by id alone, the second would hold a wallet whose
    id sorts before the platform's, and the first batch, reaching that wallet, would deadlock with it."""
    from logitrack.testing.processes import wait_until

    if _db().vendor != "postgresql":
        pytest.fail("row locks need PostgreSQL (run scripts/test.sh)")
    platform = Account.objects.create(
        id=uuid.UUID(int=2**128 - 1), kind=AccountKind.PLATFORM_COMMISSION, currency="EUR"
    )
    wallets = [
        Account.objects.create(
            id=uuid.UUID(int=n), kind=AccountKind.DRIVER_WALLET, owner_id=uuid.uuid4(), currency="EUR", floor_minor=0
        )
        for n in (1, 2)
    ]
    first_posted, errors = threading.Event(), []

    def first():
        try:
            with contexts.atomic("billing"):
                ledger.post(idempotency_key="a1", kind="settlement", legs=[(platform, 100), (wallets[0], -100)])
                first_posted.set()
                wait_until(_waiting_on_a_lock, timeout=30, what="the second transaction to wait")
                ledger.post(idempotency_key="a2", kind="settlement", legs=[(platform, 100), (wallets[1], -100)])
        except Exception as exc:
            errors.append(exc)
        finally:
            first_posted.set()
            _db().close()

    def second():
        first_posted.wait(30)
        try:
            with contexts.atomic("billing"):
                ledger.post(idempotency_key="b1", kind="settlement", legs=[(wallets[1], -100), (platform, 100)])
        except Exception as exc:
            errors.append(exc)
        finally:
            _db().close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert errors == []
    assert Account.objects.get(id=wallets[1].id).balance_minor == 200
    assert ledger.verify() == []


@pytest.fixture
def billing_apart(settings):
    """Billing on an alias of its own: a second connection to the database billing is on, so billing's transaction
    is not default's, as on a split deployment."""
    same = copy.deepcopy(connections[contexts.alias("billing")].settings_dict)
    # made here, not configured: a connection the test made itself, which Django's test isolation lets through
    connections["billing_apart"] = load_backend(same["ENGINE"]).DatabaseWrapper(same, "billing_apart")
    settings.CONTEXT_DATABASES = {**settings.CONTEXT_DATABASES, "billing": "billing_apart"}
    yield
    connections["billing_apart"].close()
    del connections["billing_apart"]


@pytest.mark.django_db(transaction=True)
def test_postings_run_in_billings_own_transaction_when_billing_has_a_database_of_its_own(billing_apart):
    driver_id, fleet_id = wallet_with(1000)  # posted inside contexts.atomic("billing"): billing's connection
    wallet = Account.objects.get(kind=AccountKind.DRIVER_WALLET, owner_id=driver_id)
    revenue = Account.objects.get(kind=AccountKind.FLEET_REVENUE, owner_id=fleet_id)
    assert wallet._state.db == "billing_apart"
    # identity's transaction is default's, not billing's: a posting there would commit on its own
    with contexts.atomic("identity"), pytest.raises(RuntimeError, match="inside the caller's transaction"):
        ledger.post(idempotency_key="in identity's", kind="t", legs=[(revenue, 1), (wallet, -1)])
    assert JournalTransaction.objects.count() == 1
    assert ledger.ledger_check() == []

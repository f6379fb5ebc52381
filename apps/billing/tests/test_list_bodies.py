"""The invoices list and a wallet's statement write their rows out by hand (to_representation), not by DRF's walk over
the declared fields: the JSON must be what DRF's rendering of those fields gives (the OpenAPI schema is made from
them). A trip list's fares are read by SQL written once (logitrack.db.rows.RowsByKey): values as the database gives
them, so a field Django converts when reading it (JSON) is refused rather than given raw."""

import datetime as dt
import json
import uuid

import pytest
from django.utils import timezone
from rest_framework import serializers

from apps.billing import selectors
from apps.billing.models import Account, AccountKind, Invoice, JournalTransaction, Posting, Quote
from apps.billing.rest_api.v1.serializers.invoices import InvoiceOutput
from apps.billing.rest_api.v1.serializers.wallets import StatementLineOutput
from logitrack.db.rows import RowsByKey
from logitrack.testing.queries import CaptureEveryDatabase

pytestmark = pytest.mark.django_db


def as_drf_renders(serializer: serializers.Serializer, row) -> str:
    return json.dumps(serializers.Serializer.to_representation(serializer, row))


def an_invoice(n: int, **fields) -> Invoice:
    values = {
        "fleet_id": uuid.uuid4(),
        "customer_id": uuid.uuid4(),
        "kind": "receipt",
        "year": 2026,
        "sequence": n,
        "number": f"RCT-2026-{n:05d}",
        "trip_id": uuid.uuid4(),
        "currency": "EUR",
        "lines": [],
        "taxes": [],
        "net_minor": 1000,
        "tax_minor": 190,
        "total_minor": 1190,
        "seller": {},
        "buyer": {},
        "issued_at": timezone.now().replace(microsecond=123456) - dt.timedelta(days=n),
    }
    made = Invoice.objects.create(**{**values, **fields})
    return selectors.invoices_listed().get(id=made.id)  # the columns the list reads


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin"])
def test_invoice_and_statement_rows_render_as_drf_would(zone):
    invoices = [
        an_invoice(1),
        an_invoice(2, kind="credit_note", trip_id=None, number="CN-2026-00002", issued_at=timezone.now()),
        an_invoice(
            3,
            kind="invoice",
            trip_id=None,
            period="2026-11",
            number="INV-2026-00003",
            statement=[
                {"trip_id": str(uuid.uuid4()), "description": "Torstraße → Strand", "receipt": "RCT-1", "gross": 1190},
                {"trip_id": str(uuid.uuid4()), "description": "", "receipt": "RCT-2", "gross": 0},
            ],
        ),
    ]
    wallet = Account.objects.create(kind=AccountKind.DRIVER_WALLET, currency="EUR", owner_id=uuid.uuid4())
    other = Account.objects.create(kind=AccountKind.CASH_CLEARING, currency="EUR")
    for key, memo, reference in (("a", "trip fare", uuid.uuid4()), ("b", "", None)):
        tx = JournalTransaction.objects.create(
            idempotency_key=key, kind="settlement", memo=memo, reference_id=reference
        )
        Posting.objects.create(transaction=tx, account=wallet, amount_minor=-950, currency="EUR")
        Posting.objects.create(transaction=tx, account=other, amount_minor=950, currency="EUR")
    with CaptureEveryDatabase() as ran:
        postings = list(selectors.statement(account=wallet))
    assert len(postings) == 2
    columns = ran.captured_queries[0]["sql"].split(" FROM ")[0]
    for unshown in ("idempotency_key", "fleet_id", "reverses_id", "account_id"):  # a statement line shows none
        assert unshown not in columns, columns
    with timezone.override(zone):
        for invoice in invoices:
            serializer = InvoiceOutput(invoice)
            assert json.dumps(serializer.data) == as_drf_renders(serializer, invoice)
        for posting in postings:
            serializer = StatementLineOutput(posting)
            assert json.dumps(serializer.data) == as_drf_renders(serializer, posting)


def test_rows_by_key_refuse_fields_converted_when_read():
    with pytest.raises(ValueError, match="converted when read"):
        RowsByKey(Quote, "id", ("id", "facts"))

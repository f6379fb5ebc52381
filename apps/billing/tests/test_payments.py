"""The signed-webhook adapter on its own: the tolerance window's edges, secret rotation, and what it parses."""

import hashlib
import hmac
import json
import uuid

import pytest

from apps.billing.contracts import NotificationMalformed, SignatureInvalid
from apps.billing.payments import Outcome
from apps.billing.payments.signed_webhook import SignedWebhookProvider

NOW = 1_800_000_000
TOPUP = uuid.uuid4()
BODY = json.dumps(
    {
        "id": "evt_1",
        "type": "payment.succeeded",
        "data": {"object": {"id": "pay_1", "reference": str(TOPUP), "amount": 5000, "currency": "eur"}},
    }
).encode()


def header(secret: str, t: int, body: bytes = BODY) -> dict:
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return {"Payment-Signature": f"t={t},v1={mac}"}


def test_the_tolerance_window_is_inclusive_and_both_ways():
    psp = SignedWebhookProvider("psp", secrets=["s1"], tolerance_seconds=300)
    for t in (NOW - 300, NOW, NOW + 300):
        note = psp.parse(headers=header("s1", t), body=BODY, now=NOW)
        assert (note.outcome, note.topup_id, note.amount.amount_minor, note.amount.currency) == (
            Outcome.SUCCEEDED,
            TOPUP,
            5000,
            "EUR",
        )
    for t in (NOW - 301, NOW + 301):
        with pytest.raises(SignatureInvalid, match="from our clock"):
            psp.parse(headers=header("s1", t), body=BODY, now=NOW)


def test_rotated_secrets_and_signatures_and_a_provider_without_a_secret():
    psp = SignedWebhookProvider("psp", secrets=["new", "old"])
    assert psp.parse(headers=header("old", NOW), body=BODY, now=NOW).event_id == "evt_1"
    both = f"{header('other', NOW)['Payment-Signature']},v1={header('new', NOW)['Payment-Signature'].split('v1=')[1]}"
    assert psp.parse(headers={"Payment-Signature": both}, body=BODY, now=NOW).payment_reference == "pay_1"
    with pytest.raises(SignatureInvalid):
        psp.parse(headers=header("other", NOW), body=BODY, now=NOW)
    assert psp.parse(headers={"Payment-Signature": psp.sign(BODY, timestamp=NOW)}, body=BODY, now=NOW)
    assert not SignedWebhookProvider("psp", secrets=[""]).enabled
    with pytest.raises(NotificationMalformed):
        psp.parse(headers={}, body=BODY, now=NOW)

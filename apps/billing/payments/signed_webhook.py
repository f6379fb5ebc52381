"""A provider that signs its webhooks the way Stripe does: header `Payment-Signature: t=<unix time>,v1=<hex>`,
where v1 is HMAC-SHA256 over `"<t>.<raw body>"` with the endpoint's shared secret.

- The timestamp is signed too, and refused outside `tolerance_seconds` of our clock: a captured call cannot be
  replayed later (within the window a replay is harmless: confirmation is idempotent per event id).
- Several `v1=` values may come (the provider rolling its secret), and several secrets may be configured (we
  rolling ours): any match passes. Comparison is constant-time.
- The body is parsed only after the signature matched.

Body: {"id": "evt_…", "type": "payment.succeeded" | "payment.failed" | …, "data": {"object": {"id": "pay_…",
"reference": "<top-up id>", "amount": 5000, "currency": "EUR", "failure_message": "…"}}}
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
import uuid
from collections.abc import Mapping

from apps.billing.contracts import NotificationMalformed, SignatureInvalid
from apps.billing.payments.base import Outcome, PaymentNotification, PaymentProvider
from logitrack.exceptions import ValidationFailed
from logitrack.types import Money

MAX_MINOR = 10**12  # far above any real payment, and inside the ledger's 64-bit columns
HEX_SHA256 = re.compile(r"[0-9a-f]{64}")
# ASCII digits only, and few of them: str.isdigit() also accepts "²" (int() then raises), and a huge number makes
# the clock comparison overflow or int() refuse it. Twelve digits reach the year 33658.
UNIX_TIME = re.compile(r"[0-9]{1,12}")
OUTCOMES = {"payment.succeeded": Outcome.SUCCEEDED, "payment.failed": Outcome.FAILED}


def signature(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


class SignedWebhookProvider(PaymentProvider):
    header = "Payment-Signature"

    def __init__(self, name: str, *, secrets=(), tolerance_seconds: int = 300, **options) -> None:
        super().__init__(name, **options)
        self.secrets = [s for s in ([secrets] if isinstance(secrets, str) else secrets) if s]
        self.tolerance_seconds = tolerance_seconds

    @property
    def enabled(self) -> bool:
        return bool(self.secrets)

    def sign(self, body: bytes, *, timestamp: int | None = None) -> str:
        """The header value the provider would send (for tooling and the docs' examples)."""
        t = int(time.time()) if timestamp is None else timestamp
        return f"t={t},v1={signature(self.secrets[0], t, body)}"

    def parse(self, *, headers: Mapping[str, str], body: bytes, now: float | None = None) -> PaymentNotification:
        self._verify(headers.get(self.header, ""), body, time.time() if now is None else now)
        try:
            event = json.loads(body)
            obj = event["data"]["object"]
            event_id, kind = event["id"], event["type"]
            if not (isinstance(event_id, str) and 0 < len(event_id) <= 200 and isinstance(kind, str)):
                raise ValueError("id and type are strings")
            outcome = OUTCOMES.get(kind, Outcome.IGNORED)
            if outcome is Outcome.IGNORED:
                return PaymentNotification(
                    provider=self.name, event_id=event_id, outcome=outcome, topup_id=None, amount=None
                )
            amount, currency = obj["amount"], obj["currency"]
            if type(amount) is not int or not 0 < amount <= MAX_MINOR or not isinstance(currency, str):
                raise ValueError("amount is a positive integer of minor units, currency an ISO 4217 code")
            payment_id = obj.get("id", "")
            failure = obj.get("failure_message") or ""
            if not (isinstance(payment_id, str) and isinstance(failure, str)):
                raise ValueError("id and failure_message are strings")
            return PaymentNotification(
                provider=self.name,
                event_id=event_id,
                outcome=outcome,
                topup_id=uuid.UUID(str(obj["reference"])),
                amount=Money(amount, currency.upper()),
                payment_reference=payment_id[:200],
                failure_reason=failure[:250],
            )
        except (ValueError, KeyError, TypeError, RecursionError, AttributeError, ValidationFailed) as exc:
            raise NotificationMalformed(f"the notification is not one this endpoint understands: {exc}"[:300]) from None

    def _verify(self, header: str, body: bytes, now: float) -> None:
        timestamp, candidates = None, []
        for part in header.split(","):
            key, _, value = part.strip().partition("=")
            if key == "t" and UNIX_TIME.fullmatch(value):
                timestamp = int(value)
            elif key == "v1" and HEX_SHA256.fullmatch(value):
                candidates.append(value)
        if timestamp is None or not candidates:
            raise NotificationMalformed(f"the {self.header} header must look like t=<unix time>,v1=<hex signature>")
        if abs(now - timestamp) > self.tolerance_seconds:
            raise SignatureInvalid(
                f"the signature's timestamp is more than {self.tolerance_seconds}s from our clock (a replay?)"
            )
        expected = [signature(secret, timestamp, body) for secret in self.secrets]
        if not any(hmac.compare_digest(e, c) for e in expected for c in candidates):
            raise SignatureInvalid("the signature does not match the body and the shared secret")

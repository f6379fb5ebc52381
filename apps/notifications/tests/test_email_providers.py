"""The production backend is a setting: django-anymail's Postmark backend against a local HTTP server that answers
as Postmark's email API does. The adapter reports the provider's message id, and maps its refusals: a 422 (an
address it will not send to) is permanent, a 500 or 429 transient."""

import json

import pytest

from apps.notifications.contracts import DeliveryStatus
from apps.notifications.services import deliveries
from apps.notifications.tests.support import make_delivery
from logitrack.testing.http import Answer, LocalServer, Received

pytestmark = pytest.mark.django_db
INACTIVE = (
    "You tried to send to a recipient that has been marked as inactive.\n Found inactive addresses: ana@example.test.\n"
    " Inactive recipients are ones that have generated a hard bounce or a spam complaint. "
)


class FakePostmark:
    """Postmark's email API on a local server: records each request, answers the scripted replies, else accepts."""

    def __init__(self) -> None:
        self.replies: list[tuple[int, dict]] = []
        self.server = LocalServer(self._reply).start()

    def _reply(self, seen: Received) -> Answer:
        status, reply = self.replies.pop(0) if self.replies else (200, _accepted(json.loads(seen.body)))
        return Answer(status, json.dumps(reply).encode(), headers={"Content-Type": "application/json"})

    @property
    def requests(self) -> list[tuple[str, dict, dict]]:
        return [(r.path, r.headers, json.loads(r.body)) for r in self.server.received]

    @property
    def url(self) -> str:
        return f"{self.server.base_url}/"


def _accepted(body):
    return {
        "To": body["To"],
        "SubmittedAt": "2026-12-06T08:00:00Z",
        "MessageID": "pm-0001",
        "ErrorCode": 0,
        "Message": "OK",
    }


@pytest.fixture
def postmark(settings):
    fake = FakePostmark()
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {"POSTMARK_SERVER_TOKEN": "server-token-123", "POSTMARK_API_URL": fake.url}
    settings.NOTIFICATIONS_FROM_EMAIL = "messages@logitrack.test"
    yield fake
    fake.server.close()


def test_postmark_accepts_and_its_message_id_is_kept(postmark):
    delivery = make_delivery(
        address="ana@example.test",
        subject="Ihre Buchung ist bestätigt",
        text="Text",
        html="<p>HTML</p>",
        sender_name="Alpha Logistics",
    )
    assert deliveries.delivery_send(delivery_id=delivery.id) == "sent"
    [(path, headers, body)] = postmark.requests
    assert path == "/email" and headers["X-Postmark-Server-Token"] == "server-token-123"
    assert body["From"] == "Alpha Logistics <messages@logitrack.test>"
    assert (body["To"], body["Subject"], body["TextBody"], body["HtmlBody"]) == (
        "ana@example.test",
        "Ihre Buchung ist bestätigt",
        "Text",
        "<p>HTML</p>",
    )
    delivery.refresh_from_db()
    assert (delivery.status, delivery.provider, delivery.provider_id) == (DeliveryStatus.SENT, "postmark", "pm-0001")


@pytest.mark.parametrize(
    ("status", "reply", "outcome"),
    [
        (422, {"ErrorCode": 300, "Message": "Invalid 'To' address: 'ana@example.test'."}, "permanent"),
        (
            422,
            {
                "ErrorCode": 406,
                "Message": INACTIVE,
            },
            "permanent",
        ),
        (500, {"ErrorCode": 0, "Message": "Internal server error"}, "transient"),
        (429, {"ErrorCode": 0, "Message": "Rate limit exceeded"}, "transient"),
    ],
)
def test_postmark_refusals_map_to_permanent_or_transient(postmark, status, reply, outcome):
    postmark.replies = [(status, reply)]
    delivery = make_delivery()
    assert deliveries.delivery_send(delivery_id=delivery.id) == outcome
    delivery.refresh_from_db()
    assert delivery.status == (DeliveryStatus.DEAD if outcome == "permanent" else DeliveryStatus.PENDING)
    assert delivery.attempt_log.get().status_code == (None if status == 422 else status)

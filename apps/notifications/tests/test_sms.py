"""The SMS channel against a local server speaking Twilio's Messages API: the request on the wire (path with the
account, Basic auth, form body), and what each answer means for the delivery (sent, Permanent, Transient)."""

import base64
import io
import re
import socket
import time
from urllib.parse import parse_qs

import pytest

from apps.notifications.channels.base import Outgoing, Permanent, Transient
from apps.notifications.channels.sms import ConsoleSms, TwilioSms
from apps.notifications.tests.channel_fakes import FakeHttpServer

ACCOUNT = "AC0123456789abcdef0123456789abcdef"
TOKEN = "s3cret-token"
SID = "SM9f3c1c2d4e5f60718293a4b5c6d7e8f9"


@pytest.fixture
def twilio(settings):
    fake = FakeHttpServer()
    settings.NOTIFICATIONS_TWILIO_BASE_URL = fake.url
    settings.NOTIFICATIONS_TWILIO_ACCOUNT_SID = ACCOUNT
    settings.NOTIFICATIONS_TWILIO_AUTH_TOKEN = TOKEN
    settings.NOTIFICATIONS_TWILIO_FROM = "+4930123456"
    settings.NOTIFICATIONS_TWILIO_MESSAGING_SERVICE_SID = ""
    settings.NOTIFICATIONS_SMS_TIMEOUT_SECONDS = 1
    yield fake
    fake.stop()


def message(**extra) -> Outgoing:
    return Outgoing(to="+4915112345678", text="Your parcel arrives at 14:35 – Müller & Co.", **extra)


def test_a_message_is_posted_in_twilios_shape_and_its_sid_returned(twilio):
    twilio.answer(201, {"sid": SID, "status": "queued", "to": "+4915112345678"})

    assert TwilioSms().send(message()) == SID

    [request] = twilio.requests
    assert (request.method, request.path) == ("POST", f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json")
    assert request.headers["authorization"] == "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(request.body.decode(), strict_parsing=True) == {
        "To": ["+4915112345678"],
        "Body": ["Your parcel arrives at 14:35 – Müller & Co."],
        "From": ["+4930123456"],
    }
    assert b"Body=Your+parcel+arrives+at+14%3A35+%E2%80%93+M%C3%BCller+%26+Co." in request.body  # UTF-8, escaped


def test_a_messaging_service_replaces_from(twilio, settings):
    settings.NOTIFICATIONS_TWILIO_MESSAGING_SERVICE_SID = "MG0123456789abcdef0123456789abcdef"
    twilio.answer(201, {"sid": SID})
    TwilioSms().send(message())
    form = parse_qs(twilio.requests[0].body.decode())
    assert form["MessagingServiceSid"] == ["MG0123456789abcdef0123456789abcdef"] and "From" not in form


def test_an_overlong_text_is_cut_to_twilios_limit(twilio):
    twilio.answer(201, {"sid": SID})
    TwilioSms().send(Outgoing(to="+4915112345678", text="x" * 5000))
    body = parse_qs(twilio.requests[0].body.decode())["Body"][0]
    assert len(body) == 1600 and body.endswith("…")


@pytest.mark.parametrize(
    ("code", "text"),
    [
        (21211, "The 'To' number +49151 is not a valid phone number."),
        (21610, "Attempt to send to unsubscribed recipient"),
    ],
)
def test_a_refused_recipient_is_permanent_with_twilios_code(twilio, code, text):
    twilio.answer(400, {"code": code, "message": text, "more_info": f"https://www.twilio.com/docs/errors/{code}"})
    with pytest.raises(Permanent) as refused:
        TwilioSms().send(message())
    assert refused.value.status == 400
    assert f"error {code}" in refused.value.reason and text in refused.value.reason
    assert str(code) in refused.value.body


@pytest.mark.parametrize("status", [401, 403])
def test_bad_credentials_are_permanent_and_logged_loudly(twilio, status, caplog):
    twilio.answer(status, {"code": 20003, "message": "Authenticate"})
    with pytest.raises(Permanent) as refused, caplog.at_level("ERROR"):
        TwilioSms().send(message())
    assert refused.value.status == status and "NOTIFICATIONS_TWILIO_AUTH_TOKEN" in refused.value.reason
    assert "notifications.sms_auth_refused" in caplog.text


@pytest.mark.parametrize("status", [429, 500, 503])
def test_throttling_and_server_errors_are_transient(twilio, status):
    twilio.answer(status, {"code": 20429, "message": "Too Many Requests"} if status == 429 else b"upstream down")
    with pytest.raises(Transient) as later:
        TwilioSms().send(message())
    assert later.value.status == status


def test_a_provider_that_hangs_times_out_as_transient(twilio):
    twilio.hang()
    started = time.monotonic()
    with pytest.raises(Transient, match="timed out"):
        TwilioSms().send(message())
    assert time.monotonic() - started < 3  # bounded by NOTIFICATIONS_SMS_TIMEOUT_SECONDS (1 s here)


def test_an_unreachable_provider_is_transient(twilio, settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again at once: nothing listens there
    settings.NOTIFICATIONS_TWILIO_BASE_URL = f"http://127.0.0.1:{port}"
    with pytest.raises(Transient, match="unreachable"):
        TwilioSms().send(message())


def test_a_missing_configuration_is_permanent_without_a_request(twilio, settings):
    settings.NOTIFICATIONS_TWILIO_AUTH_TOKEN = ""
    with pytest.raises(Permanent, match="not configured"):
        TwilioSms().send(message())
    assert twilio.requests == []


def test_the_console_adapter_prints_the_message_and_returns_an_id():
    out = io.StringIO()
    sid = ConsoleSms(stream=out).send(message(sender_name="Alpha Logistics"))
    assert re.fullmatch(r"console-[0-9a-f]{32}", sid)
    assert out.getvalue() == (
        f"--- SMS {sid}\nFrom: Alpha Logistics\nTo: +4915112345678\n\n"
        "Your parcel arrives at 14:35 – Müller & Co.\n---\n"
    )
    assert ConsoleSms(stream=out).send(message()) != sid  # a fresh id per message


def test_the_console_adapter_writes_to_stdout_by_default(capsys):
    ConsoleSms().send(message())
    assert "To: +4915112345678" in capsys.readouterr().out


def test_adapters_are_built_from_settings_alone():
    for adapter in (TwilioSms(), ConsoleSms()):
        assert adapter.channel == "sms" and adapter.name in ("twilio", "console")

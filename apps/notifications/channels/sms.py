"""SMS: Twilio's Messages API (`TwilioSms`) and a console adapter for development (`ConsoleSms`).

Twilio: `POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json`, form-encoded `To`, `From` (or
`MessagingServiceSid`), `Body`, HTTP Basic auth `AccountSid:AuthToken`; the answer's JSON `sid` is the provider id.
Another provider is another class with the same `send` (`base.Adapter`), named in NOTIFICATIONS_ADAPTERS["sms"].

Twilio takes no idempotency key on message creation: a timeout after Twilio accepted the message is reported as
Transient, and the retry may send the text twice. That is the lesser evil for a notification.
"""

from __future__ import annotations

import sys
import uuid
from typing import TextIO

import requests
import structlog
from django.conf import settings

from apps.notifications.channels.base import Outgoing, Permanent, Transient
from apps.notifications.contracts import Channel

log = structlog.get_logger(__name__)

MAX_BODY = 1600  # Twilio refuses longer bodies (error 21617); a template that long is cut, not dead-lettered


def _masked(number: str) -> str:
    """A phone number for the log: enough to tell two apart, not enough to call."""
    return f"…{number[-3:]}" if len(number) > 3 else "…"


def _body(message: Outgoing) -> str:
    text = message.text.strip()
    return text if len(text) <= MAX_BODY else text[: MAX_BODY - 1] + "…"


class TwilioSms:
    channel = Channel.SMS
    name = "twilio"

    def __init__(self) -> None:
        self.base_url = settings.NOTIFICATIONS_TWILIO_BASE_URL.rstrip("/")
        self.account_sid = settings.NOTIFICATIONS_TWILIO_ACCOUNT_SID
        self.auth_token = settings.NOTIFICATIONS_TWILIO_AUTH_TOKEN
        self.sender = settings.NOTIFICATIONS_TWILIO_FROM
        self.messaging_service_sid = settings.NOTIFICATIONS_TWILIO_MESSAGING_SERVICE_SID
        read = float(settings.NOTIFICATIONS_SMS_TIMEOUT_SECONDS)
        self.timeout = (min(5.0, read), read)  # (connect, read): a provider that hangs never holds a worker long
        self.session = requests.Session()

    def send(self, message: Outgoing) -> str:
        if not (self.account_sid and self.auth_token and (self.sender or self.messaging_service_sid)):
            log.error("notifications.sms_not_configured", provider=self.name)
            raise Permanent("twilio is not configured (NOTIFICATIONS_TWILIO_ACCOUNT_SID, _AUTH_TOKEN, _FROM)")
        form = {"To": message.to, "Body": _body(message)}
        if self.messaging_service_sid:  # Twilio picks the sender from the service's pool
            form["MessagingServiceSid"] = self.messaging_service_sid
        else:
            form["From"] = self.sender
        url = f"{self.base_url}/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        try:
            response = self.session.post(
                url,
                data=form,
                auth=(self.account_sid, self.auth_token),
                headers={"Accept": "application/json"},
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.Timeout as exc:
            raise Transient(f"twilio timed out ({type(exc).__name__})") from exc
        except requests.RequestException as exc:
            raise Transient(f"twilio unreachable ({type(exc).__name__})") from exc
        return self._outcome(response, to=message.to)

    def _outcome(self, response: requests.Response, *, to: str) -> str:
        status, text = response.status_code, response.text
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if not isinstance(answer, dict):
            answer = {}
        if 200 <= status < 300:
            sid = str(answer.get("sid") or "")
            log.info("notifications.sms_sent", provider=self.name, to=_masked(to), sid=sid)
            return sid  # accepted; an answer without a sid is still a sent message, never one to send again
        code, detail = answer.get("code"), answer.get("message") or response.reason
        reason = f"twilio {status}" + (f" error {code}" if code else "") + f": {detail}"
        if status in (401, 403):
            log.error("notifications.sms_auth_refused", provider=self.name, status=status, code=code, detail=detail)
            hint = " (check NOTIFICATIONS_TWILIO_ACCOUNT_SID and NOTIFICATIONS_TWILIO_AUTH_TOKEN)"
            raise Permanent(reason + hint, status=status, body=text)
        if status in (408, 429) or status >= 500:
            raise Transient(reason, status=status, body=text)
        # 400 (21211 invalid 'To', 21610 the recipient replied STOP, 21614 not a mobile number…), 404, redirects
        log.warning("notifications.sms_refused", provider=self.name, to=_masked(to), status=status, code=code)
        raise Permanent(reason, status=status, body=text)


class ConsoleSms:
    """Development: the message goes to stdout (and the log) instead of a phone; nothing leaves the machine."""

    channel = Channel.SMS
    name = "console"

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def send(self, message: Outgoing) -> str:
        sid = f"console-{uuid.uuid4().hex}"
        sender = message.sender_name or settings.NOTIFICATIONS_TWILIO_FROM or "LogiTrack"
        stream = self.stream or sys.stdout  # looked up per send: test runners swap sys.stdout
        stream.write(f"--- SMS {sid}\nFrom: {sender}\nTo: {message.to}\n\n{_body(message)}\n---\n")
        stream.flush()
        log.info("notifications.sms_console", to=_masked(message.to), sid=sid)
        return sid

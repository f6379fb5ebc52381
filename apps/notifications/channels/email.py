"""Email through Django's email API: the backend is EMAIL_BACKEND (SMTP, or a provider through django-anymail),
so this adapter never knows which one. HTML + text, attachments, our headers, the fleet's name as the sender.

Outcomes: a recipient refused or any 5xx reply is Permanent (the mailbox does not exist, the message is rejected);
a 4xx reply (greylisting, a full queue), a refused connection, a timeout or a dropped connection is Transient."""

from __future__ import annotations

import hashlib
import re
import smtplib
from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from apps.notifications.channels.base import Outgoing, Permanent, Transient
from apps.notifications.contracts import Channel


class EmailAdapter:
    channel = Channel.EMAIL
    name = "email"

    def __init__(self, *, keep_open: bool = False) -> None:
        """`keep_open`: one connection for every message this adapter sends (a sweep's batch), closed by `close()`;
        after any failure it is dropped and the next message opens a fresh one."""
        backend = str(settings.EMAIL_BACKEND)
        self.name = "smtp" if backend.endswith("smtp.EmailBackend") else backend.split(".")[-2][:40]
        self.keep_open = keep_open
        self._connection: Any = None

    def _open(self) -> Any:
        if not self.keep_open:
            return get_connection(fail_silently=False)
        if self._connection is None:
            self._connection = get_connection(fail_silently=False)
            self._connection.open()
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            except Exception:  # closing a connection the server already dropped
                pass
            self._connection = None

    def send(self, message: Outgoing) -> str:
        _, from_address = parseaddr(settings.NOTIFICATIONS_FROM_EMAIL or settings.DEFAULT_FROM_EMAIL)
        # a name or subject typed with a line break would be refused as a header (BadHeaderError) on every retry
        name, subject = _one_line(message.sender_name), _one_line(message.subject)
        sender = formataddr((name, from_address)) if name else from_address
        # the same delivery always carries the same Message-ID, so a receiver can tell a resend from a new mail
        domain = from_address.rsplit("@", 1)[-1] or "logitrack.local"
        message_id = f"<{hashlib.sha256(message.key.encode()).hexdigest()[:32]}@{domain}>" if message.key else ""
        headers = dict(message.headers)
        if message_id:
            headers["Message-ID"] = message_id
        mail = EmailMultiAlternatives(
            subject=subject,
            body=message.text,
            from_email=sender,
            to=[message.to],
            headers=headers,
            connection=self._open(),
        )
        if message.html:
            mail.attach_alternative(message.html, "text/html")
        for attachment in message.attachments:
            mail.attach(attachment.filename, attachment.content, attachment.content_type)
        try:
            sent = mail.send()
        except Exception as exc:
            self.close()  # a kept connection may be in any state now
            _raise_provider_error(exc)  # anymail's errors first: its HTTP errors are OSErrors too
            _raise_smtp_error(exc)
            raise
        if not sent:
            raise Transient("the email backend sent nothing")
        status = getattr(mail, "anymail_status", None)
        if status is not None and status.status and status.status <= {"rejected", "invalid"}:
            raise Permanent(f"the provider refused the recipient ({', '.join(sorted(status.status))})")
        return _provider_id(mail) or message_id


def _raise_smtp_error(exc: Exception) -> None:
    """SMTP's outcomes: a refused recipient or a 5xx is Permanent; a 4xx, a refused or dropped connection, a timeout
    is Transient. Anything else is left to the caller (raised as it is)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, reply = next(iter(exc.recipients.values()), (550, b""))
        raise _by_code(code, _text(reply) or "recipient refused") from exc
    if isinstance(exc, smtplib.SMTPResponseException):  # SMTPDataError, SMTPSenderRefused, SMTPConnectError
        raise _by_code(exc.smtp_code, _text(exc.smtp_error)) from exc
    if isinstance(exc, smtplib.SMTPServerDisconnected | OSError):  # refused, reset, timed out
        raise Transient(f"mail server unreachable: {exc!r}"[:500]) from exc
    if isinstance(exc, smtplib.SMTPException):
        raise Transient(f"SMTP error: {exc!r}"[:500]) from exc


def _by_code(code: int, reply: str) -> Transient | Permanent:
    cls = Permanent if 500 <= int(code) < 600 else Transient
    return cls(f"{code} {reply}".strip()[:500], status=int(code), body=reply)


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


def _provider_id(mail: EmailMultiAlternatives) -> str:
    """The provider's message id when the backend is an anymail one (it records it on the message)."""
    status = getattr(mail, "anymail_status", None)
    return str(getattr(status, "message_id", "") or "") if status is not None else ""


def _raise_provider_error(exc: Exception) -> None:
    """django-anymail's errors: a refused recipient or a 4xx other than 429 is Permanent, the rest Transient."""
    try:
        from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - anymail is installed
        return
    if isinstance(exc, AnymailRecipientsRefused):
        raise Permanent(str(exc)[:500]) from exc
    if isinstance(exc, AnymailAPIError):
        status = getattr(exc, "status_code", None)
        if status is not None and 400 <= status < 500 and status != 429:
            raise Permanent(str(exc)[:500], status=status) from exc
        raise Transient(str(exc)[:500], status=status) from exc


def _one_line(value: str) -> str:
    # line breaks only: a no-break space in "123,45 €" must stay as Babel wrote it
    return re.sub(r"\s*[\r\n]+\s*", " ", value).strip()

"""A real SMTP server on 127.0.0.1 (aiosmtpd), for tests of what is mailed: Django's SMTP backend talks to it, and
the test reads the bytes it received. Any test may use the `smtp` fixture (import it into a conftest)."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
import time
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _peer_gone(server) -> bool:
    """Whether the client's end of this connection is closed: the kernel has it before the loop reads the EOF."""
    transport = getattr(server, "transport", None)
    if transport is None or transport.is_closing():
        return True
    sock = transport.get_extra_info("socket")
    if sock is None:
        return False
    probe = socket.socket(fileno=socket.dup(sock.fileno()))
    try:
        return probe.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:  # open, nothing to read: the client waits for the answer
        return False
    except OSError:  # reset
        return True
    finally:
        probe.close()


class Mailbox:
    """What the server received, and what it answers next: `data_replies` are popped one per DATA command
    ("451 ..." refuses that message, then the next), `refuse` holds addresses RCPT TO answers 550 for."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []
        self.data_replies: list[str] = []
        self.refuse: set[str] = set()
        self.lock = threading.Lock()
        self.holding = False  # while set, a message's DATA gets no answer (a slow server; the client waits)
        self.held = 0  # messages that waited so
        self.received_at: list[float] = []  # time.time() of each accepted message
        self.peers: list[object] = []  # the client's (host, port) of each accepted message: one per connection
        self.port = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.holding:
            self.held += 1
            while self.holding:  # a client that dies meanwhile cancels this: its message is never accepted
                await asyncio.sleep(0.05)
            if _peer_gone(server):  # it died just now and the loop has not noticed yet: still never accepted
                return "421 4.4.2 the client went away"
        with self.lock:
            reply = self.data_replies.pop(0) if self.data_replies else "250 OK"
            if reply.startswith("250"):
                self.received.append((envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content)))
                self.received_at.append(time.time())
                self.peers.append(session.peer)
        return reply

    def messages(self) -> list[EmailMessage]:
        return [email.message_from_bytes(raw, policy=email.policy.default) for _, _, raw in self.received]  # type: ignore[misc]


def serve() -> tuple[Mailbox, Controller]:
    """A started server on a free port (`mailbox.port`); stop it with `controller.stop()`."""
    mailbox = Mailbox()
    port = _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    mailbox.port = port
    return mailbox, controller


@pytest.fixture
def smtp(settings):
    mailbox, controller = serve()
    port = mailbox.port
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.NOTIFICATIONS_FROM_EMAIL = "LogiTrack <messages@logitrack.test>"
    settings.PUBLIC_BASE_URL = "https://track.example.test"
    try:
        yield mailbox
    finally:
        controller.stop()

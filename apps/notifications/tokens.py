"""The signed token of a one-click unsubscribe link: whose preferences and which channel. Signed with the secret
key (SECRET_KEY_FALLBACKS keep old links working through a rotation); it does not expire, as links in old mails
must keep working. It only ever turns a channel off, so a leaked link can do no more than that."""

from __future__ import annotations

import uuid

from django.core import signing

SALT = "logitrack.notifications.unsubscribe"


class BadToken(Exception):
    pass


def unsubscribe_token(*, user_id: uuid.UUID, channel: str, fleet_id: uuid.UUID | None = None) -> str:
    """`fleet_id`: whose name the page shows (the fleet that sent the message)."""
    data = {"u": str(user_id), "c": str(channel), "f": str(fleet_id) if fleet_id else ""}
    return signing.dumps(data, salt=SALT, compress=True)


def unsubscribe_read(token: str) -> tuple[uuid.UUID, str, uuid.UUID | None]:
    try:
        data = signing.loads(token, salt=SALT)
        return uuid.UUID(data["u"]), str(data["c"]), uuid.UUID(data["f"]) if data.get("f") else None
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise BadToken("this unsubscribe link is not valid") from exc

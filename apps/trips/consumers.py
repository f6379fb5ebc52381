"""The tracking page's live feed (`/ws/track/<token>/`): no login, the token is the key.

The token is checked before the connection is accepted (logitrack.realtime's convention: a refused connection is
accepted and closed at once with its code, so a browser can tell why): 4404 for a token nobody was given, 4410 for
a link that has expired (also sent when it expires while the page is open). An accepted socket joins its trip's
group (feed.trip_group) and gets `{"type": "tracking", "tracking": {...}}` — the JSON of
`/api/v1/trips/track/<token>/` — at once and after every change that alters it; `{"type": "resync"}` asks again.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from channels.db import database_sync_to_async
from django.utils import timezone
from rest_framework.utils.encoders import JSONEncoder  # datetimes as the REST API writes them

from apps.trips import feed, selectors
from logitrack.exceptions import NotFound
from logitrack.realtime import CLOSE_NOT_FOUND, AuthenticatedJsonConsumer, Message

CLOSE_EXPIRED = 4410


def _link(token: str):
    link = selectors.tracking_link(token=token)
    return (link.trip_id, link.expires_at) if link is not None else None


def _tracking(token: str) -> dict | None:
    """The page's JSON while the link is valid, else None."""
    try:
        return selectors.tracking_page(token=token)
    except NotFound:
        return None


class TrackingConsumer(AuthenticatedJsonConsumer):
    metrics_kind = "tracking"
    token: str
    sent = ""  # the last state sent, encoded: a change that alters nothing this link sees is not sent

    async def websocket_connect(self, message: Message) -> None:
        self.token = str(self.scope["url_route"]["kwargs"]["token"])
        found = await database_sync_to_async(_link)(self.token)
        if found is None:
            await self._refuse(CLOSE_NOT_FOUND)
            return
        trip_id, expires_at = found
        left = (expires_at - timezone.now()).total_seconds()
        if left <= 0:
            await self._refuse(CLOSE_EXPIRED)
            return
        self.group = feed.trip_group(trip_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        self.count_open()
        self._expiry = asyncio.get_running_loop().call_later(left, lambda: asyncio.ensure_future(self._expired()))
        await self.push(force=True)

    async def _expired(self) -> None:
        await self.close(code=CLOSE_EXPIRED)

    async def push(self, *, force: bool = False) -> None:
        tracking = await database_sync_to_async(_tracking)(self.token)
        if tracking is None:  # expired or erased meanwhile
            await self.close(code=CLOSE_EXPIRED)
            return
        text = json.dumps({"type": "tracking", "tracking": tracking}, cls=JSONEncoder)
        if force or text != self.sent:
            self.sent = text
            await self.send(text_data=text)

    async def tracking_changed(self, event: dict[str, Any]) -> None:
        await self.push()

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "resync":
            await self.push(force=True)
        else:
            await self.send_json(
                {"type": "error", "code": "trips.unknown_message", "message": "pages only send {'type': 'resync'}"}
            )

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

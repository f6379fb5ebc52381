"""Public in-process API of the dispatch context: keyword-only functions, contracts in and out.

Only other apps' `integrations.py` (and `config`) may import this module.
"""

from __future__ import annotations

import uuid

from apps.dispatch import selectors


def drivers_connected(*, driver_ids: list[uuid.UUID]) -> frozenset[uuid.UUID]:
    """Which of these drivers have the driver app's websocket (/ws/driver/) open right now: offers and assignments
    reach them there, so a notifier pushes only to the others. A socket counts while its app sends a message (a
    ping or a heartbeat) at least every DISPATCH_PRESENCE_TTL_SECONDS; one left by a crashed process lapses then.
    Unknown ids are simply not connected. One Redis round trip for the whole list."""
    return selectors.drivers_connected(driver_ids=list(driver_ids))

import dataclasses
import uuid

from logitrack.events import IntegrationEvent


@dataclasses.dataclass(frozen=True, kw_only=True)
class PingSentV1(IntegrationEvent):
    TYPE = "logitrack.ping.ping.sent.v1"

    ping_id: uuid.UUID
    label: str

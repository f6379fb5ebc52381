from django.db import DEFAULT_DB_ALIAS, transaction

from logitrack.outbox.api import publish
from tests.support.ping.events import PingSentV1
from tests.support.ping.models import Ping


class Abort(Exception):
    pass


@transaction.atomic(using=DEFAULT_DB_ALIAS)  # the tests' ping is no context's: its rows are default's
def ping_send(*, label: str, fail_after_publish: bool = False) -> Ping:
    """Write a row and publish its event in one transaction; optionally fail afterwards to roll both back."""
    ping = Ping.objects.create(label=label)
    publish(PingSentV1(ping_id=ping.id, label=label))
    if fail_after_publish:
        raise Abort(label)
    return ping

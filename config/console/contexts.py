"""The console's calls into contexts that may run as their own service (only billing so far): the same api, in this
process or over HTTP as BILLING_API_MODE says (logitrack.remote). When billing is away the overview still opens and
its revenue and payout cards say billing cannot be reached; a report that needs billing's money answers 503
`billing.unavailable` with Retry-After (a page that reloads itself, logitrack.http.middleware). Money is never
guessed."""

from __future__ import annotations

from apps.billing import contracts as billing_contracts
from logitrack import remote


def _billing_inprocess():
    from apps.billing import api

    return api


billing_api = remote.ContextApi(billing_contracts.REMOTE, inprocess=_billing_inprocess)

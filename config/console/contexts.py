"""The console's calls into contexts that may run as their own service (only billing so far): the same api, in this
process or over HTTP as BILLING_API_MODE says (logitrack.remote). When billing is away the page answers 503
`billing.unavailable` with Retry-After (logitrack.http.middleware): revenue figures are not guessed."""

from __future__ import annotations

from apps.billing import contracts as billing_contracts
from logitrack import remote


def _billing_inprocess():
    from apps.billing import api

    return api


billing_api = remote.ContextApi(billing_contracts.REMOTE, inprocess=_billing_inprocess)

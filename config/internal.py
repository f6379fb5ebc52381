"""Which contexts this deployment serves to other processes (logitrack.http.internal): each context's published
interface (`REMOTE` in its contracts) with its api module, at `/internal/<service>/<call>/`. Billing for the
platform's contexts when billing runs apart; fleet, partner and identity for billing's own processes. A process
answers only for the contexts whose `<SERVICE>_SERVICE_TOKENS` it has (docs/production.md, "Billing as its own
service"). The api modules are imported when first served, as a ContextApi's in-process loader does."""

from __future__ import annotations

from types import ModuleType

from django.urls import path

from apps.billing import contracts as billing_contracts
from apps.fleet import contracts as fleet_contracts
from apps.identity import contracts as identity_contracts
from apps.partner import contracts as partner_contracts
from logitrack import remote
from logitrack.http.internal import InternalCallApi


def _billing() -> ModuleType:
    from apps.billing import api

    return api


def _fleet() -> ModuleType:
    from apps.fleet import api

    return api


def _partner() -> ModuleType:
    from apps.partner import api

    return api


def _identity() -> ModuleType:
    from apps.identity import api

    return api


SERVED = {
    api.interface.service: api
    for api in (
        remote.ContextApi(billing_contracts.REMOTE, inprocess=_billing),
        remote.ContextApi(fleet_contracts.REMOTE, inprocess=_fleet),
        remote.ContextApi(partner_contracts.REMOTE, inprocess=_partner),
        remote.ContextApi(identity_contracts.REMOTE, inprocess=_identity),
    )
}

app_name = "internal"
urlpatterns = [
    path("<slug:service>/<slug:call>/", InternalCallApi.as_view(served=SERVED), name="call"),
]

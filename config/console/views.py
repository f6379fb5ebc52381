"""The overview page: parse `?fleet=<id>|all&days=7|30`, scope it to the fleets the user may see, render.

A fleet the user may not see (or that does not exist) is a 404, as everywhere in the admin; a parameter that is not
a fleet id or a period offered is a 400 page saying which; never a 500."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import structlog
from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, QueryDict
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from apps.fleet import api as fleet_api
from apps.fleet.contracts import FleetRef
from config.console import overview as figures
from logitrack import hosting
from logitrack.admin import managed_fleets

if TYPE_CHECKING:
    from django.contrib.admin import AdminSite

ALL = "all"
log = structlog.get_logger(__name__)


class BadParameter(ValueError):
    pass


def overview(site: AdminSite, request: HttpRequest) -> TemplateResponse:
    request.current_app = site.name
    fleets = fleets_in_scope(request)
    shared = site.each_context(request)
    context: dict[str, Any] = {
        **shared,
        "title": "Overview",
        "app_list": shared["available_apps"],  # the sidebar's list, built once (a query and a walk of every model)
        "choices": fleets,
        "periods": figures.PERIODS,
    }
    try:
        chosen, days = parse(request.GET, {f.id: f for f in fleets})
    except BadParameter as exc:
        return TemplateResponse(request, "console/bad_request.html", {**context, "problem": str(exc)}, status=400)
    shown = [chosen] if chosen is not None else fleets
    context.update(
        fleet=chosen,
        fleet_param=str(chosen.id) if chosen is not None else ALL,
        days=days,
        scope_name=chosen.name if chosen is not None else ("All my fleets" if len(fleets) != 1 else fleets[0].name),
    )
    if shown:
        context["overview"] = overview_figures(shown, days, links_for(request, site))
    return TemplateResponse(request, "console/overview.html", context)


def overview_figures(fleets: Sequence[FleetRef], days: int, links: figures.Links) -> dict[str, Any]:
    """The page's figures, kept CONSOLE_OVERVIEW_CACHE_SECONDS (30) per fleets, period, day and which pages the
    user may open: a dashboard a few seconds behind, not its whole assembly (a dozen queries, names, money) again
    for every manager's every load. 0 builds them every time; an unreachable cache is not an error."""
    now = timezone.now()
    seconds = settings.CONSOLE_OVERVIEW_CACHE_SECONDS
    if seconds <= 0:
        return figures.build(fleets=fleets, days=days, now=now, links=links)
    opens = [kind for kind in ("trip", "kyc_document", "vehicle_document", "payout") if getattr(links, kind)]
    scope = repr((list(fleets), days, figures.today_of(fleets, now).isoformat(), opens))
    key = "console:overview:v1:" + hashlib.sha256(scope.encode()).hexdigest()
    try:
        found = cache.get(key)
    except Exception as exc:  # the cache is an optimisation: never fail the page over it
        log.warning("console.overview_cache_unavailable", error=str(exc))
        found = None
    if found is not None:
        return found
    built = figures.build(fleets=fleets, days=days, now=now, links=links)
    try:
        cache.set(key, built, seconds)
    except Exception as exc:
        log.warning("console.overview_cache_unavailable", error=str(exc))
    return built


def fleets_in_scope(request: HttpRequest) -> list[FleetRef]:
    """Every fleet for a platform admin; the fleets a fleet manager manages; none for anyone else."""
    managed = managed_fleets(request)
    ids = list(fleet_api.fleet_names()) if managed is None else sorted(managed, key=str)
    return fleet_api.fleets_get(fleet_ids=ids) if ids else []


def parse(params: QueryDict, allowed: dict[uuid.UUID, FleetRef]) -> tuple[FleetRef | None, int]:
    """(the fleet asked for, or None for all of the user's; the period in days)."""
    fleet_value, days_value = _one(params, "fleet"), _one(params, "days")
    days = 7
    if days_value is not None:
        if days_value not in {str(p) for p in figures.PERIODS}:
            raise BadParameter(f"days must be one of {', '.join(str(p) for p in figures.PERIODS)}")
        days = int(days_value)
    if fleet_value in (None, "", ALL):
        return None, days
    try:
        fleet_id = uuid.UUID(fleet_value)
    except ValueError:
        raise BadParameter("fleet must be one of your fleets, or 'all'") from None
    if fleet_id not in allowed:
        raise Http404("no such fleet")  # another fleet's id answers as one that exists nowhere
    return allowed[fleet_id], days


def _one(params: QueryDict, name: str) -> str | None:
    values = params.getlist(name)
    if len(values) > 1:
        raise BadParameter(f"{name} is given more than once")
    return values[0].strip() if values else None


def links_for(request: HttpRequest, site: AdminSite) -> figures.Links:
    """Links into the admin pages the user may open (a view permission; the pages scope the rows themselves)."""
    user = request.user

    def page(perm: str, route: str) -> Any:
        if not user.has_perm(perm) or not hosting.hosted(perm.split(".", 1)[0]):
            return None  # not theirs to see, or the context's pages are in its own service
        return lambda object_id: reverse(f"admin:{route}", args=[object_id], current_app=site.name)

    return figures.Links(
        trip=page("trips.view_trip", "trips_trip_change"),
        kyc_document=page("partner.view_kycdocument", "partner_kycdocument_change"),
        vehicle_document=page("fleet.view_vehicledocument", "fleet_vehicledocument_change"),
        payout=page("billing.view_payout", "billing_payout_change"),
    )

"""The reports page: `/admin/reports/?fleet=<id>&kind=drivers|vehicles|statement&first=&last=` (or `&month=YYYY-MM
&customer=<id>` for a statement) `&format=html|csv|pdf`.

Scoped as the overview: a fleet the user may not see (or that does not exist) is a 404, and so is a customer with
no trips in that fleet's month; a parameter that cannot be read is a 400 page saying which; never a 500."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any

from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.template.response import TemplateResponse
from django.utils import timezone

from apps.fleet.contracts import FleetRef
from config.console import reports
from config.console.views import fleets_in_scope
from logitrack.formatting import zone

if TYPE_CHECKING:
    from django.contrib.admin import AdminSite

FORMATS = ("html", "csv", "pdf")
PARAMS = ("fleet", "kind", "first", "last", "month", "customer", "format")


class BadParameter(ValueError):
    pass


def page(site: AdminSite, request: HttpRequest) -> HttpResponse:
    request.current_app = site.name
    fleets = fleets_in_scope(request)
    context: dict[str, Any] = {
        **site.each_context(request),
        "title": "Reports",
        "fleets": fleets,
        "kinds": reports.KINDS,
        "max_days": reports.MAX_DAYS,
    }
    if not fleets:
        return TemplateResponse(request, "console/reports.html", context)
    try:
        asked = _parse(request.GET, {f.id: f for f in fleets})
    except BadParameter as exc:
        return TemplateResponse(
            request, "console/report_bad_request.html", {**context, "problem": str(exc)}, status=400
        )
    fleet, kind, fmt = asked["fleet"], asked["kind"], asked["format"]
    context.update(asked, month_value=asked["month"].strftime("%Y-%m"))
    report = None
    if kind == reports.STATEMENT:
        customers = reports.customers_of_month(fleet=fleet, month=asked["month"])
        context["customers"] = customers
        customer_id = asked["customer"]
        if customer_id is not None:
            if customer_id not in customers:
                raise Http404("no such customer in this fleet's month")  # another fleet's customer: as nobody
            report = reports.statement(
                fleet=fleet, month=asked["month"], customer_id=customer_id, customer_name=customers[customer_id]
            )
    else:
        report = reports.by_day(kind=kind, fleet=fleet, first=asked["first"], last=asked["last"])
    if report is None:
        if fmt != "html":
            return _bad(request, context, "choose a customer to download their statement")
        return TemplateResponse(request, "console/reports.html", context)
    if fmt == "csv":
        return _download(reports.as_csv(report), "text/csv; charset=utf-8", f"{report.filename}.csv")
    if fmt == "pdf":
        try:
            pdf = reports.as_pdf(report, issued=timezone.now())
        except reports.ReportTooLarge as exc:
            return _bad(request, context, str(exc))
        return _download(pdf, "application/pdf", f"{report.filename}.pdf")
    query = request.GET.copy()
    query.pop("format", None)
    query.update({"fleet": str(fleet.id), "kind": kind})
    context.update(
        report=report,
        cells=reports.cells(report),
        total_cells=reports.total_cells(report),
        csv_url=f"?{query.urlencode()}&format=csv",
        pdf_url=f"?{query.urlencode()}&format=pdf",
    )
    return TemplateResponse(request, "console/reports.html", context)


def _bad(request: HttpRequest, context: dict[str, Any], problem: str) -> TemplateResponse:
    return TemplateResponse(request, "console/report_bad_request.html", {**context, "problem": problem}, status=400)


def _download(body: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _parse(params: QueryDict, allowed: dict[uuid.UUID, FleetRef]) -> dict[str, Any]:
    for name in PARAMS:
        if len(params.getlist(name)) > 1:
            raise BadParameter(f"{name} is given more than once")
    value = {name: (params.get(name) or "").strip() for name in PARAMS}
    if value["fleet"]:
        try:
            fleet_id = uuid.UUID(value["fleet"])
        except ValueError:
            raise BadParameter("fleet must be one of your fleets") from None
        if fleet_id not in allowed:
            raise Http404("no such fleet")  # another fleet's id answers as one that exists nowhere
        fleet = allowed[fleet_id]
    else:
        fleet = next(iter(allowed.values()))
    kind = value["kind"] or reports.DRIVERS
    if kind not in reports.KINDS:
        raise BadParameter(f"kind must be one of {', '.join(reports.KINDS)}")
    fmt = value["format"] or "html"
    if fmt not in FORMATS:
        raise BadParameter(f"format must be one of {', '.join(FORMATS)}")
    today = timezone.now().astimezone(zone(fleet.time_zone)).date()
    last = _date(value["last"], "last") if value["last"] else today
    first = _date(value["first"], "first") if value["first"] else last - dt.timedelta(days=6)
    if first > last:
        raise BadParameter("first must not be after last")
    if (last - first).days >= reports.MAX_DAYS:
        raise BadParameter(f"a period covers at most {reports.MAX_DAYS} days")
    if value["month"]:
        try:
            month = dt.datetime.strptime(value["month"], "%Y-%m").date()
        except ValueError:
            raise BadParameter("month must be written YYYY-MM") from None
        if not 2000 <= month.year <= 2100:
            raise BadParameter("month is out of range")
    else:
        month = today.replace(day=1)
    customer = None
    if value["customer"]:
        try:
            customer = uuid.UUID(value["customer"])
        except ValueError:
            raise BadParameter("customer must be one of the fleet's customers") from None
    return {
        "fleet": fleet,
        "kind": kind,
        "format": fmt,
        "first": first,
        "last": last,
        "month": month,
        "customer": customer,
    }


def _date(text: str, name: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise BadParameter(f"{name} must be a date written YYYY-MM-DD") from None
    if not dt.date(2000, 1, 1) <= day <= dt.date(2100, 12, 31):
        raise BadParameter(f"{name} is out of range")
    return day

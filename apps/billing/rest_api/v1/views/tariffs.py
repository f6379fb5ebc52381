"""Billing REST views — Tariffs (versions with their components) and tax rates, for integrators and back-office
apps: the rules of the admin's pages (services.tariffs, selectors.tariffs_managed / tax_rates_managed). Fleet
managers see and change their own fleets' rows only (another fleet's ids answer 404); platform admins every fleet's;
anyone else 403."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.billing import selectors
from apps.billing.rest_api.v1.filters import TariffFilter, TaxRateFilter
from apps.billing.rest_api.v1.serializers.tariffs import (
    TariffCreateInput,
    TariffOutput,
    TariffRetireInput,
    TariffVersionInput,
    TaxRateInput,
    TaxRateOutput,
    TaxRateUpdateInput,
)
from apps.billing.services import tariffs
from logitrack.http.filters import FilteredList
from logitrack.http.params import paginated
from logitrack.http.principal import HasRole, require_fleet, require_principal
from logitrack.http.schema import problems
from logitrack.idempotency.drf import idempotent
from logitrack.principal import Role

MANAGERS = [HasRole.of(Role.FLEET_MANAGER)]
INVALID = {"400": "invalid figures (`billing.invalid`, `errors` names each field), or a tax rate of another fleet"}


def _one(tariff_id, request):
    """A tariff re-read with its components (after a write)."""
    return selectors.tariff_managed(principal=require_principal(request), tariff_id=tariff_id)


class TariffListApi(FilteredList, APIView):
    permission_classes = MANAGERS
    filterset_class = TariffFilter

    @extend_schema(tags=["billing"], responses={200: TariffOutput(many=True)}, operation_id="billing_tariffs_list")
    def get(self, request):
        params = self.query_filters()
        managed = selectors.tariffs_managed(principal=require_principal(request))
        return paginated(self, request, params.filter_queryset(managed), TariffOutput)

    @extend_schema(
        tags=["billing"],
        request=TariffCreateInput,
        responses={201: TariffOutput, **problems(404, **INVALID)},
        operation_id="billing_tariffs_create",
    )
    @idempotent
    def post(self, request):
        data = TariffCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        require_fleet(request, values["fleet_id"], Role.FLEET_MANAGER)
        tariff = tariffs.tariff_define(**values)
        return Response(TariffOutput(_one(tariff.id, request)).data, status=201)


class TariffDetailApi(APIView):
    permission_classes = MANAGERS

    @extend_schema(tags=["billing"], responses={200: TariffOutput, **problems(404)}, operation_id="billing_tariffs_get")
    def get(self, request, tariff_id):
        return Response(TariffOutput(_one(tariff_id, request)).data)


class TariffVersionApi(APIView):
    permission_classes = MANAGERS

    @extend_schema(
        tags=["billing"],
        request=TariffVersionInput,
        responses={
            201: TariffOutput,
            **problems(404, **INVALID, **{"409": "the tariff has ended before then (`billing.tariff_retired`)"}),
        },
        operation_id="billing_tariffs_new_version",
        description="Prices change by version: the current version ends at `valid_from` and the new one (returned) "
        "starts there with the changes applied. Quotes and fares keep the version they were priced with.",
    )
    @idempotent
    def post(self, request, tariff_id):
        current = _one(tariff_id, request)
        data = TariffVersionInput(data=request.data)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        valid_from = changes.pop("valid_from", None) or timezone.now()
        tariff = tariffs.tariff_new_version(tariff_id=current.id, valid_from=valid_from, **changes)
        return Response(TariffOutput(_one(tariff.id, request)).data, status=201)


class TariffRetireApi(APIView):
    permission_classes = MANAGERS

    @extend_schema(
        tags=["billing"],
        request=TariffRetireInput,
        responses={200: TariffOutput, **problems(404, 400, **{"409": "ended already (`billing.tariff_retired`)"})},
        operation_id="billing_tariffs_retire",
    )
    @idempotent
    def post(self, request, tariff_id):
        current = _one(tariff_id, request)
        data = TariffRetireInput(data=request.data)
        data.is_valid(raise_exception=True)
        tariffs.tariff_retire(tariff_id=current.id, at=data.validated_data.get("at"))
        return Response(TariffOutput(_one(current.id, request)).data)


class TaxRateListApi(FilteredList, APIView):
    permission_classes = MANAGERS
    filterset_class = TaxRateFilter

    @extend_schema(tags=["billing"], responses={200: TaxRateOutput(many=True)}, operation_id="billing_tax_rates_list")
    def get(self, request):
        params = self.query_filters()
        managed = selectors.tax_rates_managed(principal=require_principal(request))
        return paginated(self, request, params.filter_queryset(managed), TaxRateOutput)

    @extend_schema(
        tags=["billing"],
        request=TaxRateInput,
        responses={201: TaxRateOutput, **problems(404, **INVALID)},
        operation_id="billing_tax_rates_create",
    )
    @idempotent
    def post(self, request):
        data = TaxRateInput(data=request.data)
        data.is_valid(raise_exception=True)
        require_fleet(request, data.validated_data["fleet_id"], Role.FLEET_MANAGER)
        return Response(TaxRateOutput(tariffs.tax_rate_create(**data.validated_data)).data, status=201)


class TaxRateDetailApi(APIView):
    permission_classes = MANAGERS

    @extend_schema(
        tags=["billing"], responses={200: TaxRateOutput, **problems(404)}, operation_id="billing_tax_rates_get"
    )
    def get(self, request, tax_rate_id):
        tax = selectors.tax_rate_managed(principal=require_principal(request), tax_rate_id=tax_rate_id)
        return Response(TaxRateOutput(tax).data)

    @extend_schema(
        tags=["billing"],
        request=TaxRateUpdateInput,
        responses={200: TaxRateOutput, **problems(404, **INVALID)},
        operation_id="billing_tax_rates_update",
        description="A new rate applies to every tariff charging it from now on (quotes given keep their price).",
    )
    @idempotent
    def patch(self, request, tax_rate_id):
        tax = selectors.tax_rate_managed(principal=require_principal(request), tax_rate_id=tax_rate_id)
        data = TaxRateUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(TaxRateOutput(tariffs.tax_rate_update(tax_rate_id=tax.id, **data.validated_data)).data)

    @extend_schema(
        tags=["billing"],
        responses={204: None, **problems(404, **{"409": "tariffs charge it (`billing.tax_rate_in_use`)"})},
        operation_id="billing_tax_rates_delete",
    )
    def delete(self, request, tax_rate_id):
        tax = selectors.tax_rate_managed(principal=require_principal(request), tax_rate_id=tax_rate_id)
        tariffs.tax_rate_delete(tax_rate_id=tax.id)
        return Response(status=204)

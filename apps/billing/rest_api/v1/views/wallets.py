"""Billing REST views — A driver's wallet with its statement, a customer's balances, and redeeming points."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.billing import selectors
from apps.billing.rest_api.v1.serializers.common import FLEET_PARAM
from apps.billing.rest_api.v1.serializers.wallets import (
    BalanceApiBalanceOutput,
    PointsRedeemApiInput,
    StatementLineOutput,
    WalletApiWalletOutput,
)
from apps.billing.services import loyalty
from logitrack.http.pagination import CURSOR_PARAMETERS, KeysetPagination
from logitrack.http.params import query_uuid
from logitrack.http.principal import HasRole, require_principal
from logitrack.http.schema import problems
from logitrack.principal import Role

StatementPagination = KeysetPagination.ordered_by("-id")  # a wallet's postings, as the ledger recorded them


class WalletApi(APIView):
    permission_classes = [HasRole.of(Role.DRIVER)]

    @extend_schema(
        tags=["driver app"],
        parameters=[FLEET_PARAM, *CURSOR_PARAMETERS],
        responses={
            200: WalletApiWalletOutput,
            **problems(**{"404": "not a driver of that fleet (`partner.driver_not_found`)"}),
        },
        operation_id="billing_wallet_get",
        description="The statement is paged newest first by cursor: `next` and `previous` link the pages around this "
        "one (null at either end); `statement_count`, all the postings, comes only with `count=true`.",
    )
    def get(self, request):
        wallet = selectors.wallet_of_driver(
            principal=require_principal(request), fleet_id=query_uuid(request, "fleet_id")
        )
        paginator = StatementPagination()
        rows = paginator.paginate_queryset(wallet.statement, request, view=self)
        envelope = paginator.envelope()
        counted = {"statement_count": envelope.pop("count")} if "count" in envelope else {}
        return Response(
            {
                "driver_id": wallet.driver_id,
                "currency": wallet.currency,
                "balance_minor": wallet.balance_minor,
                "held_for_payouts_minor": wallet.held_for_payouts_minor,
                "statement": StatementLineOutput(rows, many=True).data,
                **counted,
                **envelope,
            }
        )


class BalanceApi(APIView):
    permission_classes = [HasRole.of(Role.CUSTOMER)]

    @extend_schema(tags=["customer app"], responses={200: BalanceApiBalanceOutput}, operation_id="billing_balance_get")
    def get(self, request):
        return Response(selectors.customer_balances(customer_id=require_principal(request).user_id))


class PointsRedeemApi(APIView):
    permission_classes = [HasRole.of(Role.CUSTOMER)]

    @extend_schema(
        tags=["customer app"],
        request=PointsRedeemApiInput,
        responses={
            201: BalanceApiBalanceOutput,
            **problems(**{"409": "not enough points (`billing.insufficient_funds`), or request_id was reused"}),
        },
        operation_id="billing_points_redeem",
    )
    def post(self, request):
        data = PointsRedeemApiInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        balances = loyalty.points_redeem_for_balances(
            customer_id=require_principal(request).user_id,
            points=v["points"],
            currency=v["currency"],
            idempotency_key=str(v["request_id"]),
        )
        return Response(balances, status=201)

"""Billing REST API: quotes, driver wallets and payouts, customer balances, top-ups and points, refunds, invoices,
and payment providers' webhooks."""

from __future__ import annotations

import uuid

from django.db.models import Q
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.billing import integrations, payments, selectors
from apps.billing.contracts import QuoteNotFound, Service, TripFacts
from apps.billing.models import AccountKind, FareRecord, Invoice, Payout, Quote, TopUp
from apps.billing.services import fares, invoices, loyalty, payouts, quotes, settlement, topups
from logitrack import files
from logitrack.exceptions import NotFound, ValidationFailed
from logitrack.http import downloads
from logitrack.http.pagination import PAGE_PARAMETERS, Pagination
from logitrack.http.params import paginated, query_choice, query_uuid
from logitrack.http.principal import HasRole, require_principal
from logitrack.http.schema import file_download, problems
from logitrack.http.serializers import StrictInputSerializer
from logitrack.idempotency.drf import idempotent
from logitrack.principal import Role
from logitrack.types import GeoPoint, Money

FLEET_PARAM = OpenApiParameter("fleet_id", uuid.UUID, description="which fleet, when you drive for several")
CURRENCY = serializers.RegexField(r"^[A-Z]{3}$")
MAX_MINOR = 10**12  # far above any real amount, and inside the ledger's 64-bit columns


class LineOutput(serializers.Serializer):
    code = serializers.CharField()
    description = serializers.CharField()
    net = serializers.IntegerField()
    tax = serializers.IntegerField()
    gross = serializers.IntegerField()
    tax_rate_bps = serializers.IntegerField()


class TaxOutput(serializers.Serializer):
    name = serializers.CharField()
    rate_bps = serializers.IntegerField()
    net = serializers.IntegerField()
    tax = serializers.IntegerField()


class BreakdownOutput(serializers.Serializer):
    currency = serializers.CharField()
    prices_include_tax = serializers.BooleanField()
    lines = LineOutput(many=True)
    taxes = TaxOutput(many=True)
    net = serializers.IntegerField(help_text="minor units")
    tax = serializers.IntegerField()
    total = serializers.IntegerField()


class QuoteOutput(serializers.Serializer):
    id = serializers.UUIDField()
    fleet_id = serializers.UUIDField()
    vehicle_type = serializers.CharField()
    service = serializers.ChoiceField(choices=[s.value for s in Service])
    breakdown = BreakdownOutput()
    currency = serializers.CharField()
    total_minor = serializers.IntegerField()
    expires_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()


class QuoteCreateApi(APIView):
    permission_classes = [HasRole.of(Role.CUSTOMER, Role.DISPATCHER, Role.FLEET_MANAGER)]

    class InputSerializer(StrictInputSerializer):
        fleet_id = serializers.UUIDField()
        vehicle_type = serializers.ChoiceField(choices=["bike", "car", "van", "truck"])
        service = serializers.ChoiceField(choices=[s.value for s in Service], default=Service.DELIVERY)
        requested_at = serializers.DateTimeField(required=False, help_text="default: now")
        stops = serializers.ListField(
            child=serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2),
            min_length=2,
            max_length=25,
            help_text="[[lat, lng], ...] in visiting order",
        )
        distance_m = serializers.IntegerField(required=False, min_value=0, max_value=2_000_000)
        duration_s = serializers.IntegerField(required=False, min_value=0, max_value=86_400)

        def validate(self, attrs):
            if ("distance_m" in attrs) != ("duration_s" in attrs):
                raise serializers.ValidationError(
                    {"duration_s": ["Give distance_m and duration_s together, or neither."]}
                )
            try:
                attrs["points"] = [GeoPoint(lat, lng) for lat, lng in attrs["stops"]]
            except ValidationFailed as exc:
                raise serializers.ValidationError({"stops": [exc.message]}) from None
            return attrs

    @extend_schema(
        tags=["billing"],
        request=InputSerializer,
        responses={201: QuoteOutput, **problems(**{"404": "no such fleet, or no tariff for that trip"})},
        operation_id="billing_quotes_create",
    )
    def post(self, request):
        principal = require_principal(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        if not principal.has_role(Role.CUSTOMER) and not principal.may_act_on_fleet(
            v["fleet_id"], Role.DISPATCHER, Role.FLEET_MANAGER
        ):
            raise NotFound("no such fleet", code="fleet.not_found")
        at = v.get("requested_at") or timezone.now()
        if "distance_m" in v:
            facts = TripFacts(
                distance_m=v["distance_m"],
                duration_s=v["duration_s"],
                stops=len(v["points"]),
                at=at,
                points=tuple(v["points"]),
            )
        else:
            facts = fares.estimate_facts(points=v["points"], at=at, vehicle_type=v["vehicle_type"])
        quote = quotes.quote_create(
            fleet_id=v["fleet_id"],
            vehicle_type=v["vehicle_type"],
            service=v["service"],
            facts=facts,
            customer_id=principal.user_id if principal.has_role(Role.CUSTOMER) else None,
        )
        return Response(QuoteOutput(quote).data, status=201)


class QuoteDetailApi(APIView):
    permission_classes = [HasRole.of(Role.CUSTOMER, Role.DISPATCHER, Role.FLEET_MANAGER)]

    @extend_schema(tags=["billing"], responses={200: QuoteOutput}, operation_id="billing_quotes_get")
    def get(self, request, quote_id):
        principal = require_principal(request)
        quote = Quote.objects.filter(id=quote_id).first()
        if quote is None or not (
            quote.customer_id == principal.user_id
            or principal.may_act_on_fleet(quote.fleet_id, Role.DISPATCHER, Role.FLEET_MANAGER)
        ):
            raise QuoteNotFound("no such quote")
        return Response(QuoteOutput(quote).data)


class StatementLineOutput(serializers.Serializer):
    posted_at = serializers.DateTimeField(source="transaction.posted_at")
    kind = serializers.CharField(source="transaction.kind")
    memo = serializers.CharField(source="transaction.memo")
    reference_id = serializers.UUIDField(source="transaction.reference_id", allow_null=True)
    amount_minor = serializers.SerializerMethodField(help_text="positive: money in; negative: money out")
    currency = serializers.CharField()

    def get_amount_minor(self, posting) -> int:
        return -posting.amount_minor  # a wallet is a liability: credits are money in for its owner


class WalletApi(APIView):
    permission_classes = [HasRole.of(Role.DRIVER)]

    class WalletOutput(serializers.Serializer):
        driver_id = serializers.UUIDField()
        currency = serializers.CharField()
        balance_minor = serializers.IntegerField()
        held_for_payouts_minor = serializers.IntegerField()
        statement = StatementLineOutput(many=True)
        statement_count = serializers.IntegerField()
        next = serializers.CharField(allow_null=True)

    @extend_schema(
        tags=["driver app"],
        parameters=[FLEET_PARAM, *PAGE_PARAMETERS],
        responses={200: WalletOutput},
        operation_id="billing_wallet_get",
    )
    def get(self, request):
        driver_id, fleet_id = integrations.driver_of(
            user_id=require_principal(request).user_id, fleet_id=query_uuid(request, "fleet_id")
        )
        currency = integrations.fleet_terms(fleet_id=fleet_id).currency
        wallet = selectors.account_find(
            kind=AccountKind.DRIVER_WALLET, currency=currency, owner_id=driver_id, fleet_id=fleet_id
        )
        hold = selectors.account_find(
            kind=AccountKind.DRIVER_PAYOUT_HOLD, currency=currency, owner_id=driver_id, fleet_id=fleet_id
        )
        paginator = Pagination()
        rows = paginator.paginate_queryset(selectors.statement(account=wallet) if wallet else [], request, view=self)
        return Response(
            {
                "driver_id": driver_id,
                "currency": currency,
                "balance_minor": wallet.balance_minor if wallet else 0,
                "held_for_payouts_minor": hold.balance_minor if hold else 0,
                "statement": StatementLineOutput(rows, many=True).data,
                "statement_count": paginator.page.paginator.count,
                "next": paginator.get_next_link(),
            }
        )


class PayoutOutput(serializers.Serializer):
    id = serializers.UUIDField()
    driver_id = serializers.UUIDField()
    fleet_id = serializers.UUIDField()
    currency = serializers.CharField()
    amount_minor = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Payout.Status.values)
    reason = serializers.CharField()
    decided_at = serializers.DateTimeField(allow_null=True)
    paid_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class PayoutListApi(APIView):
    permission_classes = [HasRole.of(Role.DRIVER, Role.FLEET_MANAGER)]

    class InputSerializer(StrictInputSerializer):
        amount_minor = serializers.IntegerField(min_value=1, max_value=MAX_MINOR)
        request_id = serializers.UUIDField(help_text="generated by the app once per request; a retry sends the same")

    @extend_schema(
        tags=["billing"],
        parameters=[FLEET_PARAM, OpenApiParameter("status", str, enum=Payout.Status.values)],
        responses={200: PayoutOutput(many=True)},
        operation_id="billing_payouts_list",
    )
    def get(self, request):
        principal = require_principal(request)
        status = request.query_params.get("status")
        if status is not None and status not in Payout.Status.values:
            raise serializers.ValidationError({"status": [f"must be one of {', '.join(Payout.Status.values)}"]})
        fleet_id = query_uuid(request, "fleet_id")  # a driver's choice of fleet; validated for everyone
        if principal.has_role(Role.FLEET_MANAGER) or principal.is_platform_admin:
            fleets = None if principal.is_platform_admin else principal.fleets(Role.FLEET_MANAGER)
            qs = selectors.payouts_visible(driver_ids=None, fleet_ids=fleets, status=status)
        else:
            driver_id, _ = integrations.driver_of(user_id=principal.user_id, fleet_id=fleet_id)
            qs = selectors.payouts_visible(driver_ids=[driver_id], fleet_ids=None, status=status)
        return paginated(self, request, qs, PayoutOutput)

    @extend_schema(
        tags=["driver app"],
        parameters=[FLEET_PARAM],
        request=InputSerializer,
        responses={
            201: PayoutOutput,
            **problems(
                **{
                    "404": "you are not a driver (in that fleet)",
                    "409": "the wallet holds less (`billing.insufficient_funds`), or request_id was used for "
                    "another amount",
                }
            ),
        },
        operation_id="billing_payouts_request",
    )
    def post(self, request):
        principal = require_principal(request)
        if not principal.has_role(Role.DRIVER):
            raise NotFound("only drivers request payouts", code="billing.not_a_driver")
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        driver_id, fleet_id = integrations.driver_of(
            user_id=principal.user_id, fleet_id=query_uuid(request, "fleet_id")
        )
        currency = integrations.fleet_terms(fleet_id=fleet_id).currency
        payout = payouts.payout_request(
            driver_id=driver_id,
            fleet_id=fleet_id,
            amount=Money(data.validated_data["amount_minor"], currency),
            idempotency_key=str(data.validated_data["request_id"]),
        )
        return Response(PayoutOutput(payout).data, status=201)


class PayoutDecideApi(APIView):
    permission_classes = [HasRole.of(Role.FLEET_MANAGER)]

    class InputSerializer(StrictInputSerializer):
        decision = serializers.ChoiceField(choices=["approve", "reject"])
        reason = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)

    @extend_schema(
        tags=["billing"], request=InputSerializer, responses={200: PayoutOutput}, operation_id="billing_payouts_decide"
    )
    @idempotent
    def post(self, request, payout_id):
        principal = require_principal(request)
        payout = Payout.objects.filter(id=payout_id).first()
        if payout is None or not principal.may_act_on_fleet(payout.fleet_id, Role.FLEET_MANAGER):
            raise NotFound("no such payout", code="billing.payout_not_found")
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        decided = payouts.payout_decide(
            payout_id=payout.id,
            approve=data.validated_data["decision"] == "approve",
            actor_id=principal.user_id,
            reason=data.validated_data["reason"],
        )
        return Response(PayoutOutput(decided).data)


class PayoutPaidApi(APIView):
    permission_classes = [HasRole.of(Role.FLEET_MANAGER)]

    class InputSerializer(StrictInputSerializer):
        bank_reference = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)

    @extend_schema(
        tags=["billing"], request=InputSerializer, responses={200: PayoutOutput}, operation_id="billing_payouts_paid"
    )
    @idempotent
    def post(self, request, payout_id):
        principal = require_principal(request)
        payout = Payout.objects.filter(id=payout_id).first()
        if payout is None or not principal.may_act_on_fleet(payout.fleet_id, Role.FLEET_MANAGER):
            raise NotFound("no such payout", code="billing.payout_not_found")
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(PayoutOutput(payouts.payout_mark_paid(payout_id=payout.id, **data.validated_data)).data)


class BalanceApi(APIView):
    permission_classes = [HasRole.of(Role.CUSTOMER)]

    class BalanceOutput(serializers.Serializer):
        prepaid = serializers.DictField(child=serializers.IntegerField(), help_text="currency → minor units")
        owed = serializers.DictField(child=serializers.IntegerField(), help_text="currency → minor units still to pay")
        loyalty_points = serializers.IntegerField()

    @extend_schema(tags=["customer app"], responses={200: BalanceOutput}, operation_id="billing_balance_get")
    def get(self, request):
        return Response(selectors.customer_balances(customer_id=require_principal(request).user_id))


class TopUpOutput(serializers.Serializer):
    id = serializers.UUIDField(help_text="also the reference to give the payment provider")
    customer_id = serializers.UUIDField()
    amount_minor = serializers.IntegerField()
    currency = serializers.CharField()
    status = serializers.ChoiceField(
        choices=TopUp.Status.values,
        help_text="pending: requested, no money yet; confirmed: credited to the prepaid balance; failed: the "
        "payment failed or did not match the request (see reason); cancelled: by the customer, or expired",
    )
    reason = serializers.CharField(help_text="why it failed or was cancelled")
    confirmed_via = serializers.CharField(help_text="staff, or the payment provider; empty while pending")
    expires_at = serializers.DateTimeField(help_text="a pending top-up not confirmed by then is cancelled")
    decided_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


TOPUP_STATUS_PARAM = OpenApiParameter("status", str, enum=TopUp.Status.values)


def _customer_scope(request) -> uuid.UUID | None:
    """Whose top-ups the caller sees: their own, or everyone's (None) for platform admins."""
    principal = require_principal(request)
    return None if principal.is_platform_admin else principal.user_id


class TopUpListApi(APIView):
    """A customer asks to top up their prepaid balance, and follows the request. Asking credits nothing: the
    money counts once a payment provider's signed notification, or a platform admin, confirms it arrived."""

    permission_classes = [HasRole.of(Role.CUSTOMER)]

    class InputSerializer(StrictInputSerializer):
        amount_minor = serializers.IntegerField(min_value=1, max_value=100_000_00)
        currency = CURRENCY
        request_id = serializers.UUIDField(help_text="generated by the app once per request; a retry sends the same")

    @extend_schema(
        tags=["customer app"],
        parameters=[TOPUP_STATUS_PARAM, *PAGE_PARAMETERS],
        responses={200: TopUpOutput(many=True)},
        operation_id="billing_topups_list",
        description="Your top-up requests, newest first (platform admins: everyone's).",
    )
    def get(self, request):
        status = query_choice(request, "status", TopUp.Status.values)
        qs = selectors.topups_visible(customer_id=_customer_scope(request), status=status)
        return paginated(self, request, qs, TopUpOutput)

    @extend_schema(
        tags=["customer app"],
        request=InputSerializer,
        responses={201: TopUpOutput, **problems(**{"409": "request_id was used for another top-up"})},
        operation_id="billing_topups_create",
        description="Request a top-up: it is `pending` and the balance is unchanged until the payment is confirmed. "
        "Pay with the provider giving the top-up's `id` as the reference; a retry with the same request_id "
        "answers the same top-up.",
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        topup = topups.topup_request(
            customer_id=require_principal(request).user_id,
            amount=Money(v["amount_minor"], v["currency"]),
            idempotency_key=str(v["request_id"]),
        )
        return Response(TopUpOutput(topup).data, status=201)


class TopUpDetailApi(APIView):
    permission_classes = [HasRole.of(Role.CUSTOMER)]

    @extend_schema(tags=["customer app"], responses={200: TopUpOutput}, operation_id="billing_topups_get")
    def get(self, request, topup_id):
        return Response(
            TopUpOutput(selectors.topup_visible(topup_id=topup_id, customer_id=_customer_scope(request))).data
        )


class TopUpCancelApi(APIView):
    permission_classes = [HasRole.of(Role.CUSTOMER)]

    @extend_schema(
        tags=["customer app"],
        request=None,
        responses={200: TopUpOutput, **problems(**{"409": "the top-up is no longer pending"})},
        operation_id="billing_topups_cancel",
    )
    @idempotent
    def post(self, request, topup_id):
        topup = topups.topup_cancel(topup_id=topup_id, customer_id=_customer_scope(request))
        return Response(TopUpOutput(topup).data)


class TopUpConfirmApi(APIView):
    """Platform admins record money received outside a payment provider (cash, a bank transfer). Prepaid
    balances are the platform's, not a fleet's (one balance pays fares in every fleet), so fleet managers
    cannot confirm: a fleet could otherwise create money spent in other fleets."""

    permission_classes = [HasRole.of(Role.PLATFORM_ADMIN)]

    class InputSerializer(StrictInputSerializer):
        amount_minor = serializers.IntegerField(min_value=1, max_value=MAX_MINOR, help_text="as received")
        currency = CURRENCY
        reference = serializers.CharField(
            max_length=200, help_text="the bank transfer's or cash receipt's reference; confirms one top-up only"
        )

    @extend_schema(
        tags=["billing"],
        request=InputSerializer,
        responses={
            200: TopUpOutput,
            **problems(
                **{
                    "400": "another amount or currency than requested (`billing.topup_amount_differs`: nothing "
                    "changes, the reference stays usable)",
                    "403": "not a platform admin, or your own top-up (`billing.self_confirmation`)",
                    "409": "the top-up is not pending (`billing.topup_not_pending`), or the reference confirmed "
                    "another top-up (`billing.confirmation_reused`)",
                }
            ),
        },
        operation_id="billing_topups_confirm",
        description="Record the money as received: the prepaid balance is credited once; the same reference again "
        "answers the same.",
    )
    def post(self, request, topup_id):
        principal = require_principal(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        topup = topups.topup_confirm(
            topup_id=topup_id,
            amount=Money(v["amount_minor"], v["currency"]),
            via=TopUp.STAFF,
            reference=v["reference"],
            actor_id=principal.user_id,
        )
        return Response(TopUpOutput(topup).data)


class PaymentObjectInput(serializers.Serializer):
    id = serializers.CharField(help_text="the provider's payment id")
    reference = serializers.UUIDField(help_text="the top-up's id, given to the provider when paying")
    amount = serializers.IntegerField(help_text="minor units received")
    currency = serializers.CharField(help_text="ISO 4217")
    failure_message = serializers.CharField(required=False, allow_null=True, help_text="payment.failed: why")


class PaymentEventDataInput(serializers.Serializer):
    object = PaymentObjectInput()


class PaymentEventInput(serializers.Serializer):
    """The `psp` provider's body, as documentation: the adapter (apps/billing/payments) parses it once the
    signature matched. Event types other than payment.succeeded and payment.failed are acknowledged and ignored."""

    id = serializers.CharField(help_text="the event's id: the same event sent again has the same id")
    type = serializers.CharField(help_text="payment.succeeded | payment.failed | anything else (ignored)")
    data = PaymentEventDataInput()


class PaymentWebhookApi(APIView):
    """A payment provider tells us a payment succeeded or failed. No user: the provider's signature over the raw
    body and a timestamp authenticates the call (apps/billing/payments)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []  # providers send bursts from shared addresses; the signature is the gate

    class WebhookOutput(serializers.Serializer):
        event_id = serializers.CharField()
        outcome = serializers.ChoiceField(
            choices=[a.value for a in topups.Applied],
            help_text="succeeded: credited (now or before); failed: the top-up failed; held_for_refund: money "
            "received that credited nothing (another amount, or the top-up was paid already), recorded for refund; "
            "ignored: an event type we do not act on, or a decline for a top-up no longer pending",
        )
        topup = TopUpOutput(allow_null=True)

    @extend_schema(
        tags=["payment providers"],
        request=PaymentEventInput,
        parameters=[
            OpenApiParameter(
                "Payment-Signature",
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="t=<unix time>,v1=<hex HMAC-SHA256 of '<t>.<raw body>' with the shared secret>",
            )
        ],
        responses={
            200: WebhookOutput,
            **problems(
                **{
                    "400": "malformed signature header or body",
                    "401": "the signature does not match, or its timestamp is outside the tolerance (a replay)",
                    "404": "no such provider configured, or no such top-up",
                    "409": "the payment or event already confirmed another top-up",
                }
            ),
        },
        operation_id="billing_payments_webhook",
    )
    def post(self, request, provider):
        notification = payments.provider(provider).parse(headers=request.headers, body=request.body)
        applied = topups.payment_notification_apply(notification=notification)
        return Response(
            {
                "event_id": notification.event_id,
                "outcome": applied.outcome,
                "topup": TopUpOutput(applied.topup).data if applied.topup else None,
            }
        )


class PointsRedeemApi(APIView):
    permission_classes = [HasRole.of(Role.CUSTOMER)]

    class InputSerializer(StrictInputSerializer):
        points = serializers.IntegerField(min_value=1, max_value=MAX_MINOR)
        currency = CURRENCY
        request_id = serializers.UUIDField()

    @extend_schema(
        tags=["customer app"],
        request=InputSerializer,
        responses={
            201: BalanceApi.BalanceOutput,
            **problems(**{"409": "not enough points (`billing.insufficient_funds`), or request_id was reused"}),
        },
        operation_id="billing_points_redeem",
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        me = require_principal(request).user_id
        loyalty.points_redeem(
            customer_id=me, points=v["points"], currency=v["currency"], idempotency_key=str(v["request_id"])
        )
        return Response(selectors.customer_balances(customer_id=me), status=201)


class RefundApi(APIView):
    permission_classes = [HasRole.of(Role.FLEET_MANAGER)]

    class InputSerializer(StrictInputSerializer):
        reason = serializers.CharField(max_length=300)

    class RefundOutput(serializers.Serializer):
        transaction_id = serializers.UUIDField(source="id")
        reverses = serializers.UUIDField(source="reverses_id")
        memo = serializers.CharField()

    @extend_schema(
        tags=["billing"], request=InputSerializer, responses={201: RefundOutput}, operation_id="billing_trips_refund"
    )
    @idempotent
    def post(self, request, trip_id):
        principal = require_principal(request)
        record = FareRecord.objects.filter(trip_id=trip_id).first()
        if record is None or not principal.may_act_on_fleet(record.fleet_id, Role.FLEET_MANAGER):
            raise NotFound("nothing was charged for this trip", code="billing.nothing_to_refund")
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        txn = settlement.trip_refund(trip_id=trip_id, reason=data.validated_data["reason"])
        return Response(self.RefundOutput(txn).data, status=201)


class StatementRowOutput(serializers.Serializer):
    trip_id = serializers.UUIDField()
    description = serializers.CharField()
    receipt = serializers.CharField(help_text="the number of the trip's receipt, its tax document")
    gross = serializers.IntegerField(help_text="minor units, as on the receipt")


class InvoiceOutput(serializers.Serializer):
    id = serializers.UUIDField()
    number = serializers.CharField()
    kind = serializers.ChoiceField(choices=["invoice", "receipt", "credit_note"])
    fleet_id = serializers.UUIDField()
    period = serializers.CharField()
    trip_id = serializers.UUIDField(allow_null=True)
    currency = serializers.CharField()
    net_minor = serializers.IntegerField()
    tax_minor = serializers.IntegerField()
    total_minor = serializers.IntegerField()
    issued_at = serializers.DateTimeField()
    statement = StatementRowOutput(
        many=True,
        help_text="monthly invoices: the month's trips invoiced by their own receipts, for information (not in the "
        "totals, no tax charged again)",
    )


def _invoices_for(principal):
    if principal.is_platform_admin:
        return Invoice.objects.all()
    return Invoice.objects.filter(
        Q(customer_id=principal.user_id) | Q(fleet_id__in=principal.fleets(Role.FLEET_MANAGER))
    )


class InvoiceListApi(APIView):
    permission_classes = [HasRole.of(Role.CUSTOMER, Role.FLEET_MANAGER)]

    @extend_schema(
        tags=["billing"],
        parameters=[
            OpenApiParameter("kind", str, enum=["invoice", "receipt", "credit_note"]),
            OpenApiParameter(
                "trip_id",
                uuid.UUID,
                description="documents of one trip: its receipt and credit note (a monthly invoice names no trip)",
            ),
        ],
        responses={200: InvoiceOutput(many=True)},
        operation_id="billing_invoices_list",
    )
    def get(self, request):
        qs = _invoices_for(require_principal(request)).order_by("-issued_at")
        kind = request.query_params.get("kind")
        if kind is not None:
            if kind not in ("invoice", "receipt", "credit_note"):
                raise serializers.ValidationError({"kind": ["must be invoice, receipt or credit_note"]})
            qs = qs.filter(kind=kind)
        trip_id = query_uuid(request, "trip_id")
        if trip_id is not None:
            qs = qs.filter(trip_id=trip_id)
        return paginated(self, request, qs, InvoiceOutput)


class InvoicePdfApi(APIView):
    permission_classes = [HasRole.of(Role.CUSTOMER, Role.FLEET_MANAGER)]
    renderer_classes = downloads.renderers("application/pdf")

    @extend_schema(
        tags=["billing"],
        responses=file_download("application/pdf", description="the invoice PDF"),
        operation_id="billing_invoices_pdf",
    )
    def get(self, request, invoice_id):
        invoice = _invoices_for(require_principal(request)).filter(id=invoice_id).first()
        if invoice is None:
            raise NotFound("no such invoice", code="billing.invoice_not_found")
        invoice = invoices.invoice_render(invoice_id=invoice.id)  # normally done already by the worker
        return downloads.file_response(
            request,
            files.open_private(invoice.pdf_path),
            content_type="application/pdf",
            as_attachment=True,
            filename=f"{invoice.number}.pdf",
        )

from django.urls import path

from apps.billing.rest_api.v1.views import invoices, payouts, quotes, refunds, tariffs, topups, wallets

app_name = "billing-v1"
urlpatterns = [
    path("quotes/", quotes.QuoteCreateApi.as_view(), name="quotes"),
    path("quotes/<uuid:quote_id>/", quotes.QuoteDetailApi.as_view(), name="quote"),
    path("wallet/", wallets.WalletApi.as_view(), name="wallet"),
    path("payouts/", payouts.PayoutListApi.as_view(), name="payouts"),
    path("payouts/<uuid:payout_id>/decide/", payouts.PayoutDecideApi.as_view(), name="payout-decide"),
    path("payouts/<uuid:payout_id>/paid/", payouts.PayoutPaidApi.as_view(), name="payout-paid"),
    path("balance/", wallets.BalanceApi.as_view(), name="balance"),
    path("topups/", topups.TopUpListApi.as_view(), name="topups"),
    path("topups/<uuid:topup_id>/", topups.TopUpDetailApi.as_view(), name="topup"),
    path("topups/<uuid:topup_id>/cancel/", topups.TopUpCancelApi.as_view(), name="topup-cancel"),
    path("topups/<uuid:topup_id>/confirm/", topups.TopUpConfirmApi.as_view(), name="topup-confirm"),
    path("payments/<slug:provider>/webhook/", topups.PaymentWebhookApi.as_view(), name="payment-webhook"),
    path("points/redeem/", wallets.PointsRedeemApi.as_view(), name="points-redeem"),
    path("trips/<uuid:trip_id>/refund/", refunds.RefundApi.as_view(), name="trip-refund"),
    path("invoices/", invoices.InvoiceListApi.as_view(), name="invoices"),
    path("invoices/<uuid:invoice_id>/pdf/", invoices.InvoicePdfApi.as_view(), name="invoice-pdf"),
    path("tariffs/", tariffs.TariffListApi.as_view(), name="tariffs"),
    path("tariffs/<uuid:tariff_id>/", tariffs.TariffDetailApi.as_view(), name="tariff"),
    path("tariffs/<uuid:tariff_id>/versions/", tariffs.TariffVersionApi.as_view(), name="tariff-versions"),
    path("tariffs/<uuid:tariff_id>/retire/", tariffs.TariffRetireApi.as_view(), name="tariff-retire"),
    path("tax-rates/", tariffs.TaxRateListApi.as_view(), name="tax-rates"),
    path("tax-rates/<uuid:tax_rate_id>/", tariffs.TaxRateDetailApi.as_view(), name="tax-rate"),
]

from django.urls import path

from apps.billing.rest_api.v1 import views

app_name = "billing-v1"
urlpatterns = [
    path("quotes/", views.QuoteCreateApi.as_view(), name="quotes"),
    path("quotes/<uuid:quote_id>/", views.QuoteDetailApi.as_view(), name="quote"),
    path("wallet/", views.WalletApi.as_view(), name="wallet"),
    path("payouts/", views.PayoutListApi.as_view(), name="payouts"),
    path("payouts/<uuid:payout_id>/decide/", views.PayoutDecideApi.as_view(), name="payout-decide"),
    path("payouts/<uuid:payout_id>/paid/", views.PayoutPaidApi.as_view(), name="payout-paid"),
    path("balance/", views.BalanceApi.as_view(), name="balance"),
    path("topups/", views.TopUpListApi.as_view(), name="topups"),
    path("topups/<uuid:topup_id>/", views.TopUpDetailApi.as_view(), name="topup"),
    path("topups/<uuid:topup_id>/cancel/", views.TopUpCancelApi.as_view(), name="topup-cancel"),
    path("topups/<uuid:topup_id>/confirm/", views.TopUpConfirmApi.as_view(), name="topup-confirm"),
    path("payments/<slug:provider>/webhook/", views.PaymentWebhookApi.as_view(), name="payment-webhook"),
    path("points/redeem/", views.PointsRedeemApi.as_view(), name="points-redeem"),
    path("trips/<uuid:trip_id>/refund/", views.RefundApi.as_view(), name="trip-refund"),
    path("invoices/", views.InvoiceListApi.as_view(), name="invoices"),
    path("invoices/<uuid:invoice_id>/pdf/", views.InvoicePdfApi.as_view(), name="invoice-pdf"),
]

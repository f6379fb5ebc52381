from django.urls import path

from apps.billing.rest_api.internal import views

app_name = "billing-internal"
urlpatterns = [
    path("<slug:call>/", views.InternalCallApi.as_view(), name="call"),
]

from django.urls import path

from apps.notifications.rest_api.v1 import preferences, push, webhooks

app_name = "notifications-v1"
urlpatterns = [
    path("preferences/", preferences.PreferencesApi.as_view(), name="preferences"),
    path("push/key/", push.PushKeyApi.as_view(), name="push-key"),
    path("push/subscriptions/", push.PushSubscriptionsApi.as_view(), name="push-subscriptions"),
    path(
        "push/subscriptions/<uuid:subscription_id>/",
        push.PushSubscriptionApi.as_view(),
        name="push-subscription",
    ),
    path("webhooks/event-types/", webhooks.EventTypeListApi.as_view(), name="webhook-event-types"),
    path("webhooks/endpoints/", webhooks.EndpointListApi.as_view(), name="webhook-endpoints"),
    path("webhooks/endpoints/<uuid:endpoint_id>/", webhooks.EndpointDetailApi.as_view(), name="webhook-endpoint"),
    path(
        "webhooks/endpoints/<uuid:endpoint_id>/rotate-secret/",
        webhooks.EndpointRotateSecretApi.as_view(),
        name="webhook-endpoint-rotate-secret",
    ),
    path(
        "webhooks/endpoints/<uuid:endpoint_id>/ping/", webhooks.EndpointPingApi.as_view(), name="webhook-endpoint-ping"
    ),
    path("webhooks/deliveries/", webhooks.DeliveryListApi.as_view(), name="webhook-deliveries"),
    path("webhooks/deliveries/replay/", webhooks.DeliveryReplayRangeApi.as_view(), name="webhook-deliveries-replay"),
    path("webhooks/deliveries/<uuid:delivery_id>/", webhooks.DeliveryDetailApi.as_view(), name="webhook-delivery"),
    path(
        "webhooks/deliveries/<uuid:delivery_id>/replay/",
        webhooks.DeliveryReplayApi.as_view(),
        name="webhook-delivery-replay",
    ),
]

from django.urls import path

from apps.notifications.rest_api.v1 import push

app_name = "notifications-v1"
urlpatterns = [
    path("push/key/", push.PushKeyApi.as_view(), name="push-key"),
    path("push/subscriptions/", push.PushSubscriptionsApi.as_view(), name="push-subscriptions"),
    path(
        "push/subscriptions/<uuid:subscription_id>/",
        push.PushSubscriptionApi.as_view(),
        name="push-subscription",
    ),
]

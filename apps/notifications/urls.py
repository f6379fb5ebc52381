from django.urls import path

from apps.notifications.views import preferences, unsubscribe

app_name = "notifications"
urlpatterns = [
    path("unsubscribe/<str:token>/", unsubscribe.unsubscribe, name="unsubscribe"),
    path("preferences/", preferences.page, name="preferences"),
]

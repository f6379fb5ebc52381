from django.urls import path

from apps.notifications.rest_api.v1 import views

urlpatterns = [
    path("preferences/", views.PreferencesApi.as_view(), name="notifications-preferences"),
]

"""The fleet's public pages (composed in config/urls.py): its logo, for the messages sent in its name."""

from django.urls import path

from apps.fleet import views

app_name = "fleet"
urlpatterns = [
    path("<str:fleet_id>/logo.png", views.logo, name="brand-logo"),
]

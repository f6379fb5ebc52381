"""The trips context's pages (composed in config/urls.py): the customer's tracking page."""

from django.urls import path

from apps.trips import views

app_name = "trips"
urlpatterns = [
    path("<str:token>/", views.track, name="track"),
    path("<str:token>/logo.png", views.track_logo, name="track-logo"),
]

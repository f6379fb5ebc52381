from django.urls import path

from apps.trips.rest_api.v1 import views

app_name = "trips-v1"
urlpatterns = [
    path("trips/", views.TripListApi.as_view(), name="trips"),
    path("trips/<uuid:trip_id>/", views.TripDetailApi.as_view(), name="trip"),
    path("trips/<uuid:trip_id>/transitions/", views.TransitionApi.as_view(), name="trip-transition"),
    path("trips/<uuid:trip_id>/assign/", views.AssignApi.as_view(), name="trip-assign"),
    path("trips/<uuid:trip_id>/timeline/", views.TimelineApi.as_view(), name="trip-timeline"),
]

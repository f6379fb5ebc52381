from django.urls import path
from drf_spectacular.utils import extend_schema_view

from apps.trips.rest_api.v1 import views


def extend(view, operation_id):
    """The start and end endpoints share a view; give each its own OpenAPI operation id."""
    return extend_schema_view(post=views.extend_schema(operation_id=operation_id))(type(operation_id, (view,), {}))


app_name = "trips-v1"
urlpatterns = [
    path("trips/", views.TripListApi.as_view(), name="trips"),
    path("trips/<uuid:trip_id>/", views.TripDetailApi.as_view(), name="trip"),
    path("trips/<uuid:trip_id>/transitions/", views.TransitionApi.as_view(), name="trip-transition"),
    path("trips/<uuid:trip_id>/assign/", views.AssignApi.as_view(), name="trip-assign"),
    path("trips/<uuid:trip_id>/timeline/", views.TimelineApi.as_view(), name="trip-timeline"),
    path("trips/<uuid:trip_id>/stops/<int:sequence>/arrive/", views.StopArriveApi.as_view(), name="trip-stop-arrive"),
    path("trips/<uuid:trip_id>/stops/<int:sequence>/done/", views.StopDoneApi.as_view(), name="trip-stop-done"),
    path("trips/<uuid:trip_id>/stops/<int:sequence>/fail/", views.StopFailApi.as_view(), name="trip-stop-fail"),
    path("trips/<uuid:trip_id>/stops/<int:sequence>/proof/", views.ProofApi.as_view(), name="trip-stop-proof"),
    path(
        "trips/<uuid:trip_id>/stops/<int:sequence>/proof/<str:which>/",  # signature | photo
        views.ProofFileApi.as_view(),
        name="trip-stop-proof-file",
    ),
    path("track/<str:token>/", views.TrackingApi.as_view(), name="track"),
    path("trips/<uuid:trip_id>/offers/", views.OfferCreateApi.as_view(), name="trip-offers"),
    path("offers/", views.MyOffersApi.as_view(), name="my-offers"),
    path("offers/<uuid:offer_id>/accept/", views.OfferAcceptApi.as_view(), name="offer-accept"),
    path("offers/<uuid:offer_id>/reject/", views.OfferRejectApi.as_view(), name="offer-reject"),
    path("shifts/", views.ShiftListApi.as_view(), name="shifts"),
    path(
        "shifts/<uuid:shift_id>/start/",
        extend(views.ShiftStartEndApi, "trips_shifts_start").as_view(end=False),
        name="shift-start",
    ),
    path(
        "shifts/<uuid:shift_id>/end/",
        extend(views.ShiftStartEndApi, "trips_shifts_end").as_view(end=True),
        name="shift-end",
    ),
    path("shifts/<uuid:shift_id>/cancel/", views.ShiftCancelApi.as_view(), name="shift-cancel"),
]

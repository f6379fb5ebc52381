from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_view

from apps.trips.rest_api.v1.views import lifecycle, offers, shifts, stops, tracking, trips


def extend(view, operation_id):
    """The start and end endpoints share a view; give each its own OpenAPI operation id."""
    return extend_schema_view(post=extend_schema(operation_id=operation_id))(type(operation_id, (view,), {}))


app_name = "trips-v1"
urlpatterns = [
    path("trips/", trips.TripListApi.as_view(), name="trips"),
    path("trips/<uuid:trip_id>/", trips.TripDetailApi.as_view(), name="trip"),
    path("fleets/<uuid:fleet_id>/customers/", trips.CustomersToBookForApi.as_view(), name="fleet-customers"),
    path("trips/<uuid:trip_id>/transitions/", lifecycle.TransitionApi.as_view(), name="trip-transition"),
    path("trips/<uuid:trip_id>/assign/", lifecycle.AssignApi.as_view(), name="trip-assign"),
    path("trips/<uuid:trip_id>/unassign/", lifecycle.UnassignApi.as_view(), name="trip-unassign"),
    path("trips/<uuid:trip_id>/timeline/", lifecycle.TimelineApi.as_view(), name="trip-timeline"),
    path("trips/<uuid:trip_id>/stops/<int:sequence>/arrive/", stops.StopArriveApi.as_view(), name="trip-stop-arrive"),
    path("trips/<uuid:trip_id>/stops/<int:sequence>/done/", stops.StopDoneApi.as_view(), name="trip-stop-done"),
    path("trips/<uuid:trip_id>/stops/<int:sequence>/fail/", stops.StopFailApi.as_view(), name="trip-stop-fail"),
    path("trips/<uuid:trip_id>/stops/<int:sequence>/proof/", stops.ProofApi.as_view(), name="trip-stop-proof"),
    path(
        "trips/<uuid:trip_id>/stops/<int:sequence>/proof/<str:which>/",  # signature | photo
        stops.ProofFileApi.as_view(),
        name="trip-stop-proof-file",
    ),
    path("track/<str:token>/", tracking.TrackingApi.as_view(), name="track"),
    path("trips/<uuid:trip_id>/offers/", offers.OfferCreateApi.as_view(), name="trip-offers"),
    path("offers/", offers.MyOffersApi.as_view(), name="my-offers"),
    path("offers/<uuid:offer_id>/accept/", offers.OfferAcceptApi.as_view(), name="offer-accept"),
    path("offers/<uuid:offer_id>/reject/", offers.OfferRejectApi.as_view(), name="offer-reject"),
    path("shifts/", shifts.ShiftListApi.as_view(), name="shifts"),
    path(
        "shifts/<uuid:shift_id>/start/",
        extend(shifts.ShiftStartEndApi, "trips_shifts_start").as_view(end=False),
        name="shift-start",
    ),
    path(
        "shifts/<uuid:shift_id>/end/",
        extend(shifts.ShiftStartEndApi, "trips_shifts_end").as_view(end=True),
        name="shift-end",
    ),
    path("shifts/<uuid:shift_id>/cancel/", shifts.ShiftCancelApi.as_view(), name="shift-cancel"),
]

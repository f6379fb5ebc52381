from django.urls import path

from apps.dispatch.rest_api.v1.views import board, positions, routing

app_name = "dispatch-v1"
urlpatterns = [
    path("positions/", positions.PositionUploadApi.as_view(), name="positions"),
    path("drivers/<uuid:driver_id>/trail/", positions.TrailApi.as_view(), name="driver-trail"),
    path("fleets/<uuid:fleet_id>/snapshot/", board.SnapshotApi.as_view(), name="snapshot"),
    path("trips/<uuid:trip_id>/candidates/", board.TripCandidatesApi.as_view(), name="trip-candidates"),
    path("fleets/<uuid:fleet_id>/routing-jobs/", routing.RoutingJobListApi.as_view(), name="routing-jobs"),
    path("routing-jobs/<uuid:job_id>/", routing.RoutingJobApi.as_view(), name="routing-job"),
    path("fleets/<uuid:fleet_id>/plans/", routing.PlanListApi.as_view(), name="plans"),
    path("plans/<uuid:plan_id>/", routing.PlanApi.as_view(), name="plan"),
    path("plans/<uuid:plan_id>/accept/", routing.PlanAcceptApi.as_view(), name="plan-accept"),
    path("plans/<uuid:plan_id>/insert/", routing.PlanInsertApi.as_view(), name="plan-insert"),
]

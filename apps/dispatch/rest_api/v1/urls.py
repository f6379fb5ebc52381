from django.urls import path

from apps.dispatch.rest_api.v1 import views

app_name = "dispatch-v1"
urlpatterns = [
    path("positions/", views.PositionUploadApi.as_view(), name="positions"),
    path("drivers/<uuid:driver_id>/trail/", views.TrailApi.as_view(), name="driver-trail"),
    path("fleets/<uuid:fleet_id>/snapshot/", views.SnapshotApi.as_view(), name="snapshot"),
    path("fleets/<uuid:fleet_id>/routing-jobs/", views.RoutingJobListApi.as_view(), name="routing-jobs"),
    path("routing-jobs/<uuid:job_id>/", views.RoutingJobApi.as_view(), name="routing-job"),
    path("fleets/<uuid:fleet_id>/plans/", views.PlanListApi.as_view(), name="plans"),
    path("plans/<uuid:plan_id>/", views.PlanApi.as_view(), name="plan"),
    path("plans/<uuid:plan_id>/accept/", views.PlanAcceptApi.as_view(), name="plan-accept"),
    path("plans/<uuid:plan_id>/insert/", views.PlanInsertApi.as_view(), name="plan-insert"),
]

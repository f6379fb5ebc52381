from django.urls import path

from apps.dispatch.rest_api.v1 import views

app_name = "dispatch-v1"
urlpatterns = [
    path("positions/", views.PositionUploadApi.as_view(), name="positions"),
    path("drivers/<uuid:driver_id>/trail/", views.TrailApi.as_view(), name="driver-trail"),
    path("fleets/<uuid:fleet_id>/snapshot/", views.SnapshotApi.as_view(), name="snapshot"),
]

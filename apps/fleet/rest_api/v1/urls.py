from django.urls import path

from apps.fleet.rest_api.v1 import views

app_name = "fleet-v1"
urlpatterns = [
    path("fleets/", views.FleetListApi.as_view(), name="fleets"),
    path("fleets/<uuid:fleet_id>/", views.FleetDetailApi.as_view(), name="fleet"),
    path("fleets/<uuid:fleet_id>/transitions/", views.FleetTransitionApi.as_view(), name="fleet-transition"),
    path("fleets/<uuid:fleet_id>/history/", views.FleetHistoryApi.as_view(), name="fleet-history"),
    path("vehicles/", views.VehicleListApi.as_view(), name="vehicles"),
    path("vehicles/<uuid:vehicle_id>/", views.VehicleDetailApi.as_view(), name="vehicle"),
    path("vehicles/<uuid:vehicle_id>/status/", views.VehicleStatusApi.as_view(), name="vehicle-status"),
    path("vehicles/<uuid:vehicle_id>/documents/", views.VehicleDocumentListApi.as_view(), name="vehicle-documents"),
    path(
        "vehicles/<uuid:vehicle_id>/documents/<uuid:document_id>/file/",
        views.VehicleDocumentFileApi.as_view(),
        name="vehicle-document-file",
    ),
    path("vehicles/<uuid:vehicle_id>/maintenance/", views.MaintenanceListApi.as_view(), name="vehicle-maintenance"),
]

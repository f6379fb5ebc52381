from django.urls import path

from apps.fleet.rest_api.v1.views import fleets, vehicles

app_name = "fleet-v1"
urlpatterns = [
    path("fleets/", fleets.FleetListApi.as_view(), name="fleets"),
    path("fleets/<uuid:fleet_id>/", fleets.FleetDetailApi.as_view(), name="fleet"),
    path("fleets/<uuid:fleet_id>/transitions/", fleets.FleetTransitionApi.as_view(), name="fleet-transition"),
    path("fleets/<uuid:fleet_id>/history/", fleets.FleetHistoryApi.as_view(), name="fleet-history"),
    path("vehicles/", vehicles.VehicleListApi.as_view(), name="vehicles"),
    path("vehicles/<uuid:vehicle_id>/", vehicles.VehicleDetailApi.as_view(), name="vehicle"),
    path("vehicles/<uuid:vehicle_id>/status/", vehicles.VehicleStatusApi.as_view(), name="vehicle-status"),
    path("vehicles/<uuid:vehicle_id>/documents/", vehicles.VehicleDocumentListApi.as_view(), name="vehicle-documents"),
    path(
        "vehicles/<uuid:vehicle_id>/documents/<uuid:document_id>/file/",
        vehicles.VehicleDocumentFileApi.as_view(),
        name="vehicle-document-file",
    ),
    path("vehicles/<uuid:vehicle_id>/maintenance/", vehicles.MaintenanceListApi.as_view(), name="vehicle-maintenance"),
]

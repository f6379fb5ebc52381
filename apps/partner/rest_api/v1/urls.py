from django.urls import path

from apps.partner.rest_api.v1 import views

app_name = "partner-v1"
urlpatterns = [
    path("drivers/", views.DriverListApi.as_view(), name="drivers"),
    path("drivers/<uuid:driver_id>/", views.DriverDetailApi.as_view(), name="driver"),
    path("drivers/<uuid:driver_id>/suspend/", views.DriverSuspendApi.as_view(), name="driver-suspend"),
    path("drivers/<uuid:driver_id>/reinstate/", views.DriverReinstateApi.as_view(), name="driver-reinstate"),
    path("drivers/<uuid:driver_id>/documents/", views.DriverDocumentsApi.as_view(), name="driver-documents"),
    path("documents/", views.DocumentReviewListApi.as_view(), name="documents"),
    path("documents/<uuid:document_id>/review/", views.DocumentReviewApi.as_view(), name="document-review"),
    path("documents/<uuid:document_id>/file/", views.DocumentFileApi.as_view(), name="document-file"),
    path("document-types/", views.DocumentTypesApi.as_view(), name="document-types"),
    path("me/", views.MyProfileApi.as_view(), name="me"),
    path("me/documents/", views.MyDocumentsApi.as_view(), name="my-documents"),
    path("me/photo/", views.MyPhotoApi.as_view(), name="my-photo"),
    path("drivers/<uuid:driver_id>/photo/", views.DriverPhotoApi.as_view(), name="driver-photo"),
    path("me/compliance/", views.MyComplianceApi.as_view(), name="my-compliance"),
    path("me/duty/", views.MyDutyApi.as_view(), name="my-duty"),
    path("me/availability/", views.MyAvailabilityApi.as_view(), name="my-availability"),
    path("me/availability/exceptions/", views.MyAvailabilityExceptionsApi.as_view(), name="my-availability-exceptions"),
    path(
        "me/availability/exceptions/<uuid:exception_id>/",
        views.MyAvailabilityExceptionApi.as_view(),
        name="my-availability-exception",
    ),
]

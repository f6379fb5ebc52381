from django.urls import path

from apps.partner.rest_api.v1.views import availability, documents, drivers, me

app_name = "partner-v1"
urlpatterns = [
    path("drivers/", drivers.DriverListApi.as_view(), name="drivers"),
    path("drivers/<uuid:driver_id>/", drivers.DriverDetailApi.as_view(), name="driver"),
    path("drivers/<uuid:driver_id>/suspend/", drivers.DriverSuspendApi.as_view(), name="driver-suspend"),
    path("drivers/<uuid:driver_id>/reinstate/", drivers.DriverReinstateApi.as_view(), name="driver-reinstate"),
    path("drivers/<uuid:driver_id>/documents/", drivers.DriverDocumentsApi.as_view(), name="driver-documents"),
    path("documents/", documents.DocumentReviewListApi.as_view(), name="documents"),
    path("documents/<uuid:document_id>/review/", documents.DocumentReviewApi.as_view(), name="document-review"),
    path("documents/<uuid:document_id>/file/", documents.DocumentFileApi.as_view(), name="document-file"),
    path("document-types/", documents.DocumentTypesApi.as_view(), name="document-types"),
    path("me/", me.MyProfileApi.as_view(), name="me"),
    path("me/documents/", me.MyDocumentsApi.as_view(), name="my-documents"),
    path("me/photo/", me.MyPhotoApi.as_view(), name="my-photo"),
    path("drivers/<uuid:driver_id>/photo/", drivers.DriverPhotoApi.as_view(), name="driver-photo"),
    path("me/compliance/", me.MyComplianceApi.as_view(), name="my-compliance"),
    path("me/duty/", me.MyDutyApi.as_view(), name="my-duty"),
    path("me/availability/", availability.MyAvailabilityApi.as_view(), name="my-availability"),
    path(
        "me/availability/exceptions/",
        availability.MyAvailabilityExceptionsApi.as_view(),
        name="my-availability-exceptions",
    ),
    path(
        "me/availability/exceptions/<uuid:exception_id>/",
        availability.MyAvailabilityExceptionApi.as_view(),
        name="my-availability-exception",
    ),
]

"""The driver app: the caller's own profile, photo, KYC documents, compliance and duty."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.partner.contracts import KycDocumentType
from apps.partner.rest_api.v1.serializers.documents import KYC_UPLOAD_SCHEMA, KYC_UPLOADS, DocumentOutput, KycTypeInput
from apps.partner.rest_api.v1.serializers.drivers import ComplianceOutput, DriverOutput
from apps.partner.rest_api.v1.views._shared import DRIVERS, FLEET_PARAM, ME, me
from apps.partner.selectors import drivers as driver_selectors
from apps.partner.services import drivers, duty, kyc
from logitrack.http.params import paginated
from logitrack.http.parsers import JSONParser
from logitrack.http.serializers import StrictInputSerializer
from logitrack.idempotency.drf import idempotent


class MyProfileApi(APIView):
    permission_classes = [DRIVERS]

    class UpdateSerializer(StrictInputSerializer):
        phone = serializers.RegexField(r"^\+[1-9]\d{6,14}$", required=False, allow_blank=True)
        licence_classes = serializers.RegexField(r"^[A-Za-z0-9]{1,3}(,[A-Za-z0-9]{1,3})*$", required=False)
        emergency_contact_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
        emergency_contact_phone = serializers.RegexField(r"^\+[1-9]\d{6,14}$", required=False, allow_blank=True)

    @extend_schema(
        tags=["driver app"],
        parameters=[FLEET_PARAM],
        responses={200: DriverOutput, **ME},
        operation_id="partner_me_get",
    )
    def get(self, request):
        return Response(DriverOutput(me(request)).data)

    @extend_schema(
        tags=["driver app"],
        parameters=[FLEET_PARAM],
        request=UpdateSerializer,
        responses={200: DriverOutput, **ME},
        operation_id="partner_me_update",
    )
    @idempotent
    def patch(self, request):
        driver = me(request)
        data = self.UpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(DriverOutput(drivers.driver_profile_update(driver_id=driver.id, data=data.validated_data)).data)


class MyPhotoApi(APIView):
    permission_classes = [DRIVERS]
    parser_classes = [MultiPartParser]

    class UploadSerializer(StrictInputSerializer):
        photo = serializers.FileField(
            allow_empty_file=True,
            help_text="JPEG or PNG, at most 5 MB and 40 MP; stored re-encoded as JPEG, no metadata",
        )

    @extend_schema(
        tags=["driver app"],
        parameters=[FLEET_PARAM],
        request={"multipart/form-data": UploadSerializer},
        responses={200: DriverOutput, **ME},
        operation_id="partner_me_photo_upload",
    )
    @idempotent
    def post(self, request):
        driver = me(request)
        data = self.UploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(
            DriverOutput(drivers.driver_photo_set(driver_id=driver.id, upload=data.validated_data["photo"])).data
        )


class MyDocumentsApi(APIView):
    permission_classes = [DRIVERS]
    parser_classes = [MultiPartParser, JSONParser]

    @extend_schema(
        tags=["driver app"],
        parameters=[FLEET_PARAM],
        responses={200: DocumentOutput(many=True), **ME},
        operation_id="partner_me_documents_list",
    )
    def get(self, request):
        return paginated(self, request, driver_selectors.driver_documents(driver=me(request)), DocumentOutput)

    @extend_schema(
        tags=["driver app"],
        parameters=[FLEET_PARAM],
        request={"multipart/form-data": KYC_UPLOAD_SCHEMA},
        responses={201: DocumentOutput, **ME},
        operation_id="partner_me_documents_upload",
        description="Upload a KYC document. Its `type` decides which other fields it needs (each field's "
        "description says for which types; `GET /api/v1/partner/document-types/` lists them): a `driving_licence` "
        "needs `number`, `classes`, `issued_on` and `expires_on`; an `identity_document` `document_type`, `number` "
        "and `expires_on`; a `background_check` `provider`, `reference` and `checked_on` (`expires_on` optional). "
        "A missing field, or one another type has, is a 400 naming it.",
    )
    @idempotent
    def post(self, request):
        driver = me(request)
        kind = KycTypeInput(data={"type": request.data.get("type")} if hasattr(request.data, "get") else {})
        kind.is_valid(raise_exception=True)
        data = KYC_UPLOADS[KycDocumentType(kind.validated_data["type"])](data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        upload, doc_type = values.pop("file"), KycDocumentType(values.pop("type"))
        document = kyc.kyc_document_submit(driver_id=driver.id, doc_type=doc_type, data=values, upload=upload)
        return Response(DocumentOutput(document).data, status=201)


class MyComplianceApi(APIView):
    permission_classes = [DRIVERS]

    @extend_schema(
        tags=["driver app"],
        parameters=[FLEET_PARAM],
        responses={200: ComplianceOutput, **ME},
        operation_id="partner_me_compliance",
    )
    def get(self, request):
        return Response(ComplianceOutput(driver_selectors.driver_compliance(driver=me(request))).data)


class MyDutyApi(APIView):
    permission_classes = [DRIVERS]

    class InputSerializer(StrictInputSerializer):
        on_duty = serializers.BooleanField()

    @extend_schema(
        tags=["driver app"],
        parameters=[FLEET_PARAM],
        request=InputSerializer,
        responses={200: DriverOutput, **ME},
        operation_id="partner_me_duty",
    )
    @idempotent
    def post(self, request):
        driver = me(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(DriverOutput(duty.duty_set(driver_id=driver.id, on_duty=data.validated_data["on_duty"])).data)

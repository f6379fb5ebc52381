"""Partner REST API: managers review drivers and documents; drivers manage their own profile,
documents, duty and availability."""

from __future__ import annotations

import uuid

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.partner import selectors
from apps.partner.contracts import (
    ComplianceStatus,
    DocumentNotFound,
    DriverNotFound,
    DutyStatus,
    KycDocumentType,
    KycStatus,
)
from apps.partner.models import DriverProfile, KycDocument
from apps.partner.services import availability, compliance, drivers, duty, kyc
from logitrack import files
from logitrack.http import downloads
from logitrack.http.params import paginated, query_bool, query_choice, query_uuid
from logitrack.http.parsers import JSONParser
from logitrack.http.principal import HasRole, require_principal
from logitrack.http.schema import file_download, problems
from logitrack.http.serializers import StrictInputSerializer
from logitrack.idempotency.drf import idempotent
from logitrack.principal import Role

STAFF = HasRole.of(Role.FLEET_MANAGER, Role.DISPATCHER)
MANAGERS = HasRole.of(Role.FLEET_MANAGER)
DRIVERS = HasRole.of(Role.DRIVER)
FLEET_PARAM = OpenApiParameter("fleet_id", uuid.UUID, description="which fleet, when you drive for several")
# every /me/ endpoint: the caller must have an active driver profile (in that fleet)
ME = problems(**{"404": "you have no active driver profile (in that fleet): `partner.driver_not_found`"})


class DriverOutput(serializers.Serializer):
    id = serializers.UUIDField()
    user_id = serializers.UUIDField()
    fleet_id = serializers.UUIDField()
    display_name = serializers.CharField()
    phone = serializers.CharField()
    licence_classes = serializers.CharField()
    emergency_contact_name = serializers.CharField()
    emergency_contact_phone = serializers.CharField()
    active = serializers.BooleanField()
    compliance_status = serializers.ChoiceField(choices=[c.value for c in ComplianceStatus])
    compliance_reasons = serializers.ListField(child=serializers.CharField())
    suspended_at = serializers.DateTimeField(allow_null=True)
    suspension_reason = serializers.CharField()
    duty_status = serializers.ChoiceField(choices=[d.value for d in DutyStatus])
    duty_changed_at = serializers.DateTimeField(allow_null=True)
    has_photo = serializers.SerializerMethodField()

    def get_has_photo(self, driver) -> bool:
        return bool(driver.photo_path)


class DocumentDetailsOutput(serializers.Serializer):
    """The fields of the document's own type."""

    number = serializers.CharField(required=False, help_text="driving licence, identity document")
    classes = serializers.CharField(required=False, help_text="driving licence: comma-separated, e.g. B,C1")
    issued_on = serializers.DateField(required=False, help_text="driving licence")
    document_type = serializers.ChoiceField(
        choices=["passport", "id_card", "residence_permit"], required=False, help_text="identity document"
    )
    provider = serializers.CharField(required=False, help_text="background check")
    reference = serializers.CharField(required=False, help_text="background check")
    checked_on = serializers.DateField(required=False, help_text="background check")


class DocumentOutput(serializers.Serializer):
    id = serializers.UUIDField()
    driver_id = serializers.UUIDField()
    type = serializers.SerializerMethodField()
    status = serializers.ChoiceField(choices=[s.value for s in KycStatus])
    expires_on = serializers.DateField(allow_null=True)
    submitted_at = serializers.DateTimeField()
    reviewed_at = serializers.DateTimeField(allow_null=True)
    rejection_reason = serializers.CharField()
    details = serializers.SerializerMethodField()

    def get_type(self, doc) -> str:
        return doc.get_real_instance_class().TYPE.value

    @extend_schema_field(DocumentDetailsOutput)
    def get_details(self, doc) -> dict:
        real = doc.get_real_instance()
        keys = {"number", "classes", "issued_on", "document_type", "provider", "reference", "checked_on"}
        return {k: str(getattr(real, k)) for k in keys if hasattr(real, k)}


class ComplianceOutput(serializers.Serializer):
    status = serializers.ChoiceField(choices=[c.value for c in ComplianceStatus])
    reasons = serializers.ListField(child=serializers.CharField())
    duty_status = serializers.ChoiceField(choices=[d.value for d in DutyStatus])
    documents = DocumentOutput(many=True)


# ---- managers ------------------------------------------------------------------------------


def _driver_for_staff(request, driver_id, *, manage=False) -> DriverProfile:
    principal = require_principal(request)
    fleets = (
        None
        if principal.is_platform_admin
        else (principal.fleets(Role.FLEET_MANAGER) if manage else selectors.managed_fleets(principal))
    )
    qs = DriverProfile.objects.filter(id=driver_id)
    driver = (qs if fleets is None else qs.filter(fleet_id__in=fleets)).first()
    if driver is None:
        raise DriverNotFound("no such driver")
    return driver


class DriverListApi(APIView):
    permission_classes = [STAFF]

    @extend_schema(
        tags=["partner"],
        parameters=[
            OpenApiParameter("fleet_id", uuid.UUID),
            OpenApiParameter("compliance_status", str, enum=[c.value for c in ComplianceStatus]),
            OpenApiParameter("duty_status", str, enum=[d.value for d in DutyStatus]),
            OpenApiParameter("search", str),
            OpenApiParameter("include_inactive", bool),
        ],
        responses={200: DriverOutput(many=True)},
        operation_id="partner_drivers_list",
    )
    def get(self, request):
        qs = selectors.driver_list(
            fleets=selectors.managed_fleets(require_principal(request)),
            fleet_id=query_uuid(request, "fleet_id"),
            compliance=query_choice(request, "compliance_status", {c.value for c in ComplianceStatus}),
            duty=query_choice(request, "duty_status", {d.value for d in DutyStatus}),
            active=None if query_bool(request, "include_inactive") else True,
            search=request.query_params.get("search"),
        )
        return paginated(self, request, qs, DriverOutput)


class DriverDetailApi(APIView):
    permission_classes = [STAFF]

    @extend_schema(tags=["partner"], responses={200: DriverOutput}, operation_id="partner_drivers_get")
    def get(self, request, driver_id):
        return Response(DriverOutput(_driver_for_staff(request, driver_id)).data)


class DriverSuspendApi(APIView):
    permission_classes = [MANAGERS]

    class InputSerializer(StrictInputSerializer):
        reason = serializers.CharField(max_length=300)

    @extend_schema(
        tags=["partner"], request=InputSerializer, responses={200: DriverOutput}, operation_id="partner_drivers_suspend"
    )
    @idempotent
    def post(self, request, driver_id):
        driver = _driver_for_staff(request, driver_id, manage=True)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(DriverOutput(compliance.driver_suspend(driver_id=driver.id, **data.validated_data)).data)


class DriverReinstateApi(APIView):
    permission_classes = [MANAGERS]

    @extend_schema(
        tags=["partner"], request=None, responses={200: DriverOutput}, operation_id="partner_drivers_reinstate"
    )
    @idempotent
    def post(self, request, driver_id):
        driver = _driver_for_staff(request, driver_id, manage=True)
        return Response(DriverOutput(compliance.driver_reinstate(driver_id=driver.id)).data)


class DriverDocumentsApi(APIView):
    permission_classes = [MANAGERS]

    @extend_schema(
        tags=["partner"], responses={200: DocumentOutput(many=True)}, operation_id="partner_drivers_documents"
    )
    def get(self, request, driver_id):
        driver = _driver_for_staff(request, driver_id, manage=True)
        return paginated(self, request, driver.documents.order_by("-submitted_at"), DocumentOutput)


class DocumentReviewListApi(APIView):
    permission_classes = [MANAGERS]

    @extend_schema(
        tags=["partner"],
        parameters=[
            OpenApiParameter("fleet_id", uuid.UUID),
            OpenApiParameter("status", str, enum=[s.value for s in KycStatus]),
        ],
        responses={200: DocumentOutput(many=True)},
        operation_id="partner_documents_list",
    )
    def get(self, request):
        principal = require_principal(request)
        qs = selectors.documents_for_review(
            fleets=None if principal.is_platform_admin else principal.fleets(Role.FLEET_MANAGER),
            fleet_id=query_uuid(request, "fleet_id"),
            status=query_choice(request, "status", {s.value for s in KycStatus}) or KycStatus.SUBMITTED,
        )
        return paginated(self, request, qs, DocumentOutput)


def _document_for_manager(request, document_id) -> KycDocument:
    principal = require_principal(request)
    qs = KycDocument.objects.filter(id=document_id)
    if not principal.is_platform_admin:
        qs = qs.filter(driver__fleet_id__in=principal.fleets(Role.FLEET_MANAGER))
    document = qs.first()
    if document is None:
        raise DocumentNotFound("no such document")
    return document


class DocumentReviewApi(APIView):
    permission_classes = [MANAGERS]

    class InputSerializer(StrictInputSerializer):
        decision = serializers.ChoiceField(choices=["approve", "reject"])
        reason = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)

    @extend_schema(
        tags=["partner"],
        request=InputSerializer,
        responses={200: DocumentOutput},
        operation_id="partner_documents_review",
    )
    @idempotent
    def post(self, request, document_id):
        document = _document_for_manager(request, document_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reviewed = kyc.kyc_document_review(
            document_id=document.id,
            approve=data.validated_data["decision"] == "approve",
            reviewer_id=require_principal(request).user_id,
            reason=data.validated_data["reason"],
        )
        return Response(DocumentOutput(reviewed).data)


class DocumentFileApi(APIView):
    """The stored scan: to the fleet's managers, and to the driver it belongs to. Never public."""

    permission_classes = [HasRole.of(Role.FLEET_MANAGER, Role.DRIVER)]
    renderer_classes = downloads.renderers("application/pdf", "image/jpeg", "image/png")

    @extend_schema(
        tags=["partner"],
        responses=file_download("application/pdf", "image/jpeg", "image/png", description="the stored scan"),
        operation_id="partner_documents_file",
    )
    def get(self, request, document_id):
        principal = require_principal(request)
        document = KycDocument.objects.select_related("driver").filter(id=document_id).exclude(file_path="").first()
        allowed = document is not None and (
            principal.may_act_on_fleet(document.driver.fleet_id, Role.FLEET_MANAGER)
            or document.driver.user_id == principal.user_id
        )
        if not allowed:
            raise DocumentNotFound("no such document")
        return downloads.file_response(
            request, files.open_private(document.file_path), content_type=document.content_type, as_attachment=True
        )


# ---- the driver app ------------------------------------------------------------------------


def _me(request) -> DriverProfile:
    return selectors.driver_for_user(
        user_id=require_principal(request).user_id, fleet_id=query_uuid(request, "fleet_id")
    )


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
        return Response(DriverOutput(_me(request)).data)

    @extend_schema(
        tags=["driver app"],
        parameters=[FLEET_PARAM],
        request=UpdateSerializer,
        responses={200: DriverOutput, **ME},
        operation_id="partner_me_update",
    )
    @idempotent
    def patch(self, request):
        driver = _me(request)
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
        driver = _me(request)
        data = self.UploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(
            DriverOutput(drivers.driver_photo_set(driver_id=driver.id, upload=data.validated_data["photo"])).data
        )


class DriverPhotoApi(APIView):
    """A driver's photo: to the fleet's managers and dispatchers, and to the driver."""

    permission_classes = [HasRole.of(Role.FLEET_MANAGER, Role.DISPATCHER, Role.DRIVER)]
    renderer_classes = downloads.renderers("image/jpeg", "image/png")

    @extend_schema(
        tags=["partner"],
        responses=file_download("image/jpeg", "image/png", description="the photo"),
        operation_id="partner_drivers_photo",
    )
    def get(self, request, driver_id):
        principal = require_principal(request)
        driver = DriverProfile.objects.filter(id=driver_id).exclude(photo_path="").first()
        allowed = driver is not None and (
            principal.may_act_on_fleet(driver.fleet_id, Role.FLEET_MANAGER, Role.DISPATCHER)
            or driver.user_id == principal.user_id
        )
        if not allowed:
            raise DriverNotFound("no such photo")
        return downloads.file_response(
            request, files.open_private(driver.photo_path), content_type=files.content_type_of(driver.photo_path)
        )


class KycUploadBase(StrictInputSerializer):
    file = serializers.FileField(
        allow_empty_file=True,
        help_text="the scan: PDF (kept as sent; no scripts, not encrypted), or JPEG/PNG (at most 40 MP; stored "
        "re-encoded as JPEG, no metadata); at most 10 MB",
    )


# One serializer per document type says what that type needs (every field required unless marked otherwise):
# uploads are validated by the one their `type` names, and the schema and `document-types/` are made from them.
class DrivingLicenceUpload(KycUploadBase):
    type = serializers.ChoiceField(choices=[KycDocumentType.DRIVING_LICENCE.value])
    number = serializers.CharField(max_length=40, help_text="the document's number")
    classes = serializers.RegexField(
        r"^[A-Za-z0-9]{1,3}(,[A-Za-z0-9]{1,3})*$", help_text="licence classes, comma-separated, e.g. B,C1"
    )
    issued_on = serializers.DateField(help_text="date of issue")
    expires_on = serializers.DateField(help_text="not in the past, not before the issue or check date")


class IdentityDocumentUpload(KycUploadBase):
    type = serializers.ChoiceField(choices=[KycDocumentType.IDENTITY_DOCUMENT.value])
    document_type = serializers.ChoiceField(choices=["passport", "id_card", "residence_permit"])
    number = serializers.CharField(max_length=40, help_text="the document's number")
    expires_on = serializers.DateField(help_text="not in the past, not before the issue or check date")


class BackgroundCheckUpload(KycUploadBase):
    type = serializers.ChoiceField(choices=[KycDocumentType.BACKGROUND_CHECK.value])
    provider = serializers.CharField(max_length=100, help_text="who ran the check")
    reference = serializers.CharField(max_length=100, help_text="the provider's reference of the certificate")
    checked_on = serializers.DateField(help_text="when the check was made")
    expires_on = serializers.DateField(required=False, help_text="not in the past, not before the issue or check date")


KYC_UPLOADS: dict[KycDocumentType, type[KycUploadBase]] = {
    KycDocumentType.DRIVING_LICENCE: DrivingLicenceUpload,
    KycDocumentType.IDENTITY_DOCUMENT: IdentityDocumentUpload,
    KycDocumentType.BACKGROUND_CHECK: BackgroundCheckUpload,
}


def kyc_requirements() -> list[dict]:
    """Per document type, the fields an upload must and may carry (besides `type` and `file`)."""
    out = []
    for doc_type, upload in KYC_UPLOADS.items():
        fields = {n: f for n, f in upload().fields.items() if n not in ("type", "file")}
        out.append(
            {
                "type": doc_type.value,
                "required": [n for n, f in fields.items() if f.required],
                "optional": [n for n, f in fields.items() if not f.required],
            }
        )
    return out


def _documented_upload() -> type[serializers.Serializer]:
    """The upload as one multipart body (generators and fuzzers handle a oneOf of file bodies badly): every field
    of every type, each described with the types that require or allow it, as `document-types/` lists them."""
    needs = kyc_requirements()
    attrs = {
        "type": serializers.ChoiceField(
            choices=[t.value for t in KycDocumentType],
            help_text="which document; it decides the other fields (GET /api/v1/partner/document-types/): "
            + "; ".join(f"`{n['type']}` needs {', '.join(f'`{f}`' for f in n['required'])}" for n in needs),
        ),
        "file": KycUploadBase().fields["file"],
    }
    for upload in KYC_UPLOADS.values():
        for name, field in upload().fields.items():
            if name in attrs:
                continue
            required = [n["type"] for n in needs if name in n["required"]]
            optional = [n["type"] for n in needs if name in n["optional"]]
            rule = "; ".join(
                part
                for part in (
                    f"required for {', '.join(required)}" if required else "",
                    f"optional for {', '.join(optional)}" if optional else "",
                    "refused for any other type",
                )
                if part
            )
            help_text = f"{rule}. {field.help_text}" if field.help_text else f"{rule}."
            # same type and limits, optional in the one body, described
            attrs[name] = field.__class__(*field._args, **{**field._kwargs, "required": False, "help_text": help_text})
    return type("KycUpload", (StrictInputSerializer,), {**attrs, "__module__": __name__})


KYC_UPLOAD_SCHEMA = _documented_upload()


class _KycType(serializers.Serializer):
    type = serializers.ChoiceField(choices=[t.value for t in KycDocumentType])


class DocumentTypesApi(APIView):
    """What each KYC document type needs, for apps that build their upload forms from it. Public, like the
    schema it restates: the same for everyone, nothing of any fleet."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    class TypeOutput(serializers.Serializer):
        type = serializers.ChoiceField(choices=[t.value for t in KycDocumentType])
        required = serializers.ListField(child=serializers.CharField(), help_text="fields besides `type` and `file`")
        optional = serializers.ListField(child=serializers.CharField())

    @extend_schema(tags=["driver app"], responses={200: TypeOutput(many=True)}, operation_id="partner_document_types")
    def get(self, request):
        return paginated(self, request, kyc_requirements(), self.TypeOutput)


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
        return paginated(self, request, _me(request).documents.order_by("-submitted_at"), DocumentOutput)

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
        driver = _me(request)
        kind = _KycType(data={"type": request.data.get("type")} if hasattr(request.data, "get") else {})
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
        driver = _me(request)
        return Response(
            ComplianceOutput(
                {
                    "status": driver.compliance_status,
                    "reasons": driver.compliance_reasons,
                    "duty_status": driver.duty_status,
                    "documents": driver.documents.order_by("-submitted_at"),
                }
            ).data
        )


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
        driver = _me(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(DriverOutput(duty.duty_set(driver_id=driver.id, on_duty=data.validated_data["on_duty"])).data)


class WindowSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text="0 = Monday")
    starts = serializers.TimeField()
    ends = serializers.TimeField()

    def validate(self, attrs):
        if attrs["ends"] <= attrs["starts"]:
            raise serializers.ValidationError({"ends": ["Must be after starts."]})
        return attrs


class ExceptionSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    date = serializers.DateField()
    available = serializers.BooleanField(default=False)
    starts = serializers.TimeField(required=False, allow_null=True, default=None)
    ends = serializers.TimeField(required=False, allow_null=True, default=None)
    reason = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


class AvailabilityOutput(serializers.Serializer):
    windows = WindowSerializer(many=True)
    exceptions = ExceptionSerializer(many=True)


class MyAvailabilityApi(APIView):
    permission_classes = [DRIVERS]

    class InputSerializer(StrictInputSerializer):
        windows = WindowSerializer(many=True, max_length=50)

    def _render(self, driver):
        return Response(
            AvailabilityOutput(
                {
                    "windows": driver.availability.order_by("weekday", "starts"),
                    "exceptions": driver.availability_exceptions.order_by("date", "starts"),
                }
            ).data
        )

    @extend_schema(
        tags=["driver app"],
        parameters=[FLEET_PARAM],
        responses={200: AvailabilityOutput, **ME},
        operation_id="partner_me_availability_get",
    )
    def get(self, request):
        return self._render(_me(request))

    @extend_schema(
        tags=["driver app"],
        parameters=[FLEET_PARAM],
        request=InputSerializer,
        responses={200: AvailabilityOutput, **ME},
        operation_id="partner_me_availability_replace",
    )
    @idempotent
    def put(self, request):
        driver = _me(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        windows = [(w["weekday"], w["starts"], w["ends"]) for w in data.validated_data["windows"]]
        availability.availability_replace(driver_id=driver.id, windows=windows)
        return self._render(driver)


class MyAvailabilityExceptionsApi(APIView):
    permission_classes = [DRIVERS]

    class InputSerializer(StrictInputSerializer, ExceptionSerializer):
        pass

    @extend_schema(
        tags=["driver app"],
        parameters=[FLEET_PARAM],
        request=InputSerializer,
        responses={201: ExceptionSerializer, **ME},
        operation_id="partner_me_availability_exception_add",
    )
    @idempotent
    def post(self, request):
        driver = _me(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        exception = availability.availability_exception_add(driver_id=driver.id, **data.validated_data)
        return Response(ExceptionSerializer(exception).data, status=201)


class MyAvailabilityExceptionApi(APIView):
    permission_classes = [DRIVERS]

    @extend_schema(
        tags=["driver app"],
        parameters=[FLEET_PARAM],
        responses={204: None, **ME},
        operation_id="partner_me_availability_exception_remove",
    )
    def delete(self, request, exception_id):
        availability.availability_exception_remove(driver_id=_me(request).id, exception_id=exception_id)
        return Response(status=204)

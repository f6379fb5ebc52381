"""KYC documents for managers: the review queue, the review, the stored scan; and, for everyone, what each
document type needs."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.partner.contracts import KycDocumentType
from apps.partner.rest_api.v1.filters import DocumentFilter
from apps.partner.rest_api.v1.serializers.documents import DocumentOutput, kyc_requirements
from apps.partner.rest_api.v1.views._shared import MANAGERS
from apps.partner.selectors import documents as document_selectors
from apps.partner.selectors import visibility
from apps.partner.services import kyc
from logitrack import files
from logitrack.http import downloads
from logitrack.http.filters import FilteredList
from logitrack.http.params import paginated
from logitrack.http.principal import HasRole, require_principal
from logitrack.http.schema import file_download
from logitrack.http.serializers import StrictInputSerializer
from logitrack.idempotency.drf import idempotent
from logitrack.principal import Role


class DocumentReviewListApi(FilteredList, APIView):
    permission_classes = [MANAGERS]
    filterset_class = DocumentFilter

    @extend_schema(tags=["partner"], responses={200: DocumentOutput(many=True)}, operation_id="partner_documents_list")
    def get(self, request):
        qs = self.filter_queryset(document_selectors.documents_for_review(principal=require_principal(request)))
        return paginated(self, request, qs, DocumentOutput)


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
        principal = require_principal(request)
        document = visibility.document_get(principal=principal, document_id=document_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reviewed = kyc.kyc_document_review(
            document_id=document.id,
            approve=data.validated_data["decision"] == "approve",
            reviewer_id=principal.user_id,
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
        document = visibility.document_file_get(principal=require_principal(request), document_id=document_id)
        return downloads.file_response(
            request, files.open_private(document.file_path), content_type=document.content_type, as_attachment=True
        )


class DocumentTypesApi(APIView):
    """What each KYC document type needs, for apps that build their upload forms from it. Public, like the
    schema it restates: the same for everyone, nothing of any fleet."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    class TypeOutput(serializers.Serializer):
        type = serializers.ChoiceField(choices=[t.value for t in KycDocumentType])
        # DRF's metaclass takes declared fields off the class, so this does not hide Field.required; its stubs can't say
        required = serializers.ListField(  # type: ignore[assignment]
            child=serializers.CharField(), help_text="fields besides `type` and `file`"
        )
        optional = serializers.ListField(child=serializers.CharField())

    @extend_schema(tags=["driver app"], responses={200: TypeOutput(many=True)}, operation_id="partner_document_types")
    def get(self, request):
        return paginated(self, request, kyc_requirements(), self.TypeOutput)

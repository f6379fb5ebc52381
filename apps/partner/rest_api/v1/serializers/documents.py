"""KYC documents over the API: how one looks, and what an upload of each type must carry. One serializer per
document type says what that type needs; uploads are validated by the one their `type` names, and both the
schema and `document-types/` are made from them."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.partner.contracts import KycDocumentType, KycStatus
from logitrack.http.serializers import StrictInputSerializer


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
        return doc.kyc_type.value

    @extend_schema_field(DocumentDetailsOutput)
    def get_details(self, doc) -> dict:
        real = doc.get_real_instance()
        keys = {"number", "classes", "issued_on", "document_type", "provider", "reference", "checked_on"}
        return {k: str(getattr(real, k)) for k in keys if hasattr(real, k)}


class KycUploadBase(StrictInputSerializer):
    file = serializers.FileField(
        allow_empty_file=True,
        help_text="the scan: PDF (kept as sent; no scripts, not encrypted), or JPEG/PNG (at most 40 MP; stored "
        "re-encoded as JPEG, no metadata); at most 10 MB",
    )


# every field required unless marked otherwise
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
            # same type and limits, optional in the one body, described. DRF keeps each field's constructor
            # arguments in _args/_kwargs (Field.__new__, for deepcopy); its stubs don't declare them.
            args, kwargs = field._args, field._kwargs  # type: ignore[attr-defined]
            attrs[name] = field.__class__(*args, **{**kwargs, "required": False, "help_text": help_text})
    return type("KycUpload", (StrictInputSerializer,), {**attrs, "__module__": __name__})


KYC_UPLOAD_SCHEMA = _documented_upload()


class KycTypeInput(serializers.Serializer):
    type = serializers.ChoiceField(choices=[t.value for t in KycDocumentType])

"""The review page of a KYC document: its scan inline beside everything a reviewer checks, approve or reject with a
reason through the review service, then on to the next document waiting.

The scan is served by two admin views that answer only who may see the page (partner's visibility selector): an
image as itself, a PDF's pages drawn as PNGs by PDFium (logitrack.pdfs; the CSP refuses objects and frames, so a
PDF is never embedded). Each checks the stored bytes against the content type recorded at upload before anything
is sent or drawn, refuses files over the upload limit, and answers with `nosniff`, no caching and a sandboxing
CSP; a PDF itself only ever goes out as an attachment.
"""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views import View

from apps.partner.admin._shared import fleet_localities, fleet_names, user_names
from apps.partner.contracts import DocumentNotFound, KycStatus
from apps.partner.models import KYC_FIELDS, KycDocument
from apps.partner.selectors import documents as document_selectors
from apps.partner.selectors import drivers as driver_selectors
from apps.partner.selectors import visibility
from apps.partner.services import kyc
from logitrack import files, formatting, pdfs
from logitrack.exceptions import ApplicationError, ValidationFailed
from logitrack.http.principal import principal

REASONS = {
    "unreadable": "unreadable or incomplete scan",
    "invalid": "details do not match or the document is not valid",
    "expired": "the document has expired or expires too soon",
    "wrong_type": "not the kind of document it was submitted as",
    "other": "other (say why below)",
}
IMAGE_TYPES = ("image/jpeg", "image/png")
SCAN_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, no-store",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cross-Origin-Resource-Policy": "same-origin",
}


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    reason = forms.ChoiceField(choices=[("", "— why reject? —"), *REASONS.items()], required=False)
    note = forms.CharField(
        required=False, max_length=200, widget=forms.Textarea(attrs={"rows": 2}), label="Note to the driver"
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject":
            if not data.get("reason"):
                self.add_error("reason", "Say why the document is rejected.")
            elif data["reason"] == "other" and not data.get("note", "").strip():
                self.add_error("note", "Write the reason when it is none of the listed ones.")
        return data

    def reason_text(self) -> str:
        reason, note = self.cleaned_data.get("reason") or "", self.cleaned_data.get("note", "").strip()
        if self.cleaned_data["decision"] == "approve" or not reason:
            return ""
        if reason == "other":
            return note
        return f"{REASONS[reason]}: {note}" if note else REASONS[reason]


def _document(request, object_id: str) -> KycDocument:
    """The document if the user reviews it (partner's visibility selector); anything else is a 404, the same for
    another fleet's document as for an id that exists nowhere."""
    found = principal(request)
    if found is None:
        raise Http404("no such document")
    try:
        return visibility.document_get(principal=found, document_id=uuid.UUID(str(object_id))).get_real_instance()
    except (DocumentNotFound, ValueError, ValidationError):
        raise Http404("no such document") from None


def _stored_bytes(document: KycDocument) -> tuple[bytes, str]:
    """The stored scan and its checked content type; 404 without one, 413 over the limit, 415 when the bytes are not
    what was recorded at upload (never served or drawn then)."""
    if not document.file_path:
        raise Http404("no scan stored")
    if document.size > kyc.DOCUMENT_MAX_BYTES:
        raise _Refused(413, "this scan is larger than uploads may be")
    try:
        with files.open_private(document.file_path) as handle:
            data = handle.read(kyc.DOCUMENT_MAX_BYTES + 1)
    except FileNotFoundError:
        raise Http404("the scan is not in this storage") from None
    if len(data) > kyc.DOCUMENT_MAX_BYTES:
        raise _Refused(413, "this scan is larger than uploads may be")
    kind = files.sniff(data[:16])
    if kind is None or files.KINDS[kind][2] != document.content_type:
        raise _Refused(415, "the stored file is not what it was recorded as; it is not shown")
    return data, document.content_type


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def _plain(status: int, message: str) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8", headers=SCAN_HEADERS)


def scan_view(model_admin):
    """GET <document>/scan/: an image inline, a PDF as an attachment (its pages are shown through scan_page)."""

    def view(request, object_id):
        if not model_admin.has_view_permission(request):
            raise PermissionDenied
        document = _document(request, object_id)
        try:
            data, content_type = _stored_bytes(document)
        except _Refused as refused:
            return _plain(refused.status, refused.message)
        inline = content_type in IMAGE_TYPES
        extension = files.KINDS[files.sniff(data[:16]) or "pdf"][1][0]
        name = f"{document.kyc_type.value}-{str(document.pk)[:8]}{extension}"
        response = HttpResponse(data, content_type=content_type, headers=SCAN_HEADERS)
        response["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{name}"'
        return response

    return view


def scan_page_view(model_admin):
    """GET <document>/scan/page/<n>/: page n (from 1) of a PDF scan drawn as a PNG."""

    def view(request, object_id, number):
        if not model_admin.has_view_permission(request):
            raise PermissionDenied
        document = _document(request, object_id)
        try:
            data, content_type = _stored_bytes(document)
        except _Refused as refused:
            return _plain(refused.status, refused.message)
        if content_type != "application/pdf":
            return _plain(404, "this scan is an image: it has no pages")
        try:
            png = pdfs.render_page(data, number - 1)
        except ValidationFailed as exc:
            return _plain(404 if exc.code == "upload.no_such_page" else 415, exc.message)
        response = HttpResponse(png, content_type="image/png", headers=SCAN_HEADERS)
        response["Content-Disposition"] = f'inline; filename="page-{number}.png"'
        return response

    return view


class ReviewView(View):
    """GET: the document with its scan and the driver's standing; POST: approve or reject it, then the next."""

    model_admin = None
    template_name = "admin/partner/kycdocument/review.html"

    def dispatch(self, request, object_id):
        if not self.model_admin.has_view_permission(request):
            raise PermissionDenied
        self.document = _document(request, object_id)  # 404 without a principal
        self.reviewer = principal(request)
        return super().dispatch(request, object_id)

    def get(self, request, object_id):
        return self.render(request, ReviewForm())

    def post(self, request, object_id):
        if not self.model_admin.has_change_permission(request):
            raise PermissionDenied
        form = ReviewForm(request.POST)
        if form.is_valid():
            try:
                kyc.kyc_document_review(
                    document_id=self.document.pk,
                    approve=form.cleaned_data["decision"] == "approve",
                    reviewer_id=self.reviewer.user_id,
                    reason=form.reason_text(),
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                done = "approved" if form.cleaned_data["decision"] == "approve" else "rejected"
                messages.success(request, f"{self._title()} {done}.")
                return redirect(self._after(request))
        self.document.refresh_from_db()
        return self.render(request, form, status=400)

    def _after(self, request) -> str:
        following = document_selectors.review_next(principal=self.reviewer, after=self.document)
        if following is not None:
            return reverse("admin:partner_kycdocument_review", args=[following.pk])
        return reverse("admin:partner_kycdocument_changelist") + "?status__exact=submitted"

    def _title(self) -> str:
        return f"{self.document.kyc_type.value.replace('_', ' ').capitalize()} of {self._driver_name()}"

    def _driver_name(self) -> str:
        return self.document.driver.display_name or "an unnamed driver"

    def render(self, request, form, status=200):
        document, driver = self.document, self.document.driver
        place = fleet_localities(fleet_ids=[driver.fleet_id]).get(driver.fleet_id) or formatting.Locality()
        queue = document_selectors.review_queue(principal=self.reviewer)
        following = document_selectors.review_next(principal=self.reviewer, after=document)
        scan = self._scan(document)

        def when(value):
            return formatting.local_datetime(value, place.time_zone, place.locale)

        details = []
        for field in KYC_FIELDS[document.kyc_type]:
            value = getattr(document, field)
            model_field = document._meta.get_field(field)
            if getattr(model_field, "choices", None):
                value = getattr(document, f"get_{field}_display")()
            elif hasattr(value, "isoformat"):
                value = formatting.local_date(value, place.locale)
            details.append((str(model_field.verbose_name).capitalize(), value))
        others = [
            {
                "url": reverse("admin:partner_kycdocument_review", args=[d.pk]),
                "type": d.kyc_type.value.replace("_", " "),
                "status": d.get_status_display(),
                "submitted": when(d.submitted_at),
                "expires": formatting.local_date(d.expires_on, place.locale) if d.expires_on else "",
            }
            for d in driver_selectors.driver_documents(driver=driver)
            if d.pk != document.pk
        ]
        reviewer = (
            user_names(ids=[document.reviewed_by_id]).get(document.reviewed_by_id) if document.reviewed_by_id else None
        )
        context = {
            **self.model_admin.admin_site.each_context(request),
            "opts": self.model_admin.opts,
            "title": self._title(),
            "subtitle": None,
            "document": document,
            "type": document.kyc_type.value.replace("_", " "),
            "driver": driver,
            "driver_url": reverse("admin:partner_driverprofile_change", args=[driver.pk]),
            "fleet_name": fleet_names(ids=[driver.fleet_id]).get(driver.fleet_id, ""),
            "details": details,
            "submitted": when(document.submitted_at),
            "reviewed": when(document.reviewed_at) if document.reviewed_at else "",
            "reviewer": reviewer or ("the platform" if document.reviewed_at else ""),
            "size": filesizeformat(document.size),
            "scan": scan,
            "others": others,
            "reasons": [str(r).replace("_", " ").capitalize() for r in driver.compliance_reasons or ()],
            "pending": document.status == KycStatus.SUBMITTED,
            "waiting": queue.count(),
            "next_url": reverse("admin:partner_kycdocument_review", args=[following.pk]) if following else "",
            "queue_url": reverse("admin:partner_kycdocument_changelist") + "?status__exact=submitted",
            "form": form,
            "can_review": self.model_admin.has_change_permission(request),
            "time_zone": place.time_zone,
        }
        return TemplateResponse(request, self.template_name, context, status=status)

    def _scan(self, document) -> dict:
        """What the page shows of the scan: an image, a PDF's pages, or why there is none."""
        base = reverse("admin:partner_kycdocument_scan", args=[document.pk])
        try:
            data, content_type = _stored_bytes(document)
        except Http404:
            return {"missing": "No scan is stored for this document."}
        except _Refused as refused:
            return {"missing": refused.message.capitalize() + "."}
        if content_type in IMAGE_TYPES:
            return {"images": [base], "download": base}
        try:
            count = pdfs.page_count(data)
        except ValidationFailed as exc:
            return {"missing": exc.message.capitalize() + ".", "download": base}
        pages = [reverse("admin:partner_kycdocument_scan_page", args=[document.pk, n]) for n in range(1, count + 1)]
        return {"images": pages, "download": base, "pdf": True}

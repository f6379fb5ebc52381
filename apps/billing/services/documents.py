"""Invoice PDFs with WeasyPrint. Everything user-supplied is escaped by the template, and the
renderer fetches nothing: no remote URL, no local file, whatever a field contains."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.loader import render_to_string

from apps.billing.models import Invoice
from logitrack import images
from logitrack.formatting import locale_for

TITLES = {Invoice.Kind.INVOICE: "Invoice", Invoice.Kind.RECEIPT: "Receipt", Invoice.Kind.CREDIT_NOTE: "Credit note"}
NOTES = {
    Invoice.Kind.INVOICE: "Thank you for riding and shipping with us. Amounts are in the stated currency.",
    Invoice.Kind.RECEIPT: "Paid. This receipt confirms the fare of the trip above.",
    Invoice.Kind.CREDIT_NOTE: "This credit note refunds the amounts above to the original payment method.",
}


class FetchRefused(Exception):
    pass


def refusing_fetcher():
    """A WeasyPrint URL fetcher that fetches nothing: no remote URL (SSRF), no local file."""
    from weasyprint.urls import URLFetcher  # heavy import: only where PDFs are made

    images.refuse_truncated_images()  # WeasyPrint's import turned Pillow's global on; invoices embed no image

    class RefuseAll(URLFetcher):
        def fetch(self, url, headers=None):
            raise FetchRefused(f"resource fetching is disabled: {url[:100]}")

    return RefuseAll()


def invoice_html(invoice: Invoice) -> str:
    return render_to_string(
        "billing/invoice.html",
        {
            "invoice": invoice,
            "seller": invoice.seller,
            "buyer": invoice.buyer,
            "title": TITLES[Invoice.Kind(invoice.kind)],
            "note": NOTES[Invoice.Kind(invoice.kind)],
            "locale": locale_for(invoice.seller.get("country", "")),
        },
    )


def invoice_pdf(invoice: Invoice) -> bytes:
    return html_pdf(invoice_html(invoice))


def html_pdf(html: str) -> bytes:
    """A self-contained HTML document (inline CSS, no images) as a PDF, fetching nothing."""
    from weasyprint import HTML  # heavy import: only where PDFs are made

    images.refuse_truncated_images()  # see refusing_fetcher

    return HTML(string=html, url_fetcher=refusing_fetcher()).write_pdf()


def store_pdf(invoice: Invoice) -> str:
    return default_storage.save(
        f"private/invoices/{invoice.fleet_id}/{invoice.number}.pdf", ContentFile(invoice_pdf(invoice))
    )

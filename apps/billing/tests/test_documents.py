"""Making invoice PDFs leaves the process's image decoding as strict as before."""

from PIL import ImageFile

from apps.billing.services import documents


def test_importing_weasyprint_for_an_invoice_leaves_pillow_refusing_truncated_images():
    # WeasyPrint sets Pillow's process-wide LOAD_TRUNCATED_IMAGES on import; uploads decoded afterwards
    # (logitrack.images) must still refuse an image cut short.
    documents.refusing_fetcher()
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    from weasyprint import HTML

    HTML(string="<p>x</p>", url_fetcher=documents.refusing_fetcher()).write_pdf()
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False

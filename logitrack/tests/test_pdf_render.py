"""PDF pages drawn as PNGs for reviewers (logitrack.pdfs.render_page)."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from pypdf import PdfWriter

from logitrack import pdfs
from logitrack.exceptions import ValidationFailed


def _pdf(*sizes: tuple[int, int]) -> bytes:
    writer = PdfWriter()
    for width, height in sizes:
        writer.add_blank_page(width, height)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_each_page_is_drawn_as_a_png_of_the_asked_width_keeping_its_shape():
    data = _pdf((595, 842), (842, 595))

    assert pdfs.page_count(data) == 2
    portrait = Image.open(io.BytesIO(pdfs.render_page(data, 0, width=500)))
    landscape = Image.open(io.BytesIO(pdfs.render_page(data, 1, width=500)))

    assert portrait.format == landscape.format == "PNG"
    assert portrait.size == (500, 708)  # 842 * 500 / 595 = 707.6, PDFium rounds up
    assert landscape.size == (500, 354)  # 353.3 up
    assert portrait.getpixel((250, 350))[:3] == (255, 255, 255)  # a blank page is white, not transparent


def test_a_page_that_does_not_exist_or_a_file_that_is_not_a_pdf_is_refused():
    data = _pdf((595, 842))
    with pytest.raises(ValidationFailed) as missing:
        pdfs.render_page(data, 1)
    assert missing.value.code == "upload.no_such_page"
    with pytest.raises(ValidationFailed) as broken:
        pdfs.render_page(b"%PDF-1.7 not really", 0)
    assert broken.value.code == "upload.undecodable"

"""Uploaded PDFs checked for what they claim to be: a readable, unencrypted document of a few pages with
nothing that runs.

PDFs are kept byte for byte (a background check or a licence extract may carry the issuer's digital
signature, which any rewrite would break), so this refuses what a reviewer should never open instead of
rewriting it: a file pypdf cannot parse, one with no page or too many, one encrypted, and one whose
objects hold JavaScript, launch or submit actions, embedded files, XFA forms or rich media (anywhere:
pypdf resolves object streams and hex-escaped names, so compressed or disguised dictionaries are seen,
and every value compared is first resolved through its indirect references, so `/S 7 0 R` with object 7
being `/Launch` is seen too).
"""

from __future__ import annotations

import io
import struct
from typing import Any

import pypdfium2
from pypdf import PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from logitrack.exceptions import ValidationFailed

MAX_PAGES = 50
MAX_OBJECTS = 200_000  # a walk bound: a scan of a few pages has hundreds
MAX_REFERENCE_HOPS = 32  # a reference to a reference...: real files have one hop; more is a cycle or a trick
ACTIVE_KEYS = frozenset(
    {
        "/JS",
        "/JavaScript",
        "/Launch",
        "/SubmitForm",
        "/ImportData",
        "/EmbeddedFile",
        "/EmbeddedFiles",
        "/XFA",
        "/RichMedia",
        "/Sound",
        "/Movie",
        "/EF",  # a file specification's embedded file streams
        "/RichMediaContent",
    }
)
# Names that mark active content when they are the value of these keys (an action's type, an
# annotation's subtype, an object's type), whether written inline or behind an indirect reference.
ACTIVE_VALUES = {
    "/S": frozenset({"/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/GoToE", "/Rendition", "/Sound"}),
    "/Subtype": frozenset({"/RichMedia", "/FileAttachment", "/Sound", "/Movie", "/Screen"}),
    "/Type": frozenset({"/EmbeddedFile"}),
}


def _undecodable(reason: str) -> ValidationFailed:
    return ValidationFailed(f"the file is not a readable PDF ({reason})", code="upload.undecodable")


def _resolved(value: Any) -> Any:
    """`value` with its indirect references followed (a reference may point at another reference),
    refused when they go round in a cycle or further than any real file does."""
    seen: set[tuple[int, int]] = set()
    while isinstance(value, IndirectObject):
        key = (value.idnum, value.generation)
        if key in seen or len(seen) >= MAX_REFERENCE_HOPS:
            raise _undecodable("its object references go round in a cycle")
        seen.add(key)
        value = value.get_object()
    return value


def _active_content(root: Any) -> str | None:
    """The first active key or value reachable from the trailer, or None."""
    seen: set[tuple[int, int]] = set()
    stack = [root]
    visited = 0
    while stack:
        node = stack.pop()
        if isinstance(node, IndirectObject):
            key = (node.idnum, node.generation)
            if key in seen:
                continue
            seen.add(key)
            node = _resolved(node)
        visited += 1
        if visited > MAX_OBJECTS:
            raise ValidationFailed("the PDF has too many objects to check", code="upload.undecodable")
        if isinstance(node, DictionaryObject):
            for name, value in node.items():  # items() gives values unresolved: a key is always a direct name
                if name in ACTIVE_KEYS:
                    return str(name)
                if name in ACTIVE_VALUES:
                    named = _resolved(value)
                    if isinstance(named, str) and named in ACTIVE_VALUES[name]:
                        return f"{name} {named}"
                stack.append(value)
        elif isinstance(node, ArrayObject):
            stack.extend(node)
    return None


def verify(data: bytes) -> int:
    """The number of pages of a PDF fit to keep, or ValidationFailed with a precise code."""
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise ValidationFailed(
                "password-protected PDFs cannot be reviewed; upload it without a password", code="upload.encrypted"
            )
        pages = len(reader.pages)
        if pages == 0:
            raise _undecodable("it has no page")
        if pages > MAX_PAGES:
            raise ValidationFailed(f"the PDF has {pages} pages; at most {MAX_PAGES}", code="upload.too_many_pages")
        found = _active_content(reader.trailer)
    except ValidationFailed:
        raise
    except (
        PyPdfError,
        OSError,
        ValueError,
        TypeError,
        KeyError,
        IndexError,
        AttributeError,
        RecursionError,
        AssertionError,
        ZeroDivisionError,
        NotImplementedError,
        struct.error,
    ) as exc:
        # pypdf signals malformed input with any of these
        raise _undecodable(type(exc).__name__) from None
    if found:
        raise ValidationFailed(
            f"PDFs with scripts, actions or embedded files are not accepted (found {found})",
            code="upload.active_content",
        )
    return pages


RENDER_WIDTH = 1000  # pixels across a rendered page: an A4 scan stays legible, the PNG stays small
RENDER_MAX_SIDE = 4000  # a page drawn taller than this (a strip of a page) is scaled down to it


def page_count(data: bytes) -> int:
    """How many pages a verified PDF has (the review page links one image per page)."""
    try:
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as exc:
        raise _undecodable(str(exc)) from None
    try:
        return min(len(document), MAX_PAGES)
    finally:
        document.close()


def render_page(data: bytes, index: int, *, width: int = RENDER_WIDTH) -> bytes:
    """Page `index` (0-based) of a verified PDF drawn as a PNG `width` pixels wide, by PDFium (no system packages,
    no scripts run: PDFium renders without its JavaScript engine here). An index out of range is a ValidationFailed.
    Browsers are never handed the PDF to embed: the CSP refuses objects and frames, and a picture is all a
    reviewer needs."""
    try:
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as exc:
        raise _undecodable(str(exc)) from None
    try:
        if not 0 <= index < min(len(document), MAX_PAGES):
            raise ValidationFailed(f"the PDF has no page {index + 1}", code="upload.no_such_page")
        page = document[index]
        page_width, page_height = page.get_size()
        scale = min(width / max(page_width, 1.0), RENDER_MAX_SIDE / max(page_height, 1.0))
        image = page.render(scale=scale).to_pil()
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=True)
        return out.getvalue()
    finally:
        document.close()

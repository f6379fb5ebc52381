"""Small but real files the demo hands in as a person would: a one-page PDF scan (uploads are parsed) and a PNG
signature (a driver app's signature pad)."""

from __future__ import annotations

import functools
import io
import struct
import zlib

from pypdf import PdfWriter


@functools.cache
def scan_pdf() -> bytes:
    """A real one-page PDF (uploads are parsed: a scan must be a readable document)."""
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def signature_png() -> bytes:
    """A small but real PNG (a scribble line), as a driver app's signature pad sends."""
    width, height = 64, 16
    rows = b"".join(
        b"\x00" + bytes(0 if abs(y - 8 - (x % 8 - 4)) < 2 else 255 for x in range(width)) for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")

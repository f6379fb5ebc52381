"""Real image and PDF files built in tests with Pillow and pypdf: what phones, scanners and attackers send."""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

from PIL import ExifTags, Image, PngImagePlugin
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

BERLIN_GPS = {
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (52.0, 31.0, 12.0),
    ExifTags.GPS.GPSLongitudeRef: "E",
    ExifTags.GPS.GPSLongitude: (13.0, 24.0, 18.0),
}


def jpeg(
    width: int = 64,
    height: int = 48,
    *,
    color: tuple[int, int, int] = (200, 40, 40),
    gps: bool = False,
    orientation: int = 0,
) -> bytes:
    """A camera-like JPEG; `gps` adds an EXIF GPS block (and a camera model), `orientation` the EXIF tag."""
    image = Image.new("RGB", (width, height), color)
    exif = Image.Exif()
    if gps:
        exif[ExifTags.Base.Model] = "Pixel 9"
        exif[ExifTags.Base.GPSInfo] = BERLIN_GPS
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes() if len(exif) else b"", comment=b"shot on the A100")
    return out.getvalue()


def png(
    width: int = 120,
    height: int = 40,
    *,
    mode: str = "RGB",
    color: str | tuple[int, ...] = "white",
    text: str = "",
    gps: bool = False,
) -> bytes:
    """A PNG such as a signature pad sends; `text` adds a tEXt chunk and `gps` an eXIf chunk with a GPS
    block (metadata that must not survive)."""
    image = Image.new(mode, (width, height), color)
    info = PngImagePlugin.PngInfo()
    if text:
        info.add_text("Comment", text)
    exif = Image.Exif()
    if gps:
        exif[ExifTags.Base.GPSInfo] = BERLIN_GPS
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=info, exif=exif.tobytes() if len(exif) else b"")
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares width×height RGB pixels (its data stops after a few rows)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"\x00" * 4096))
        + _chunk(b"IEND", b"")
    )


def png_bomb(width: int = 20_000, height: int = 20_000) -> bytes:
    """A complete, valid decompression bomb: a black 1-bit image that compresses about 1000:1
    (20,000² is 400 megapixels, 400 MB once Pillow decodes it, about 50 KB on the wire)."""
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + one bit a pixel
    squeeze = zlib.compressobj(9)
    data = b"".join(squeeze.compress(row) for _ in range(height)) + squeeze.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


def pdf(pages: int = 1, *, javascript: bool = False, attachment: bool = False, password: str = "") -> bytes:
    """A real PDF of blank A4 pages; `javascript` adds an open action that runs a script, `attachment` an
    embedded file, `password` encrypts it."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    if javascript:
        writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
            {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1)")}
        )
    if attachment:
        writer.add_attachment("invoice.exe", b"MZ\x90\x00")
    if password:
        writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def metadata_of(data: bytes) -> dict[str, Any]:
    """What a decoder sees besides pixels: EXIF tags, the GPS block, comments, text chunks, ICC."""
    image = Image.open(io.BytesIO(data))
    exif = image.getexif()
    return {
        "exif": dict(exif),
        "gps": dict(exif.get_ifd(ExifTags.IFD.GPSInfo)),
        "info": {k: v for k, v in image.info.items() if k not in ("jfif", "jfif_version", "jfif_unit", "jfif_density")},
    }

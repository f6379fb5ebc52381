"""Uploaded images made safe to serve: size checked from the header, decoded with limits, re-encoded.

Each use has its own pixel limit (`Output.max_pixels()`), checked from the header before decoding, because
decoding costs what the header declares, not what the file weighs: a 167 KB flat 40 MP PNG takes about
1.4 s of CPU and 200 MB of memory. A signature needs a few megapixels, a photo a phone's default mode, a
scan an A4 page at 600 dpi (35 MP); all stay under LOGITRACK_IMAGE_MAX_PIXELS, the ceiling for every use.

What comes out is a fresh JPEG (photos, scans) or PNG (signatures, line art) drawn from the decoded pixels:
EXIF (GPS, camera, time), XMP, comments, text chunks and ICC profiles are gone, the EXIF orientation is
applied first and colours are converted to sRGB, so the picture looks as it did. Anything that does not
decode as the JPEG or PNG it claims to be, or declares more pixels than allowed, is refused with a
ValidationFailed before any pixel is decoded.
"""

from __future__ import annotations

import dataclasses
import io
import re
import struct

from django.conf import settings
from PIL import Image, ImageCms, ImageFile, ImageOps

from logitrack.exceptions import ValidationFailed

DEFAULT_MAX_PIXELS = 40_000_000  # the ceiling for every use: an A4 scan at 600 dpi is 35 MP
DEFAULT_MAX_SIDE = 12_000
MAX_JPEG_SCANS = 100  # a progressive JPEG has about ten; thousands make decoding crawl (a CPU bomb)
_PIL_FORMATS = {"jpeg": "JPEG", "png": "PNG"}
_CONTENT_TYPES = {"jpeg": "image/jpeg", "png": "image/png"}
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_CLEAN_CHUNKS = {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"}


@dataclasses.dataclass(frozen=True)
class Output:
    """How an image is stored for one use (`name`): `kind` "jpeg" or "png", scaled down to fit `max_side`;
    an upload declaring more pixels than the setting `pixels_setting` (default `default_max_pixels`) is
    refused before decoding."""

    name: str
    kind: str
    max_side: int
    pixels_setting: str
    default_max_pixels: int
    quality: int = 85

    def max_pixels(self) -> int:
        return min(getattr(settings, self.pixels_setting, self.default_max_pixels), max_pixels())


# Phones take 12 MP photos by default (24 MP on recent iPhones); their 48, 50 or 200 MP full-resolution modes
# are refused as photos (the stored photo is at most 2048 px on a side anyway: 4 MP).
PHOTO = Output("photo", "jpeg", 2048, "LOGITRACK_IMAGE_MAX_PIXELS_PHOTO", 24_000_000)
SCAN = Output("scan", "jpeg", 3508, "LOGITRACK_IMAGE_MAX_PIXELS_SCAN", 40_000_000, quality=90)  # A4 at 300 dpi
LINE_ART = Output("signature", "png", 2048, "LOGITRACK_IMAGE_MAX_PIXELS_LINE_ART", 4_000_000)  # a pad sends < 1 MP


@dataclasses.dataclass(frozen=True)
class CleanImage:
    content: bytes
    kind: str
    content_type: str
    width: int
    height: int

    @property
    def size(self) -> int:
        return len(self.content)


def max_pixels() -> int:
    """The ceiling for every use (LOGITRACK_IMAGE_MAX_PIXELS).
    Never above Pillow's own bomb threshold, so Pillow never merely warns about an image we then decode."""
    configured = int(getattr(settings, "LOGITRACK_IMAGE_MAX_PIXELS", DEFAULT_MAX_PIXELS))
    return configured if Image.MAX_IMAGE_PIXELS is None else min(configured, int(Image.MAX_IMAGE_PIXELS))


def max_side() -> int:
    return int(getattr(settings, "LOGITRACK_IMAGE_MAX_SIDE", DEFAULT_MAX_SIDE))


def _undecodable(kind: str) -> ValidationFailed:
    return ValidationFailed(f"the file is not a readable {kind.upper()} image", code="upload.undecodable")


def declared_size(data: bytes, kind: str) -> tuple[int, int]:
    """(width, height) as the header declares them, read without decoding anything."""
    if kind == "png":
        if data[:8] != _PNG_SIGNATURE or data[12:16] != b"IHDR" or len(data) < 24:
            raise _undecodable(kind)
        return struct.unpack(">II", data[16:24])
    position = 2  # after SOI
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            raise _undecodable(kind)
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        # SOF0..SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but do not.
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if position + 9 > len(data):
                break
            height, width = struct.unpack(">HH", data[position + 5 : position + 9])
            return width, height
        if marker == 0xDA:  # start of scan before any frame header
            break
        position += 2 + length
    raise _undecodable(kind)


def refuse_truncated_images() -> None:
    """Put back Pillow's default of refusing truncated images.

    Pillow reads ImageFile.LOAD_TRUNCATED_IMAGES, one process-wide flag, while it decodes, and libraries
    turn it on when imported (WeasyPrint does, so every upload after the first invoice PDF accepted a PNG
    cut short). Called before each decode here, and right after importing such a library."""
    ImageFile.LOAD_TRUNCATED_IMAGES = False


def _megapixels(pixels: int) -> str:
    return f"{pixels / 1_000_000:g}"


def _check_size(width: int, height: int, limit: int, use: str) -> None:
    side = max_side()
    if width <= 0 or height <= 0:
        raise ValidationFailed("the image declares no pixels", code="upload.undecodable")
    if width * height > limit or max(width, height) > side:
        raise ValidationFailed(
            f"the image is {width}×{height} pixels; at most {_megapixels(limit)} megapixels "
            f"and {side} pixels on a side are accepted for a {use}",
            code="upload.image_too_large",
            extra={"max_pixels": limit, "max_side": side},
        )


def _to_srgb(image: Image.Image) -> Image.Image:
    """Apply an embedded ICC profile (Display P3, Adobe RGB, CMYK) so the sRGB output looks the same."""
    icc = image.info.get("icc_profile")
    if icc and image.mode in ("RGB", "RGBA", "CMYK"):
        try:
            target = "RGBA" if image.mode == "RGBA" else "RGB"
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode=target)
            if converted is not None:  # None only when converting in place, which this does not ask for
                return converted
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # a broken profile: the pixels as they are are the best guess
    return image


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (image.mode == "P" and "transparency" in image.info)


def _for_output(image: Image.Image, kind: str) -> Image.Image:
    if image.mode.startswith("I;16") or image.mode == "I":  # 16-bit grey PNG: scale, as converting clips at 255
        image = image.convert("I").point(lambda value: value / 257).convert("L")
    grey = image.mode in ("1", "L", "LA", "La")
    alpha = _has_alpha(image)
    if kind == "png":
        if image.mode in ("L", "LA", "RGB", "RGBA"):  # 1-bit and palettes become L or RGB so scaling stays smooth
            return image
        if alpha:
            return image.convert("LA" if grey else "RGBA")
        return image.convert("L" if grey else "RGB")
    if alpha:  # JPEG has no transparency: flatten onto white, as the image would look on a page
        rgba = image.convert("RGBA")
        canvas = Image.new("RGB", rgba.size, "white")
        canvas.paste(rgba, mask=rgba.getchannel("A"))
        return canvas.convert("L") if grey else canvas
    return image.convert("L" if grey else "RGB")


def sanitize(data: bytes, kind: str, output: Output, *, limit: int | None = None) -> CleanImage:
    """Decode `data` (a "jpeg" or "png", as sniffed) within the limits and re-encode it as `output` says.

    `limit` replaces the use's pixel limit (the operator's re-check of stored files passes the ceiling,
    so an image accepted before per-use limits is re-encoded, not quarantined)."""
    if kind not in _PIL_FORMATS:
        raise _undecodable(kind)
    limit = min(limit, max_pixels()) if limit is not None else output.max_pixels()
    width, height = declared_size(data, kind)
    _check_size(width, height, limit, output.name)
    if kind == "jpeg" and data.count(b"\xff\xda") > MAX_JPEG_SCANS:
        raise ValidationFailed("the JPEG has too many scans to decode", code="upload.image_too_large")
    refuse_truncated_images()
    try:
        image: Image.Image = Image.open(io.BytesIO(data), formats=[_PIL_FORMATS[kind]])
        _check_size(*image.size, limit, output.name)  # what Pillow read must match what we checked
        if kind == "jpeg":
            image.draft(None, (output.max_side, output.max_side))  # decode at 1/2, 1/4, 1/8 when that is enough
        image.load()
        image = ImageOps.exif_transpose(image)
        image = _for_output(_to_srgb(image), output.kind)
        image.thumbnail((output.max_side, output.max_side), Image.Resampling.LANCZOS)
        image.info = {}  # nothing of the original's metadata travels into the new file
        buffer = io.BytesIO()
        if output.kind == "jpeg":
            image.save(buffer, format="JPEG", quality=output.quality)
        else:
            image.save(buffer, format="PNG")
    except ValidationFailed:
        raise
    except Image.DecompressionBombError as exc:
        raise ValidationFailed(str(exc), code="upload.image_too_large") from None
    except (
        OSError,
        SyntaxError,
        ValueError,
        TypeError,
        IndexError,
        KeyError,
        EOFError,
        struct.error,
        ZeroDivisionError,
        AttributeError,
        NotImplementedError,
        RecursionError,
    ):  # Pillow signals malformed, truncated or unsupported data with any of these.
        raise _undecodable(kind) from None
    return CleanImage(buffer.getvalue(), output.kind, _CONTENT_TYPES[output.kind], image.width, image.height)


def _png_is_clean(data: bytes) -> bool:
    position: int = 8
    end = len(data)
    while position + 8 <= end:
        (length,) = struct.unpack(">I", data[position : position + 4])
        chunk = data[position + 4 : position + 8]
        if chunk not in _PNG_CLEAN_CHUNKS:
            return False
        position += 12 + length
        if chunk == b"IEND":
            return position == end  # nothing hidden after the end
    return False


_JPEG_ENTROPY_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7]")


def _jpeg_is_clean(data: bytes) -> bool:
    """Only JFIF, tables, one baseline frame and one scan, as sanitize() writes; nothing after the end."""
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            return False
        marker = data[position + 1]
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        if marker == 0xDA:
            rest = data[position + 2 + length :]
            markers = list(_JPEG_ENTROPY_MARKER.finditer(rest))
            return len(markers) == 1 and markers[0].group() == b"\xff\xd9" and markers[0].end() == len(rest)
        if marker == 0xE0:
            if data[position + 4 : position + 9] != b"JFIF\x00":
                return False
        elif marker not in (0xC0, 0xC4, 0xDB, 0xDD):  # SOF0, DHT, DQT, DRI
            return False
        position += 2 + length
    return False


def is_sanitized(data: bytes, output: Output) -> bool:
    """Whether `data` already is what sanitize() makes for `output`: the right format, no metadata or
    trailing bytes, within the size caps. Lets a re-run over stored files leave finished ones alone."""
    kind = "png" if data.startswith(_PNG_SIGNATURE) else "jpeg" if data.startswith(b"\xff\xd8\xff") else None
    if kind != output.kind:
        return False
    try:
        width, height = declared_size(data, kind)
    except ValidationFailed:
        return False
    if max(width, height) > output.max_side:
        return False
    return _png_is_clean(data) if kind == "png" else _jpeg_is_clean(data)

"""logitrack.images and logitrack.pdfs on files built here: limits, re-encoding, what counts as already clean."""

import dataclasses
import io

import pytest
from PIL import Image, ImageCms, ImageFile

from logitrack import images, pdfs
from logitrack.exceptions import ValidationFailed
from logitrack.testing import images as make


def _code(call) -> str:
    with pytest.raises(ValidationFailed) as refused:
        call()
    return refused.value.code


def _open(clean: images.CleanImage) -> Image.Image:
    return Image.open(io.BytesIO(clean.content))


def test_the_declared_size_is_read_from_the_header_without_decoding():
    assert images.declared_size(make.png_declaring(50_000, 40_000), "png") == (50_000, 40_000)
    assert images.declared_size(make.jpeg(640, 480, gps=True), "jpeg") == (640, 480)  # past the EXIF segment
    assert _code(lambda: images.declared_size(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64, "jpeg")) == (
        "upload.undecodable"
    )


@pytest.mark.parametrize("output", [images.PHOTO, images.SCAN, images.LINE_ART])
@pytest.mark.parametrize(
    ("width", "height"),
    [(50_000, 50_000), (7_000, 7_000), (13_000, 10)],  # over 40 MP; 49 MP (under Pillow's own limit); too long a side
)
def test_images_over_the_limits_are_refused_before_decoding(width, height, output):
    assert _code(lambda: images.sanitize(make.png_declaring(width, height), "png", output)) == (
        "upload.image_too_large"
    )


def _limit_refusal(data: bytes, output: images.Output) -> ValidationFailed | None:
    """The size refusal of sanitize(), or None when the size passed (these files then fail to decode)."""
    try:
        images.sanitize(data, "png", output)
    except ValidationFailed as exc:
        return exc if exc.code == "upload.image_too_large" else None
    raise AssertionError("a header-only PNG was accepted")


def test_each_use_has_its_own_pixel_limit_checked_from_the_header():
    flat = make.png_bomb(8_000, 5_000)  # a complete, valid 40 MP image of a few tens of KB
    assert len(flat) < 200_000
    signature = _limit_refusal(flat, images.LINE_ART)
    assert signature.extra["max_pixels"] == 4_000_000 and "4 megapixels" in signature.message
    assert "for a signature" in signature.message
    assert _limit_refusal(flat, images.PHOTO).extra["max_pixels"] == 24_000_000

    six = make.png_declaring(3_000, 2_000)  # 6 MP: a photo or a scan, not a signature
    assert _limit_refusal(six, images.LINE_ART)
    assert _limit_refusal(six, images.PHOTO) is None and _limit_refusal(six, images.SCAN) is None
    thirty_six = make.png_declaring(6_000, 6_000)  # 36 MP: an A4 page at 600 dpi; a phone's 48 MP mode is more
    assert _limit_refusal(thirty_six, images.PHOTO)
    assert _limit_refusal(thirty_six, images.SCAN) is None
    assert _limit_refusal(make.png_declaring(8_000, 6_000), images.PHOTO)  # 48 MP full-resolution mode


def test_the_per_use_limits_come_from_settings_within_the_ceiling(settings):
    six = make.png_declaring(3_000, 2_000)
    settings.LOGITRACK_IMAGE_MAX_PIXELS_LINE_ART = 8_000_000
    assert _limit_refusal(six, images.LINE_ART) is None
    settings.LOGITRACK_IMAGE_MAX_PIXELS_PHOTO = 5_000_000
    assert _limit_refusal(six, images.PHOTO).extra["max_pixels"] == 5_000_000
    settings.LOGITRACK_IMAGE_MAX_PIXELS = 2_000_000  # the ceiling caps every use
    assert _limit_refusal(six, images.SCAN).extra["max_pixels"] == 2_000_000
    assert images.SCAN.max_pixels() == 2_000_000


def test_a_stored_image_is_rechecked_within_the_ceiling_not_the_uses_limit(settings, tmp_path):
    """Files accepted before per-use limits (a 6 MP signature) are re-encoded by the operator's
    *_sanitize_uploads commands, not quarantined."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from logitrack import files

    settings.MEDIA_ROOT = str(tmp_path)
    big = make.png(3_000, 2_000, mode="L")
    assert _code(lambda: images.sanitize(big, "png", images.LINE_ART)) == "upload.image_too_large"
    path = default_storage.save("private/proof/old.png", ContentFile(big))
    assert files.recheck_private(path, image=images.LINE_ART, dry_run=True).outcome == "rewritten"


def test_the_limits_come_from_settings(settings):
    settings.LOGITRACK_IMAGE_MAX_PIXELS = 1_000
    assert _code(lambda: images.sanitize(make.jpeg(64, 48), "jpeg", images.PHOTO)) == "upload.image_too_large"
    settings.LOGITRACK_IMAGE_MAX_PIXELS = 10**12  # never above Pillow's own bomb threshold
    assert images.max_pixels() == Image.MAX_IMAGE_PIXELS


def test_a_jpeg_with_thousands_of_scans_is_refused():
    crafted = make.jpeg() + b"\xff\xda" * (images.MAX_JPEG_SCANS + 1)
    assert _code(lambda: images.sanitize(crafted, "jpeg", images.PHOTO)) == "upload.image_too_large"


def test_re_encoding_drops_metadata_applies_orientation_and_caps_the_size():
    clean = images.sanitize(make.jpeg(4000, 3000, gps=True, orientation=8), "jpeg", images.PHOTO)
    assert (clean.kind, clean.content_type, clean.size) == ("jpeg", "image/jpeg", len(clean.content))
    assert (clean.width, clean.height) == (1536, 2048) == _open(clean).size
    assert make.metadata_of(clean.content) == {"exif": {}, "gps": {}, "info": {}}


def test_an_embedded_colour_profile_is_applied_then_dropped():
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 200, 30)).save(out, format="JPEG", icc_profile=srgb)
    clean = images.sanitize(out.getvalue(), "jpeg", images.PHOTO)
    assert "icc_profile" not in _open(clean).info
    assert all(abs(a - b) < 6 for a, b in zip(_open(clean).getpixel((5, 5)), (10, 200, 30), strict=True))


def test_cmyk_and_transparency_become_what_the_output_format_can_hold():
    out = io.BytesIO()
    Image.new("CMYK", (20, 20), (0, 255, 255, 0)).save(out, format="JPEG")
    assert _open(images.sanitize(out.getvalue(), "jpeg", images.PHOTO)).mode == "RGB"
    transparent = make.png(20, 20, mode="RGBA", color=(0, 0, 0, 0))
    as_photo = _open(images.sanitize(transparent, "png", images.PHOTO))
    assert as_photo.mode == "RGB" and as_photo.getpixel((1, 1)) == (255, 255, 255)  # flattened onto white
    assert _open(images.sanitize(transparent, "png", images.LINE_ART)).mode == "RGBA"


@pytest.mark.parametrize("output", [images.PHOTO, images.SCAN, images.LINE_ART])
@pytest.mark.parametrize("source", ["camera_jpeg", "signature_png"])
def test_what_sanitize_writes_counts_as_sanitized_and_the_original_does_not(output, source):
    original = make.jpeg(300, 200, gps=True) if source == "camera_jpeg" else make.png(text="x", gps=True)
    kind = "jpeg" if source == "camera_jpeg" else "png"
    clean = images.sanitize(original, kind, output).content
    assert images.is_sanitized(clean, output)
    assert not images.is_sanitized(original, output)


def test_trailing_bytes_or_metadata_make_a_file_not_sanitized():
    clean = images.sanitize(make.jpeg(), "jpeg", images.PHOTO).content
    assert not images.is_sanitized(clean + b"<?php system($_GET['c']); ?>", images.PHOTO)  # a polyglot
    assert not images.is_sanitized(clean, images.LINE_ART)  # the wrong format for the use
    assert not images.is_sanitized(clean, dataclasses.replace(images.PHOTO, max_side=10))  # larger than the use allows
    line = images.sanitize(make.png(), "png", images.LINE_ART).content
    assert not images.is_sanitized(line + b"PK\x03\x04", images.LINE_ART)


def test_pdfs_are_parsed_and_refused_when_encrypted_scripted_empty_or_long(monkeypatch):
    assert pdfs.verify(make.pdf(pages=2)) == 2
    assert _code(lambda: pdfs.verify(make.pdf(javascript=True))) == "upload.active_content"
    assert _code(lambda: pdfs.verify(make.pdf(attachment=True))) == "upload.active_content"
    assert _code(lambda: pdfs.verify(make.pdf(password="secret"))) == "upload.encrypted"
    assert _code(lambda: pdfs.verify(b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")) == "upload.undecodable"
    assert _code(lambda: pdfs.verify(b"%PDF-1.7\n" + b"\x00" * 300)) == "upload.undecodable"
    monkeypatch.setattr(pdfs, "MAX_PAGES", 3)
    assert _code(lambda: pdfs.verify(make.pdf(pages=4))) == "upload.too_many_pages"


def test_a_16_bit_grey_png_is_scaled_not_clipped():
    out = io.BytesIO()
    Image.new("I;16", (20, 10), 40_000).save(out, format="PNG")
    for output in (images.PHOTO, images.LINE_ART):
        assert _open(images.sanitize(out.getvalue(), "png", output)).getpixel((1, 1)) in (155, 156)  # 40000/257


@pytest.mark.parametrize("output", [images.PHOTO, images.LINE_ART])
def test_a_truncated_image_is_refused_even_when_a_library_turned_pillows_tolerance_on(monkeypatch, output):
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)  # what importing WeasyPrint does
    assert _code(lambda: images.sanitize(make.png()[:60], "png", output)) == "upload.undecodable"
    cut_jpeg = make.jpeg(640, 480, color=(10, 200, 90))
    assert _code(lambda: images.sanitize(cut_jpeg[: len(cut_jpeg) // 2], "jpeg", output)) == "upload.undecodable"

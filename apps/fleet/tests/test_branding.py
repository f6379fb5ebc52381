"""A fleet's branding: a manager sets language, colour and logo in the admin; the logo is checked (PNG or JPEG by its
bytes, size-limited), re-encoded as a PNG without metadata, stored privately under its content's hash (the version
of `fleet_branding`), the old one deleted after commit; `/brand/<id>/logo.png` serves it with long cache headers
when `?v=` matches, and the tracking page shows it under its token."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from apps.fleet import api
from apps.fleet.models import Fleet
from apps.fleet.services import branding
from apps.fleet.tests.factories import FleetFactory
from logitrack.exceptions import ValidationFailed
from logitrack.testing import images as testing_images

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def alpha(two_fleets):
    return two_fleets, FleetFactory(id=two_fleets.a.fleet_id, name="Alpha Logistics")


def _png(width=900, height=300, colour=(200, 30, 90, 255)) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGBA", (width, height), colour)
    image.save(buffer, format="PNG", pnginfo=_text_chunk())
    return buffer.getvalue()


def _text_chunk():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "made by a secret tool")
    return info


def test_a_logo_is_re_encoded_stored_under_its_hash_and_the_old_one_goes_after_commit(
    alpha, media, django_capture_on_commit_callbacks
):
    _, fleet = alpha
    with django_capture_on_commit_callbacks(execute=True):
        branding.fleet_logo_set(fleet_id=fleet.id, upload=SimpleUploadedFile("logo.png", _png()))
    fleet.refresh_from_db()
    stored = Path(media, fleet.logo_path)
    content = stored.read_bytes()
    assert fleet.logo_path.startswith("private/fleet-logos/") and stored.stem == hashlib.sha256(content).hexdigest()
    assert b"secret tool" not in content  # re-encoded: the upload's metadata is gone
    image = Image.open(io.BytesIO(content))
    assert (image.format, max(image.size), image.mode) == ("PNG", 512, "RGBA")  # scaled down, transparency kept
    version = api.fleet_branding(fleet_ids=[fleet.id])[fleet.id].logo_version
    assert version == stored.stem[:12]
    assert api.fleet_logo(fleet_id=fleet.id).version == version

    with django_capture_on_commit_callbacks(execute=True):
        branding.fleet_logo_set(fleet_id=fleet.id, upload=SimpleUploadedFile("new.jpg", testing_images.jpeg()))
    fleet.refresh_from_db()
    assert not stored.exists() and Path(media, fleet.logo_path).exists()  # the old file went once it committed
    assert api.fleet_branding(fleet_ids=[fleet.id])[fleet.id].logo_version != version

    with django_capture_on_commit_callbacks(execute=True):
        branding.fleet_logo_remove(fleet_id=fleet.id)
    assert Fleet.objects.get(id=fleet.id).logo_path == "" and api.fleet_logo(fleet_id=fleet.id) is None
    assert not list(Path(media, "private", "fleet-logos").iterdir())


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("logo.png", b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "upload.unsupported_type"),
        ("logo.png", b"MZ\x90\x00 an executable", "upload.forbidden_type"),
        ("logo.png", testing_images.jpeg(), "upload.type_mismatch"),
        ("logo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "upload.undecodable"),
        ("logo.png", testing_images.png_declaring(6000, 6000), "upload.image_too_large"),
        ("logo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * (2 * 1024 * 1024), "upload.too_large"),
    ],
)
def test_what_is_not_a_small_png_or_jpeg_is_refused_and_changes_nothing(alpha, media, name, content, code):
    _, fleet = alpha
    with pytest.raises(ValidationFailed) as refused:
        branding.fleet_logo_set(fleet_id=fleet.id, upload=SimpleUploadedFile(name, content))
    assert refused.value.code == code
    assert Fleet.objects.get(id=fleet.id).logo_path == ""
    assert not Path(media, "private", "fleet-logos").exists() or not list(
        Path(media, "private", "fleet-logos").iterdir()
    )


def test_the_public_logo_is_cached_for_ever_under_its_version_and_briefly_otherwise(alpha, media):
    _, fleet = alpha
    client = Client()
    assert client.get(f"/brand/{fleet.id}/logo.png").status_code == 404  # no logo yet
    assert client.get("/brand/not-a-fleet/logo.png").status_code == 404
    branding.fleet_logo_set(fleet_id=fleet.id, upload=SimpleUploadedFile("logo.png", _png()))
    version = api.fleet_branding(fleet_ids=[fleet.id])[fleet.id].logo_version

    current = client.get(f"/brand/{fleet.id}/logo.png?v={version}")
    assert current.status_code == 200 and current["Content-Type"] == "image/png"
    assert current.content.startswith(b"\x89PNG") and current["X-Content-Type-Options"] == "nosniff"
    assert current["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "sandbox" in current["Content-Security-Policy"]
    for stale in (f"/brand/{fleet.id}/logo.png", f"/brand/{fleet.id}/logo.png?v=0123456789ab"):
        assert client.get(stale)["Cache-Control"] == "public, max-age=300"  # a URL whose logo may change
    assert client.post(f"/brand/{fleet.id}/logo.png").status_code == 405


def test_a_manager_sets_colour_language_and_logo_in_the_admin_and_a_non_image_is_a_form_error(
    groups_as_migrated, alpha, media, client
):
    two_fleets, fleet = alpha
    client.force_login(two_fleets.a.users["fleet_manager"])
    url = f"/admin/fleet/fleet/{fleet.id}/change/"
    page = client.get(url)
    html = page.content.decode()
    assert 'type="color" name="brand_colour"' in html and 'name="logo"' in html and 'name="logo_path"' not in html
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if k in form.fields and v is not None and not isinstance(v, bool)}
    data.update(
        {"service_polygon": "[]", "status_changes-TOTAL_FORMS": "0", "status_changes-INITIAL_FORMS": "0"},
    )

    refused = client.post(url, {**data, "brand_colour": "#aa3355", "logo": SimpleUploadedFile("logo.png", b"GIF89a")})
    assert refused.status_code == 200 and "logo" in refused.context["adminform"].form.errors
    assert Fleet.objects.get(id=fleet.id).brand_colour == "#0b7a75"  # nothing saved with a bad logo

    answer = client.post(
        url, {**data, "brand_colour": "#AA3355", "language": "en", "logo": SimpleUploadedFile("logo.png", _png())}
    )
    assert answer.status_code == 302, answer.context["adminform"].form.errors if answer.context else answer
    fleet.refresh_from_db()
    assert (fleet.brand_colour, fleet.language) == ("#aa3355", "en") and fleet.logo_path
    brand = api.fleet_branding(fleet_ids=[fleet.id])[fleet.id]
    assert (brand.colour, brand.language, bool(brand.logo_version)) == ("#aa3355", "en", True)
    shown = client.get(url).content.decode()
    assert f'src="/brand/{fleet.id}/logo.png?v={brand.logo_version}"' in shown

"""Every image upload (driver photo, KYC scan, vehicle document scan, proof-of-delivery photo and signature)
is decoded within the pixel limit and re-encoded before it is stored; what the real download endpoints
serve carries no EXIF, GPS or other metadata, and bombs or fakes are refused with a 400 storing nothing."""

from __future__ import annotations

import dataclasses
import io
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from PIL import Image

from apps.fleet.models import VehicleDocument
from apps.partner.models import DriverProfile, KycDocument
from apps.trips.models import ProofOfDelivery
from apps.trips.tests.rest import assign, book, step
from logitrack.testing import images as make
from logitrack.tests.test_pdfs import launch_behind_a_reference, references_in_a_cycle
from tests.support.isolation import client_for
from tests.support.trip_world import world  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db


class Place:
    """The world plus a trip waiting at its drop-off, made on first use."""

    def __init__(self, built):
        self.two_fleets, self.fleet, self.van, self.driver, self.shift = built
        self._trip: str | None = None

    def trip(self) -> str:
        if self._trip is None:
            customer = client_for(self.two_fleets.customer)
            booked = book(customer, self.fleet.id).json()["id"]
            assign(self.two_fleets.a.client("dispatcher"), booked, self.shift.id, 1)
            for version, action in ((2, "start"), (3, "arrive_pickup"), (4, "pick_up")):
                assert step(self.two_fleets.a.client("driver"), booked, action, version).status_code == 200
            self._trip = booked
        return self._trip


@dataclasses.dataclass
class Channel:
    name: str
    output: str  # what is stored and served: "jpeg" or "png"
    upload: Callable[[Place, SimpleUploadedFile], Any]
    download: Callable[[Place, Any], Any]
    stored: Callable[[], int]


def _photo_up(place, upload):
    return place.two_fleets.a.client("driver").post("/api/v1/partner/me/photo/", {"photo": upload}, format="multipart")


def _photo_down(place, _response):
    return place.two_fleets.a.client("dispatcher").get(f"/api/v1/partner/drivers/{place.driver.id}/photo/")


def _kyc_up(place, upload):
    return place.two_fleets.a.client("driver").post(
        "/api/v1/partner/me/documents/",
        {
            "type": "identity_document",
            "document_type": "passport",
            "number": "C01X",
            "expires_on": "2031-01-01",
            "file": upload,
        },
        format="multipart",
    )


def _kyc_down(place, response):
    return place.two_fleets.a.client("fleet_manager").get(f"/api/v1/partner/documents/{response.json()['id']}/file/")


def _vehicle_up(place, upload):
    return place.two_fleets.a.client("fleet_manager").post(
        f"/api/v1/fleet/vehicles/{place.van.id}/documents/",
        {"kind": "insurance", "expires_on": "2030-01-31", "file": upload},
        format="multipart",
    )


def _vehicle_down(place, response):
    return place.two_fleets.a.client("fleet_manager").get(
        f"/api/v1/fleet/vehicles/{place.van.id}/documents/{response.json()['id']}/file/"
    )


def _proof_up(which: str):
    other = "photo" if which == "signature" else "signature"
    good = {"photo": ("p.jpg", make.jpeg()), "signature": ("s.png", make.png())}[other]

    def up(place, upload):
        return place.two_fleets.a.client("driver").post(
            f"/api/v1/trips/trips/{place.trip()}/stops/2/done/",
            {"recipient_name": "Mo", which: upload, other: SimpleUploadedFile(*good)},
            format="multipart",
            HTTP_IF_MATCH='W/"5"',
        )

    return up


def _proof_down(which: str):
    def down(place, _response):
        customer = client_for(place.two_fleets.customer)
        return customer.get(f"/api/v1/trips/trips/{place.trip()}/stops/2/proof/{which}/")

    return down


CHANNELS = {
    "driver_photo": Channel(
        "driver_photo", "jpeg", _photo_up, _photo_down, lambda: DriverProfile.objects.exclude(photo_path="").count()
    ),
    "kyc_scan": Channel("kyc_scan", "jpeg", _kyc_up, _kyc_down, KycDocument.objects.count),
    "vehicle_scan": Channel("vehicle_scan", "jpeg", _vehicle_up, _vehicle_down, VehicleDocument.objects.count),
    "proof_photo": Channel(
        "proof_photo", "jpeg", _proof_up("photo"), _proof_down("photo"), ProofOfDelivery.objects.count
    ),
    "signature": Channel(
        "signature", "png", _proof_up("signature"), _proof_down("signature"), ProofOfDelivery.objects.count
    ),
}
MAX_PIXELS = {  # the default pixel limit of each use (settings LOGITRACK_IMAGE_MAX_PIXELS_*)
    "driver_photo": 24_000_000,
    "kyc_scan": 40_000_000,
    "vehicle_scan": 40_000_000,
    "proof_photo": 24_000_000,
    "signature": 4_000_000,
}
IMAGE_CHANNELS = pytest.mark.parametrize("channel", list(CHANNELS.values()), ids=list(CHANNELS))


@pytest.fixture
def place(world, settings, tmp_path):  # noqa: F811
    settings.MEDIA_ROOT = str(tmp_path)
    return Place(world)


def _stored_files(root: str) -> list[Path]:
    return [p for p in Path(root).rglob("*") if p.is_file()]


def _upload_file(channel: Channel, content: bytes, *, name: str | None = None) -> SimpleUploadedFile:
    default = "upload.png" if channel.output == "png" else "upload.jpg"
    content_type = "image/png" if (name or default).endswith(".png") else "image/jpeg"
    return SimpleUploadedFile(name or default, content, content_type=content_type)


def _refused(place, channel: Channel, upload, code: str, settings):
    before_rows, before_files = channel.stored(), _stored_files(settings.MEDIA_ROOT)
    response = channel.upload(place, upload)
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == code, response.json()
    assert channel.stored() == before_rows  # no row
    assert _stored_files(settings.MEDIA_ROOT) == before_files  # and no file left behind
    return response


@IMAGE_CHANNELS
def test_an_image_declaring_50000_by_50000_pixels_is_refused_and_nothing_is_stored(place, channel, settings):
    upload = _upload_file(channel, make.png_declaring(50_000, 50_000), name="huge.png")
    body = _refused(place, channel, upload, "upload.image_too_large", settings).json()
    assert "50000×50000" in body["detail"] and body["max_pixels"] == MAX_PIXELS[channel.name]


@IMAGE_CHANNELS
def test_a_small_file_declaring_many_pixels_is_refused_by_the_limit_of_its_use(place, channel, settings):
    """A flat 40 MP PNG of a few KB costs over a second of CPU and 200 MB to decode: a signature or a
    photo refuses it from its header; a scan may be that large."""
    flat = make.png_bomb(8_000, 5_000)
    if channel.name in ("kyc_scan", "vehicle_scan"):
        response = channel.upload(place, _upload_file(channel, flat, name="scan.png"))
        assert response.status_code == 201, response.json()
        return
    started = time.monotonic()
    body = _refused(place, channel, _upload_file(channel, flat, name="flat.png"), "upload.image_too_large", settings)
    assert body.json()["max_pixels"] == MAX_PIXELS[channel.name]
    assert time.monotonic() - started < 2  # refused from the header: nothing was decoded


@IMAGE_CHANNELS
def test_a_decompression_bomb_is_refused_quickly(place, channel, settings):
    bomb = make.png_bomb(20_000, 20_000)  # 400 megapixels in about 50 KB
    assert len(bomb) < 400_000
    started = time.monotonic()
    _refused(place, channel, _upload_file(channel, bomb, name="bomb.png"), "upload.image_too_large", settings)
    assert time.monotonic() - started < 2  # refused from the header: nothing was decoded


@IMAGE_CHANNELS
def test_a_bomb_under_pillows_own_threshold_is_refused_by_ours(place, channel, settings):
    """7,000² is 49 MP: below Pillow's default bomb check (89 MP), above the configured 40 MP."""
    upload = _upload_file(channel, make.png_bomb(7_000, 7_000), name="big.png")
    _refused(place, channel, upload, "upload.image_too_large", settings)


@IMAGE_CHANNELS
def test_gps_and_other_metadata_are_not_served_back(place, channel, settings):
    if channel.output == "png":  # signatures are PNG: the GPS block rides in an eXIf chunk, with a text chunk
        original = make.png(gps=True, text="signed at Oranienstrasse 25")
    else:
        original = make.jpeg(640, 480, gps=True)
    assert make.metadata_of(original)["gps"]  # the test file does carry a position
    response = channel.upload(place, _upload_file(channel, original))
    assert response.status_code in (200, 201), response.json()

    download = channel.download(place, response)
    served = b"".join(download.streaming_content)
    assert download.status_code == 200
    assert download["Content-Type"] == f"image/{channel.output}"
    seen = make.metadata_of(served)
    assert seen == {"exif": {}, "gps": {}, "info": {}}, seen
    assert b"Exif" not in served and b"Pixel 9" not in served and b"Oranienstrasse" not in served
    assert Image.open(io.BytesIO(served)).format == channel.output.upper()


@IMAGE_CHANNELS
def test_a_normal_image_round_trips(place, channel, settings):
    if channel.output == "png":
        original = make.png(300, 100, mode="RGBA", color=(0, 0, 0, 0))
    else:
        original = make.jpeg(800, 600, color=(30, 120, 200), orientation=6)  # a phone held upright
    response = channel.upload(place, _upload_file(channel, original))
    assert response.status_code in (200, 201), response.json()
    served = b"".join(channel.download(place, response).streaming_content)
    image = Image.open(io.BytesIO(served))
    if channel.output == "png":
        assert image.size == (300, 100) and image.mode == "RGBA"  # a transparent signature stays transparent
        assert image.getpixel((10, 10)) == (0, 0, 0, 0)
    else:
        assert image.size == (600, 800)  # EXIF orientation applied, then dropped
        red, green, blue = image.convert("RGB").getpixel((300, 400))
        assert abs(red - 30) < 6 and abs(green - 120) < 6 and abs(blue - 200) < 6


@IMAGE_CHANNELS
@pytest.mark.parametrize(
    ("content", "name", "code"),
    [
        (b"<html><script>alert(1)</script></html>", "photo.jpg", "upload.unsupported_type"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64, "photo.jpg", "upload.undecodable"),  # magic, no image
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "photo.png", "upload.undecodable"),
        (make.png()[:60], "photo.png", "upload.undecodable"),  # a real PNG cut short
    ],
    ids=["html", "jpeg-magic-only", "png-magic-only", "truncated-png"],
)
def test_a_non_image_with_an_image_name_and_type_is_refused(place, channel, settings, content, name, code):
    if channel.name == "signature" and name.endswith(".jpg") and code != "upload.unsupported_type":
        code = "upload.unsupported_type"  # signatures take PNG only: refused before decoding
    _refused(place, channel, _upload_file(channel, content, name=name), code, settings)


@pytest.mark.parametrize("channel", [CHANNELS["kyc_scan"], CHANNELS["vehicle_scan"]], ids=["kyc", "vehicle"])
def test_a_pdf_scan_is_kept_byte_for_byte_and_a_scripted_one_is_refused(place, channel, settings):
    original = make.pdf(pages=2)  # kept as it came: an issuer's digital signature must survive
    response = channel.upload(place, SimpleUploadedFile("scan.pdf", original, content_type="application/pdf"))
    assert response.status_code == 201, response.json()
    download = channel.download(place, response)
    assert download["Content-Type"] == "application/pdf" and b"".join(download.streaming_content) == original
    scripted = SimpleUploadedFile("scan.pdf", make.pdf(javascript=True), content_type="application/pdf")
    _refused(place, channel, scripted, "upload.active_content", settings)


@pytest.mark.parametrize("channel", [CHANNELS["kyc_scan"], CHANNELS["vehicle_scan"]], ids=["kyc", "vehicle"])
def test_a_pdf_hiding_its_action_behind_references_is_refused_and_a_cycle_answers_400(place, channel, settings):
    hidden = SimpleUploadedFile("scan.pdf", launch_behind_a_reference(), content_type="application/pdf")
    _refused(place, channel, hidden, "upload.active_content", settings)
    cycle = SimpleUploadedFile("scan.pdf", references_in_a_cycle(), content_type="application/pdf")
    _refused(place, channel, cycle, "upload.undecodable", settings)


# ---- files stored before the fix: the operator's <app>_sanitize_uploads commands -------------------------------


def _plant(content: bytes, folder: str, extension: str) -> str:
    """A file as uploads were stored before they were re-encoded: the bytes as they came."""
    return default_storage.save(f"private/{folder}/{uuid.uuid4().hex}{extension}", ContentFile(content))


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run a command as an operator would: each of its transactions commits (and deletes replaced files)."""

    def run(command: str, *args: str) -> str:
        out = io.StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command(command, *args, stdout=out)
        return out.getvalue()

    return run


def _served(response) -> bytes:
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_partner_sanitize_uploads_re_encodes_quarantines_and_flags_once(place, settings, run):
    driver_app = place.two_fleets.a.client("driver")
    documents = []
    for _ in range(3):
        response = _kyc_up(place, SimpleUploadedFile("scan.pdf", make.pdf(), content_type="application/pdf"))
        assert response.status_code == 201, response.json()
        documents.append(KycDocument.objects.get(id=response.json()["id"]))
    gps_photo, gps_scan, bomb, scripted = (
        _plant(make.jpeg(640, 480, gps=True), "driver-photos", ".jpg"),
        _plant(make.png(gps=True, text="Oranienstrasse 25"), "kyc", ".png"),
        _plant(make.png_bomb(), "kyc", ".png"),
        _plant(make.pdf(javascript=True), "kyc", ".pdf"),
    )
    DriverProfile.objects.filter(id=place.driver.id).update(photo_path=gps_photo)
    for document, path, content_type in zip(
        documents, (gps_scan, bomb, scripted), ("image/png", "image/png", "application/pdf"), strict=True
    ):
        KycDocument.objects.filter(id=document.id).update(file_path=path, content_type=content_type)

    dry = run("partner_sanitize_uploads", "--dry-run")
    assert "2 would re-encode" in dry and "1 to quarantine" in dry and "1 flagged" in dry
    assert DriverProfile.objects.get(id=place.driver.id).photo_path == gps_photo  # a dry run changes nothing

    first = run("partner_sanitize_uploads")
    assert "2 re-encoded" in first and "1 quarantined" in first and "1 flagged" in first, first
    assert f"KYC document {documents[1].id}: the image is 20000×20000 pixels" in first
    assert f"flagged KYC document {documents[2].id}: PDFs with scripts" in first

    photo = _served(_photo_down(place, None))
    assert make.metadata_of(photo) == {"exif": {}, "gps": {}, "info": {}}
    scan = documents[0]
    scan.refresh_from_db()
    assert scan.file_path.endswith(".jpg") and scan.content_type == "image/jpeg"
    download = place.two_fleets.a.client("fleet_manager").get(f"/api/v1/partner/documents/{scan.id}/file/")
    assert download["Content-Type"] == "image/jpeg" and b"Oranienstrasse" not in _served(download)
    quarantined = KycDocument.objects.get(id=documents[1].id)
    assert quarantined.file_path == "" and quarantined.status == "rejected"
    assert quarantined.rejection_reason == "the scan could not be read safely; upload it again"
    assert list(Path(settings.MEDIA_ROOT, "private", "quarantine", "kyc").iterdir())  # kept for a person
    assert not default_storage.exists(bomb) and not default_storage.exists(gps_photo)  # originals gone
    assert KycDocument.objects.get(id=documents[2].id).file_path == scripted  # a PDF is flagged, never removed

    stored = {p: p.read_bytes() for p in _stored_files(settings.MEDIA_ROOT)}
    second = run("partner_sanitize_uploads")
    assert "0 re-encoded" in second and "0 quarantined" in second and "1 flagged" in second, second
    assert {p: p.read_bytes() for p in _stored_files(settings.MEDIA_ROOT)} == stored  # idempotent
    assert driver_app.get("/api/v1/partner/me/").status_code == 200


def test_trips_sanitize_uploads_re_encodes_the_signature_and_quarantines_a_bomb_photo(place, settings, run):
    done = _proof_up("photo")(place, SimpleUploadedFile("p.jpg", make.jpeg(), content_type="image/jpeg"))
    assert done.status_code == 200, done.json()
    signature = _plant(make.png(gps=True, text="signed at Oranienstrasse 25"), "proof", ".png")
    photo = _plant(make.png_bomb(), "proof", ".png")
    ProofOfDelivery.objects.update(signature_path=signature, photo_path=photo)

    first = run("trips_sanitize_uploads")
    assert "1 re-encoded" in first and "1 quarantined" in first, first
    served = _served(_proof_down("signature")(place, None))
    assert make.metadata_of(served) == {"exif": {}, "gps": {}, "info": {}} and b"Oranienstrasse" not in served
    assert ProofOfDelivery.objects.get().photo_path == ""
    customer = client_for(place.two_fleets.customer)
    proof = customer.get(f"/api/v1/trips/trips/{place.trip()}/stops/2/proof/").json()
    assert (proof["has_signature"], proof["has_photo"]) == (True, False)

    second = run("trips_sanitize_uploads")
    assert "1 file(s) checked: 0 re-encoded, 1 already safe, 0 quarantined" in second, second


def test_fleet_sanitize_uploads_re_encodes_a_gps_tagged_scan(place, settings, run):
    response = _vehicle_up(place, SimpleUploadedFile("scan.pdf", make.pdf(), content_type="application/pdf"))
    document = VehicleDocument.objects.get(id=response.json()["id"])
    VehicleDocument.objects.filter(id=document.id).update(
        file_path=_plant(make.jpeg(640, 480, gps=True), "vehicle-documents", ".jpg"), content_type="image/jpeg"
    )
    assert "1 re-encoded" in run("fleet_sanitize_uploads")
    served = _served(_vehicle_down(place, response))
    assert make.metadata_of(served) == {"exif": {}, "gps": {}, "info": {}}
    assert "0 re-encoded" in run("fleet_sanitize_uploads")

"""The driver app and the managers' review over REST, with every bad input a 4xx."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from apps.partner import api
from apps.partner.models import DriverProfile, KycDocument
from apps.partner.services import compliance as partner_compliance
from apps.partner.services import kyc as partner_kyc
from apps.partner.tests.factories import JPEG, PDF, make_compliant
from logitrack import files
from logitrack.testing import images as testing_images
from logitrack.testing.downloads import assert_honours_accept

pytestmark = pytest.mark.django_db
ME = "/api/v1/partner/me/"


def upload(client, **fields):
    data = {
        "type": "driving_licence",
        "number": "B072",
        "classes": "B",
        "issued_on": "2015-04-01",
        "expires_on": (timezone.localdate() + dt.timedelta(days=400)).isoformat(),
        "file": SimpleUploadedFile("licence.pdf", PDF),
        **fields,
    }
    return client.post(f"{ME}documents/", data, format="multipart")


def test_a_driver_uploads_documents_and_sees_compliance_progress(two_fleets, drivers):
    client = two_fleets.a.client("driver")
    assert client.get(f"{ME}compliance/").json()["status"] == "pending"

    created = upload(client)
    assert created.status_code == 201, created.json()
    assert created.json()["type"] == "driving_licence" and created.json()["status"] == "submitted"
    photo_id = upload(
        client,
        type="identity_document",
        document_type="passport",
        number="C01X",
        file=SimpleUploadedFile("passport.jpg", JPEG),
    )
    assert photo_id.status_code == 400  # classes/issued_on are not part of an identity document
    photo_id = client.post(
        f"{ME}documents/",
        {
            "type": "identity_document",
            "document_type": "passport",
            "number": "C01X",
            "expires_on": "2031-01-01",
            "file": SimpleUploadedFile("passport.jpg", JPEG),
        },
        format="multipart",
    )
    assert photo_id.status_code == 201, photo_id.json()

    compliance = client.get(f"{ME}compliance/").json()
    assert compliance["reasons"] == [
        "driving_licence_awaiting",
        "identity_document_awaiting",
        "background_check_missing",
    ]
    assert len(compliance["documents"]) == 2
    assert client.get(f"{ME}documents/").json()["count"] == 2


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("licence.pdf", b"MZ\x90\x00" + b"\x00" * 200, "upload.forbidden_type"),
        ("licence.exe", b"MZ\x90\x00" + b"\x00" * 200, "upload.forbidden_type"),
        ("licence.pdf", b"<html><script>alert(1)</script>", "upload.unsupported_type"),
        ("licence.png", PDF, "upload.type_mismatch"),
        ("licence.pdf", testing_images.pdf(javascript=True), "upload.active_content"),
        ("licence.pdf", testing_images.pdf(attachment=True), "upload.active_content"),
        ("licence.pdf", testing_images.pdf(password="secret"), "upload.encrypted"),
        ("licence.pdf", b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n", "upload.undecodable"),
        ("licence.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 64, "upload.undecodable"),
        ("licence.png", testing_images.png_bomb(), "upload.image_too_large"),
    ],
)
def test_bad_uploads_are_refused_and_store_nothing(two_fleets, drivers, name, content, code):
    response = upload(two_fleets.a.client("driver"), file=SimpleUploadedFile(name, content))
    assert (response.status_code, response.json()["code"]) == (400, code)
    assert KycDocument.objects.count() == 0


def test_too_large_uploads_are_refused(two_fleets, drivers, monkeypatch):
    monkeypatch.setattr(partner_kyc, "DOCUMENT_MAX_BYTES", 100)
    response = upload(two_fleets.a.client("driver"), file=SimpleUploadedFile("big.pdf", PDF + b"0" * 500))
    assert (response.status_code, response.json()["code"]) == (400, "upload.too_large")


def test_uploads_over_the_request_limit_are_413(two_fleets, drivers, settings):
    settings.LOGITRACK_MAX_UPLOAD_BYTES = 500
    response = upload(two_fleets.a.client("driver"), file=SimpleUploadedFile("big.pdf", PDF + b"0" * 2000))
    assert (response.status_code, response.json()["code"]) == (413, "payload_too_large")


def test_managers_review_the_queue_and_the_driver_can_then_go_on_duty(two_fleets, drivers):
    driver_client, manager = two_fleets.a.client("driver"), two_fleets.a.client("fleet_manager")
    upload(driver_client)
    for doc_type, extra in (
        ("identity_document", {"document_type": "id_card", "number": "L01"}),
        ("background_check", {"provider": "BfJ", "reference": "FZ-1", "checked_on": "2026-11-01"}),
    ):
        driver_client.post(
            f"{ME}documents/",
            {"type": doc_type, "expires_on": "2030-01-01", "file": SimpleUploadedFile("d.pdf", PDF), **extra},
            format="multipart",
        )
    queue = manager.get("/api/v1/partner/documents/").json()
    assert queue["count"] == 3
    assert driver_client.post(f"{ME}duty/", {"on_duty": True}, format="json").json()["code"] == "partner.not_compliant"

    for doc in queue["results"]:
        reviewed = manager.post(
            f"/api/v1/partner/documents/{doc['id']}/review/", {"decision": "approve"}, format="json"
        )
        assert reviewed.status_code == 200 and reviewed.json()["status"] == "approved"
    again = manager.post(
        f"/api/v1/partner/documents/{queue['results'][0]['id']}/review/",
        {"decision": "reject", "reason": "x"},
        format="json",
    )
    assert (again.status_code, again.json()["code"]) == (409, "partner.illegal_review")

    on = driver_client.post(f"{ME}duty/", {"on_duty": True}, format="json")
    assert on.status_code == 200 and on.json()["duty_status"] == "on_duty"
    assert manager.get("/api/v1/partner/drivers/", {"duty_status": "on_duty"}).json()["count"] == 1


def test_rejecting_without_a_reason_is_400(two_fleets, drivers):
    upload(two_fleets.a.client("driver"))
    doc = KycDocument.objects.get()
    response = two_fleets.a.client("fleet_manager").post(
        f"/api/v1/partner/documents/{doc.id}/review/", {"decision": "reject"}, format="json"
    )
    assert response.status_code == 400
    doc.refresh_from_db()
    assert doc.status == "submitted"


def test_drivers_only_ever_see_their_own_documents(two_fleets, drivers):
    _, driver_b = drivers
    upload(two_fleets.a.client("driver"))
    partner_kyc.kyc_document_submit(
        driver_id=driver_b.id,
        doc_type="driving_licence",
        data={"number": "X", "classes": "B", "issued_on": dt.date(2015, 1, 1), "expires_on": dt.date(2031, 1, 1)},
        upload=SimpleUploadedFile("b.pdf", PDF),
    )
    mine = KycDocument.objects.get(driver__fleet_id=two_fleets.a.fleet_id)
    theirs = KycDocument.objects.get(driver=driver_b)
    client = two_fleets.a.client("driver")

    assert [d["id"] for d in client.get(f"{ME}documents/").json()["results"]] == [str(mine.id)]
    download = client.get(f"/api/v1/partner/documents/{mine.id}/file/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    scan = f"/api/v1/partner/documents/{mine.id}/file/"
    assert assert_honours_accept(client, scan, documented=("application/pdf", "image/jpeg", "image/png"))
    assert client.get(f"/api/v1/partner/documents/{theirs.id}/file/").status_code == 404
    assert client.get("/api/v1/partner/documents/").status_code == 403  # the review queue is for managers
    assert client.get(f"/api/v1/partner/drivers/{driver_b.id}/").status_code == 403


def test_profile_and_availability_from_the_driver_app(two_fleets, drivers):
    client = two_fleets.a.client("driver")
    ok = client.patch(ME, {"phone": "+4915112345678", "emergency_contact_name": "Sam"}, format="json")
    assert ok.status_code == 200 and ok.json()["phone"] == "+4915112345678"
    assert client.patch(ME, {"compliance_status": "compliant"}, format="json").status_code == 400
    assert client.patch(ME, {"phone": "12345"}, format="json").status_code == 400

    windows = {
        "windows": [
            {"weekday": 0, "starts": "08:00", "ends": "16:00"},
            {"weekday": 2, "starts": "10:00", "ends": "18:00"},
        ]
    }
    put = client.put(f"{ME}availability/", windows, format="json")
    assert put.status_code == 200 and len(put.json()["windows"]) == 2
    overlap = client.put(
        f"{ME}availability/",
        {
            "windows": [
                {"weekday": 0, "starts": "08:00", "ends": "16:00"},
                {"weekday": 0, "starts": "15:00", "ends": "17:00"},
            ]
        },
        format="json",
    )
    assert overlap.status_code == 400
    backwards = client.put(
        f"{ME}availability/", {"windows": [{"weekday": 0, "starts": "16:00", "ends": "08:00"}]}, format="json"
    )
    assert backwards.status_code == 400
    assert len(client.get(f"{ME}availability/").json()["windows"]) == 2  # a bad request changed nothing

    day_off = client.post(f"{ME}availability/exceptions/", {"date": "2030-01-07", "reason": "holiday"}, format="json")
    assert day_off.status_code == 201
    half = client.post(f"{ME}availability/exceptions/", {"date": "2030-01-08", "available": True}, format="json")
    assert half.status_code == 400
    assert client.delete(f"{ME}availability/exceptions/{day_off.json()['id']}/").status_code == 204


def test_eligibility_gives_every_reason_and_answers_in_order(two_fleets, drivers):
    import uuid

    driver_a, driver_b = drivers
    make_compliant(driver_a)
    stranger = uuid.uuid4()
    answers = api.drivers_eligibility(driver_ids=[driver_b.id, stranger, driver_a.id], licence_class="C")
    assert [a.driver_id for a in answers] == [driver_b.id, stranger, driver_a.id]
    assert (
        not answers[0].eligible
        and "compliance_pending" in answers[0].reasons
        and "driving_licence_missing" in answers[0].reasons
    )
    assert answers[1].reasons == ("unknown_driver",)
    assert answers[2].reasons == ("licence_class_C_missing",)  # holds B and C1
    assert api.driver_eligibility(driver_id=driver_a.id, licence_class="C1").eligible
    assert api.driver_eligibility(driver_id=driver_a.id, require_on_duty=True).reasons == ("off_duty",)
    partner_compliance.driver_suspend(driver_id=driver_a.id, reason="check")
    assert api.driver_eligibility(driver_id=driver_a.id).reasons[0] == "compliance_suspended"


def test_a_driver_sets_a_photo_that_their_fleet_can_see(two_fleets, drivers):
    driver_a, _ = drivers
    client = two_fleets.a.client("driver")
    assert (
        client.post(f"{ME}photo/", {"photo": SimpleUploadedFile("me.pdf", PDF)}, format="multipart").status_code == 400
    )
    response = client.post(f"{ME}photo/", {"photo": SimpleUploadedFile("me.jpg", JPEG)}, format="multipart")
    assert response.status_code == 200 and response.json()["has_photo"] is True
    url = f"/api/v1/partner/drivers/{driver_a.id}/photo/"
    shown = two_fleets.a.client("dispatcher").get(url)
    served = b"".join(shown.streaming_content)
    assert shown.status_code == 200 and shown["Content-Type"] == "image/jpeg" and served.startswith(b"\xff\xd8\xff")
    driver_a.refresh_from_db()
    assert served == files.open_private(driver_a.photo_path).read()  # the re-encoded photo, not the upload
    assert Image.open(io.BytesIO(served)).size == Image.open(io.BytesIO(JPEG)).size
    assert_honours_accept(two_fleets.a.client("dispatcher"), url, documented=("image/jpeg", "image/png"))
    assert two_fleets.b.client("dispatcher").get(url).status_code == 404


def test_suspending_twice_or_reinstating_an_active_driver_is_409(two_fleets, drivers):
    driver_a, _ = drivers
    manager = two_fleets.a.client("fleet_manager")
    base = f"/api/v1/partner/drivers/{driver_a.id}"
    assert manager.post(f"{base}/reinstate/").json()["code"] == "partner.illegal_suspension"
    assert manager.post(f"{base}/suspend/", {"reason": "complaint"}, format="json").status_code == 200
    again = manager.post(f"{base}/suspend/", {"reason": "again"}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "partner.illegal_suspension")
    assert manager.post(f"{base}/suspend/", {}, format="json").status_code == 400


def test_include_inactive_lists_deactivated_drivers_and_must_be_a_boolean(two_fleets, drivers):
    driver_a, _ = drivers
    DriverProfile.objects.filter(id=driver_a.id).update(active=False)
    manager = two_fleets.a.client("fleet_manager")
    assert manager.get("/api/v1/partner/drivers/").json()["count"] == 0
    assert manager.get("/api/v1/partner/drivers/", {"include_inactive": "true"}).json()["count"] == 1
    assert manager.get("/api/v1/partner/drivers/", {"include_inactive": "false"}).json()["count"] == 0
    wrong = manager.get("/api/v1/partner/drivers/", {"include_inactive": "maybe"})
    assert (wrong.status_code, list(wrong.json()["errors"])) == (400, ["include_inactive"])


@pytest.mark.parametrize(
    ("path", "params", "bad"),
    [
        ("/api/v1/partner/drivers/", {"fleet_id": "not-a-uuid"}, "fleet_id"),
        ("/api/v1/partner/drivers/", {"fleet_id": ""}, "fleet_id"),
        ("/api/v1/partner/drivers/", {"compliance_status": "great"}, "compliance_status"),
        ("/api/v1/partner/drivers/", {"duty_status": ""}, "duty_status"),
        ("/api/v1/partner/documents/", {"status": "lost"}, "status"),
        ("/api/v1/partner/documents/", {"fleet_id": "42"}, "fleet_id"),
    ],
)
def test_list_filters_refuse_bad_values_naming_the_parameter(two_fleets, drivers, path, params, bad):
    wrong = two_fleets.a.client("fleet_manager").get(path, params)
    assert (wrong.status_code, list(wrong.json()["errors"])) == (400, [bad])

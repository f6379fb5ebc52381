"""A fleet manager reviews KYC documents in a real browser: the queue, the scan inline (a photographed ID card as
itself, a PDF licence's page drawn on the server), approve, and on to the next document waiting. The screenshots
land in the artifacts folder (docs/images/console-kyc-*.png keeps them)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw, ImageFont
from weasyprint import HTML

from apps.fleet.tests.factories import FleetFactory
from apps.partner.contracts import KycDocumentType
from apps.partner.models import KycDocument
from apps.partner.tests.factories import DriverProfileFactory, KycDocumentFactory
from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.processes, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery staple"  # UserFactory's
SCREENS = {"390": {"width": 390, "height": 844}, "1366": {"width": 1366, "height": 768}}
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

LICENCE = """<html><head><style>
@page { size: A5 landscape; margin: 12mm }
body { font-family: "DejaVu Sans", sans-serif; color: #1a237e }
.card { border: 2px solid #3949ab; border-radius: 10px; padding: 8mm; background: #e8eaf6; height: 92mm }
h1 { margin: 0 0 4mm; font-size: 20pt } .eu { float: right; background: #1a237e; color: #fff; padding: 2mm 4mm }
.photo { float: left; width: 32mm; height: 42mm; background: #9fa8da; margin-right: 8mm }
p { margin: 1.5mm 0; font-size: 11pt } b { display: inline-block; width: 10mm }
</style></head><body><div class="card"><span class="eu">D</span><h1>FÜHRERSCHEIN</h1>
<div class="photo"></div><p><b>1.</b>OKAFOR</p><p><b>2.</b>NIA</p><p><b>3.</b>14.03.1991 LAGOS</p>
<p><b>4a.</b>01.04.2015 <b>4b.</b>01.04.2035</p><p><b>5.</b>B072RRE2I55</p><p><b>9.</b>B / C1</p></div></body></html>"""


def licence_pdf() -> bytes:
    return HTML(string=LICENCE).write_pdf()


def id_card_jpeg() -> bytes:
    """A photographed ID card: a card on a desk, with its printed fields."""
    image = Image.new("RGB", (1200, 760), (120, 104, 88))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((60, 60, 1140, 700), radius=36, fill=(236, 240, 226), outline=(90, 110, 80), width=4)
    draw.rectangle((100, 180, 380, 540), fill=(180, 190, 170))
    big, small = ImageFont.truetype(FONT, 46), ImageFont.truetype(FONT, 32)
    draw.text((100, 90), "PERSONALAUSWEIS", font=big, fill=(40, 60, 40))
    for n, line in enumerate(("WEBER", "JONAS", "02.09.1988", "L01X00T47", "gültig bis 01.06.2031")):
        draw.text((430, 190 + n * 70), line, font=small, fill=(30, 30, 30))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def seed(two_fleets):
    """Fleet A (Berlin) with two documents waiting: Nia's licence (a PDF, the oldest) and Jonas's ID card (a photo);
    fleet B has one too, which fleet A's manager never sees."""
    FleetFactory(id=two_fleets.a.fleet_id, name="Alpha Logistics")
    FleetFactory(id=two_fleets.b.fleet_id, name="Bravo Freight", country="GB", time_zone="Europe/London")
    nia = DriverProfileFactory(fleet_id=two_fleets.a.fleet_id, display_name="Nia Okafor", licence_classes="B")
    jonas = DriverProfileFactory(fleet_id=two_fleets.a.fleet_id, display_name="Jonas Weber")
    other = DriverProfileFactory(fleet_id=two_fleets.b.fleet_id, display_name="Ben Hale")
    licence = KycDocumentFactory(
        driver=nia, upload=SimpleUploadedFile("licence.pdf", licence_pdf(), content_type="application/pdf")
    )
    card = KycDocumentFactory(
        driver=jonas,
        doc_type=KycDocumentType.IDENTITY_DOCUMENT,
        upload=SimpleUploadedFile("id-card.jpg", id_card_jpeg(), content_type="image/jpeg"),
    )
    KycDocumentFactory(driver=other)
    for doc, hours_ago in ((licence, 5), (card, 2)):
        KycDocument.objects.filter(id=doc.id).update(
            submitted_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours_ago)
        )
    return licence.id, card.id


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def scans_shown(page) -> list[int]:
    """The natural widths of the scan pictures on the page, once each has loaded (0: it failed to load)."""
    page.wait_for_function("[...document.querySelectorAll('.kyc-scan-image')].every(i => i.complete)", timeout=15_000)
    return page.eval_on_selector_all(".kyc-scan-image", "images => images.map(i => i.naturalWidth)")


@pytest.mark.parametrize("screen", SCREENS)
def test_a_manager_reviews_the_queue_with_the_scan_inline(two_fleets, server, browser, django_side, screen):
    licence_id, card_id = django_side(seed, two_fleets)
    manager = two_fleets.a.users["fleet_manager"]
    page = browser.new_page(viewport=SCREENS[screen])
    page.goto(f"{server}/admin/login/?next=/admin/partner/kycdocument/")
    page.fill("input[name=username]", manager.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{server}/admin/partner/kycdocument/")
    shot(page, f"console-kyc-queue-{screen}")

    assert "2 waiting" in page.text_content(".kyc-queue")
    assert "Ben Hale" not in page.content()
    page.click("text=Review the oldest")
    page.wait_for_url(f"{server}/admin/partner/kycdocument/{licence_id}/review/")
    assert scans_shown(page) == [1000]  # the PDF's one page, drawn 1000 px across on the server
    assert "Nia Okafor" in page.text_content(".kyc-facts") and "B072RRE2I55" in page.text_content(".kyc-facts")
    assert page.text_content(".kyc-waiting").strip() == "2 waiting"
    shot(page, f"console-kyc-{screen}")

    page.click("button.kyc-approve")
    page.wait_for_url(f"{server}/admin/partner/kycdocument/{card_id}/review/")
    assert "approved" in page.text_content(".messagelist")
    assert page.text_content(".kyc-waiting").strip() == "1 waiting"
    assert scans_shown(page) == [1200]  # the ID card's photo, as stored
    shot(page, f"console-kyc-next-{screen}")
    reviewed = django_side(lambda: KycDocument.objects.values("status", "reviewed_by_id").get(id=licence_id))
    assert reviewed == {"status": "approved", "reviewed_by_id": manager.id}

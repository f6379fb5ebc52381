"""Builders for partner tests, going through the services as the product does."""

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from apps.partner.contracts import KycDocumentType
from apps.partner.models import DriverProfile
from apps.partner.services import kyc
from logitrack.testing import images as testing_images

PDF = testing_images.pdf()  # real files: uploads are decoded, not only sniffed
JPEG = testing_images.jpeg()


def pdf(name="scan.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def document_data(doc_type: KycDocumentType, *, expires_in_days: int = 365) -> dict:
    expires = timezone.localdate() + dt.timedelta(days=expires_in_days)
    return {
        KycDocumentType.DRIVING_LICENCE: {
            "number": "B072RRE2I55",
            "classes": "B,C1",
            "issued_on": dt.date(2015, 4, 1),
            "expires_on": expires,
        },
        KycDocumentType.IDENTITY_DOCUMENT: {"document_type": "id_card", "number": "L01X00T47", "expires_on": expires},
        KycDocumentType.BACKGROUND_CHECK: {
            "provider": "Bundesamt für Justiz",
            "reference": "FZ-2026-1",
            "checked_on": timezone.localdate(),
            "expires_on": expires,
        },
    }[doc_type]


def submit_all(driver: DriverProfile, *, expires_in_days: int = 365) -> list:
    return [
        kyc.kyc_document_submit(
            driver_id=driver.id, doc_type=t, data=document_data(t, expires_in_days=expires_in_days), upload=pdf()
        )
        for t in KycDocumentType
    ]


def make_compliant(driver: DriverProfile, *, expires_in_days: int = 365) -> DriverProfile:
    for document in submit_all(driver, expires_in_days=expires_in_days):
        kyc.kyc_document_review(document_id=document.id, approve=True, reviewer_id=None)
    driver.refresh_from_db()
    return driver

"""Test factories of the partner context (factory-boy). Rows are made through the services, as the product
makes them: `DriverProfileFactory()` onboards a driver, `KycDocumentFactory(driver=..., doc_type=...)` submits
a document with a real scan (uploads are decoded, not only sniffed), `approved=True` also approves it.

`submit_all(driver)` and `make_compliant(driver)` are the same factories as functions, for callers outside the
app (tests/support, other contexts' tests) that use those names.
"""

from __future__ import annotations

import datetime as dt
import uuid

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from apps.partner.contracts import KycDocumentType
from apps.partner.models import DriverProfile, KycDocument
from apps.partner.services import drivers, kyc
from logitrack.testing import images as testing_images

PDF = testing_images.pdf()  # real files: uploads are decoded, not only sniffed
JPEG = testing_images.jpeg()


def pdf(name="scan.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def document_data(doc_type: KycDocumentType, *, expires_in_days: int = 365) -> dict:
    """The fields of a valid document of `doc_type`, expiring in `expires_in_days`."""
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


class DriverProfileFactory(factory.django.DjangoModelFactory[DriverProfile]):
    """A driver profile as onboarding makes it when identity grants someone the driver role in a fleet."""

    class Meta:
        model = DriverProfile

    user_id = factory.LazyFunction(uuid.uuid4)
    fleet_id = factory.LazyFunction(uuid.uuid4)
    display_name = factory.Sequence(lambda n: f"Driver {n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return drivers.driver_onboard(**kwargs)


class KycDocumentFactory(factory.django.DjangoModelFactory[KycDocument]):
    """A submitted KYC document of `doc_type` (a driving licence by default) valid for `expires_in_days`;
    `approved=True` has it approved as well (the returned row is the submission)."""

    class Meta:
        model = KycDocument
        skip_postgeneration_save = True  # the services saved it

    class Params:
        expires_in_days = 365

    driver = factory.SubFactory(DriverProfileFactory)
    doc_type = KycDocumentType.DRIVING_LICENCE
    data = factory.LazyAttribute(lambda o: document_data(o.doc_type, expires_in_days=o.expires_in_days))
    upload = factory.LazyFunction(pdf)

    @classmethod
    def _create(cls, model_class, *args, driver, doc_type, data, upload):
        return kyc.kyc_document_submit(driver_id=driver.id, doc_type=doc_type, data=data, upload=upload)

    @factory.post_generation
    def approved(obj, create, extracted, **kwargs):
        if create and extracted:
            kyc.kyc_document_review(document_id=obj.id, approve=True, reviewer_id=None)


def submit_all(driver: DriverProfile, *, expires_in_days: int = 365) -> list:
    """One submitted document of every type for `driver`."""
    return [
        KycDocumentFactory.create(driver=driver, doc_type=t, expires_in_days=expires_in_days) for t in KycDocumentType
    ]


def make_compliant(driver: DriverProfile, *, expires_in_days: int = 365) -> DriverProfile:
    """Every document type submitted and approved: the driver is compliant."""
    for doc_type in KycDocumentType:
        KycDocumentFactory(driver=driver, doc_type=doc_type, expires_in_days=expires_in_days, approved=True)
    driver.refresh_from_db()
    return driver

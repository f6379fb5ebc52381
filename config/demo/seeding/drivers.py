"""Each demo fleet's drivers in every compliance state (plans.DRIVER_KINDS): their KYC papers handed in and
reviewed (approved, one waiting, one missing, one rejected, one suspended driver), and a shift for those allowed
to drive."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from apps.fleet.contracts import VehicleType
from apps.partner import api as partner_api
from apps.partner.contracts import KycDocumentType
from apps.partner.services import compliance as partner_compliance
from apps.partner.services import kyc as partner_kyc
from config.demo.plans import DRIVER_KINDS, FleetPlan
from config.demo.scans import scan_pdf
from config.demo.seeding import people, shifts
from config.demo.seeding.context import Seeding, relay
from config.demo.seeding.shifts import Crew


def drivers(
    seeding: Seeding,
    plan: FleetPlan,
    fleet_id: uuid.UUID,
    manager_id: uuid.UUID,
    count: int,
    vehicles: dict[VehicleType, list[uuid.UUID]],
) -> list[Crew]:
    """The fleet's drivers; returns the crews on the road now (a started shift, on duty)."""
    users = people.driver_accounts(seeding, plan, fleet_id, manager_id, count)
    relay()  # partner makes the driver profiles from the memberships
    crews: list[Crew] = []
    free = {kind: list(ids) for kind, ids in vehicles.items()}
    for n, user in enumerate(users):
        kind = DRIVER_KINDS[n % len(DRIVER_KINDS)]
        driver_id = partner_api.driver_for_user(user_id=user.id, fleet_id=fleet_id).id
        heavy = n % 6 == 3  # some hold a lorry licence
        papers(seeding, driver_id, kind, manager_id, heavy=heavy)
        seeding.report.counts[f"drivers {kind}"] += 1
        if kind in ("compliant", "expiring"):
            crew = shifts.shift(seeding, plan, fleet_id, user.id, driver_id, free, heavy=heavy, manager_id=manager_id)
            if crew is not None:
                crews.append(crew)
        seeding.tick()
    return crews


def papers(seeding: Seeding, driver_id: uuid.UUID, kind: str, reviewer_id: uuid.UUID, *, heavy: bool) -> None:
    """The driver's KYC documents, handed in and reviewed as the driver's compliance `kind` says."""
    rng = seeding.rng
    today = timezone.localdate()
    licence_days = rng.randint(10, 25) if kind == "expiring" else rng.randint(400, 2500)
    documents: dict[KycDocumentType, dict[str, Any]] = {
        KycDocumentType.DRIVING_LICENCE: {
            "number": f"B{rng.randint(10**9, 10**10 - 1)}",
            "classes": "B,C1,C,CE" if heavy else "B,C1",
            "issued_on": today - dt.timedelta(days=rng.randint(800, 6000)),
            "expires_on": today + dt.timedelta(days=licence_days),
        },
        KycDocumentType.IDENTITY_DOCUMENT: {
            "document_type": rng.choice(["passport", "id_card", "residence_permit"]),
            "number": f"L{rng.randint(10**7, 10**8 - 1)}",
            "expires_on": today + dt.timedelta(days=rng.randint(300, 3000)),
        },
        KycDocumentType.BACKGROUND_CHECK: {
            "provider": "Bundesamt für Justiz",
            "reference": f"FZ-{rng.randint(10000, 99999)}",
            "checked_on": today - dt.timedelta(days=rng.randint(10, 200)),
            "expires_on": today + dt.timedelta(days=rng.randint(200, 700)),
        },
    }
    for doc_type, data in documents.items():
        if kind == "pending_missing" and doc_type is KycDocumentType.BACKGROUND_CHECK:
            continue
        upload = SimpleUploadedFile(f"{doc_type}.pdf", scan_pdf(), content_type="application/pdf")
        document = partner_kyc.kyc_document_submit(driver_id=driver_id, doc_type=doc_type, data=data, upload=upload)
        if kind == "pending_review" and doc_type is KycDocumentType.IDENTITY_DOCUMENT:
            continue
        rejected = kind == "non_compliant" and doc_type is KycDocumentType.BACKGROUND_CHECK
        partner_kyc.kyc_document_review(
            document_id=document.id,
            approve=not rejected,
            reviewer_id=reviewer_id,
            reason="the certificate is older than the fleet accepts" if rejected else "",
        )
    if kind == "suspended":
        partner_compliance.driver_suspend(driver_id=driver_id, reason="three complaints about parcels left outside")

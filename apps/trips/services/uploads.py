"""Stored proof-of-delivery files: the operator's re-check that re-encodes or quarantines old uploads."""

from __future__ import annotations

from apps.trips.models import ProofOfDelivery
from logitrack import files, images
from logitrack.db import contexts


def uploads_sanitize(*, dry_run: bool = False) -> files.RecheckReport:
    """Operator's re-check of stored proof-of-delivery signatures and photos (`trips_sanitize_uploads`):
    images stored before uploads were re-encoded are re-encoded now, those that cannot be made safe are
    quarantined. One transaction per proof; a second run finds nothing to do."""
    report = files.RecheckReport()
    proofs = ProofOfDelivery.objects.exclude(signature_path="", photo_path="").order_by("id")
    for proof_id in proofs.values_list("id", flat=True):
        _proof_files_recheck(proof_id, report, dry_run)
    return report


@contexts.atomic("trips")
def _proof_files_recheck(proof_id: int, report: files.RecheckReport, dry_run: bool) -> None:
    proof = ProofOfDelivery.objects.select_for_update().filter(id=proof_id).first()
    if proof is None:
        return
    changed = []
    for field, image in (("signature_path", images.LINE_ART), ("photo_path", images.PHOTO)):
        path = getattr(proof, field)
        if not path:
            continue
        label = f"proof {proof.id} {field.removesuffix('_path')}"
        result = files.recheck_and_tally(path, image=image, label=label, report=report, dry_run=dry_run)
        if not dry_run and result.outcome in ("rewritten", "quarantined"):
            setattr(proof, field, result.stored.path if result.stored else "")
            changed.append(field)
    if changed:
        proof.save(update_fields=changed)

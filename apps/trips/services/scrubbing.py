"""What an ended trip keeps once the people in it are erased: the facts, not who or where exactly."""

from __future__ import annotations

from django.db.models import F
from django.db.models.functions import Round

from apps.trips.models import Offer, ProofOfDelivery, Stop, TrackingLink, Trip, TripLogEntry
from logitrack import files
from logitrack.db import contexts

ERASED = "erased"


@contexts.atomic("trips")
def scrub(trips) -> int:
    """Keep what the trips were (status, times, loads, money facts, who by id), drop what identifies people:
    addresses, contact names and phones, notes, free-text reasons, proofs of delivery and their files, tracking
    links and estimates. Stop coordinates are rounded to about a kilometre (0.01°). A few statements whatever
    the number of trips; returns how many."""
    ids = list(trips.values_list("id", flat=True))
    proofs = ProofOfDelivery.objects.filter(stop__trip_id__in=ids)
    for signature, photo in proofs.values_list("signature_path", "photo_path"):
        files.delete_private(signature)
        files.delete_private(photo)
    proofs.update(recipient_name="", signature_path="", photo_path="")
    Stop.objects.filter(trip_id__in=ids).update(
        address=ERASED,
        contact_name="",
        contact_phone="",
        notes="",
        pin_hash="",
        failure_reason="",
        lat=Round(F("lat"), 2),
        lng=Round(F("lng"), 2),
    )
    TripLogEntry.objects.filter(trip_id__in=ids).update(reason="", lat=None, lng=None)
    Offer.objects.filter(trip_id__in=ids).update(reason="")
    TrackingLink.objects.filter(trip_id__in=ids).delete()
    return Trip.objects.filter(id__in=ids).update(
        end_reason="", tracking_lat=None, tracking_lng=None, eta_at=None, tracking_at=None, erase_when_ended=False
    )

"""Pure rules: compliance from documents, licence classes, availability windows."""

import datetime as dt

import pytest

from apps.partner.contracts import ComplianceStatus, KycDocumentType, KycStatus
from apps.partner.domain import DocumentFact, derive_compliance, licence_covers, window_covered

TODAY = dt.date(2026, 11, 22)
NOW = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
LIC, ID, BG = KycDocumentType.DRIVING_LICENCE, KycDocumentType.IDENTITY_DOCUMENT, KycDocumentType.BACKGROUND_CHECK


def fact(doc_type, status=KycStatus.APPROVED, expires=TODAY + dt.timedelta(days=30), at=NOW):
    return DocumentFact(doc_type, status, expires, at)


def test_all_three_approved_and_valid_is_compliant():
    assert derive_compliance([fact(LIC), fact(ID), fact(BG)], suspended=False, today=TODAY) == (
        ComplianceStatus.COMPLIANT,
        (),
    )


def test_missing_or_awaiting_review_is_pending_with_reasons():
    status, reasons = derive_compliance([fact(LIC), fact(ID, KycStatus.SUBMITTED)], suspended=False, today=TODAY)
    assert status is ComplianceStatus.PENDING
    assert reasons == ("identity_document_awaiting", "background_check_missing")


def test_an_expired_or_rejected_document_is_non_compliant():
    expired = derive_compliance(
        [fact(LIC, expires=TODAY - dt.timedelta(days=1)), fact(ID), fact(BG)], suspended=False, today=TODAY
    )
    rejected = derive_compliance([fact(LIC), fact(ID, KycStatus.REJECTED), fact(BG)], suspended=False, today=TODAY)
    assert expired == (ComplianceStatus.NON_COMPLIANT, ("driving_licence_expired",))
    assert rejected == (ComplianceStatus.NON_COMPLIANT, ("identity_document_rejected",))


def test_a_valid_replacement_cures_an_expired_document():
    docs = [
        fact(LIC, KycStatus.EXPIRED, TODAY - dt.timedelta(days=3)),
        fact(LIC, at=NOW + dt.timedelta(days=1)),
        fact(ID),
        fact(BG),
    ]
    assert derive_compliance(docs, suspended=False, today=TODAY)[0] is ComplianceStatus.COMPLIANT


def test_a_new_submission_after_rejection_is_pending_again():
    docs = [
        fact(LIC, KycStatus.REJECTED),
        fact(LIC, KycStatus.SUBMITTED, at=NOW + dt.timedelta(hours=1)),
        fact(ID),
        fact(BG),
    ]
    assert derive_compliance(docs, suspended=False, today=TODAY) == (
        ComplianceStatus.PENDING,
        ("driving_licence_awaiting",),
    )


def test_suspension_beats_everything():
    assert derive_compliance([fact(LIC), fact(ID), fact(BG)], suspended=True, today=TODAY) == (
        ComplianceStatus.SUSPENDED,
        ("suspended",),
    )


@pytest.mark.parametrize(
    ("held", "needed", "ok"),
    [
        (["B"], "B", True),
        (["B"], "", True),
        (["B"], "C1", False),
        (["C"], "C1", True),
        (["CE"], "C", True),
        (["C1"], "C", False),
        (["b", " c1 "], "C1", True),
        ([], "B", False),
    ],
)
def test_licence_classes(held, needed, ok):
    assert licence_covers(held, needed) is ok


BERLIN = dt.timezone(dt.timedelta(hours=1))
MONDAY = dt.date(2026, 11, 23)


def at(day, hour, minute=0):
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=BERLIN)


WEEKLY = [
    (0, dt.time(8), dt.time(16)),
    (1, dt.time(8), dt.time(16)),
    (0, dt.time(18), dt.time(23, 59)),
    (1, dt.time(0), dt.time(2)),
]


@pytest.mark.parametrize(
    ("start", "end", "exceptions", "covered"),
    [
        (at(MONDAY, 9), at(MONDAY, 15), {}, True),
        (at(MONDAY, 7), at(MONDAY, 9), {}, False),
        (at(MONDAY, 15), at(MONDAY, 17), {}, False),
        (at(MONDAY, 22), at(MONDAY + dt.timedelta(days=1), 1), {}, True),  # across midnight into Tuesday's window
        (at(MONDAY, 9), at(MONDAY, 10), {MONDAY: [(False, None, None)]}, False),  # a day off
        (at(MONDAY, 9), at(MONDAY, 10), {MONDAY: [(False, dt.time(9, 30), dt.time(11))]}, False),  # the dentist
        (at(MONDAY, 12), at(MONDAY, 14), {MONDAY: [(False, dt.time(9, 30), dt.time(11))]}, True),
        (at(MONDAY, 5), at(MONDAY, 7), {MONDAY: [(True, dt.time(5), dt.time(12))]}, True),  # extra early shift
        (at(MONDAY + dt.timedelta(days=2), 9), at(MONDAY + dt.timedelta(days=2), 10), {}, False),  # Wednesday: none
        (at(MONDAY, 10), at(MONDAY, 9), {}, False),
    ],
)
def test_availability_windows(start, end, exceptions, covered):
    assert window_covered(weekly=WEEKLY, exceptions=exceptions, starts_at=start, ends_at=end) is covered

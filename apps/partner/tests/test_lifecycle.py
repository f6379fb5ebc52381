"""Drivers appear when identity grants the role, leave when it is revoked, and vanish on erasure;
documents drive compliance; compliance gates duty."""

import datetime as dt

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from apps.partner.contracts import ComplianceStatus, DutyStatus, IllegalReview, KycDocumentType, KycStatus, NotCompliant
from apps.partner.events import ComplianceChangedV1, DriverOnboardedV1, DutyStatusChangedV1, KycDocumentExpiringV1
from apps.partner.models import DriverProfile, KycDocument
from apps.partner.services import compliance, duty, expiry, kyc
from apps.partner.services import drivers as driver_services
from apps.partner.tests.factories import document_data, make_compliant, pdf, submit_all

pytestmark = pytest.mark.django_db


def test_a_granted_driver_role_creates_one_profile_even_when_delivered_twice(
    two_fleets, captured_events, relay_and_deliver
):
    from logitrack.outbox import delivery
    from logitrack.outbox.models import OutboxMessage

    with captured_events() as events:
        relay_and_deliver()
    driver = DriverProfile.objects.get(user_id=two_fleets.a.users["driver"].id)
    assert driver.fleet_id == two_fleets.a.fleet_id and driver.display_name == "driver of alpha"
    assert driver.compliance_status == ComplianceStatus.PENDING
    assert sum(isinstance(e, DriverOnboardedV1) for e in events) == 2  # one per fleet's driver, none for other roles
    granted = OutboxMessage.objects.filter(event_type="logitrack.identity.membership.granted.v1").first()
    assert delivery.deliver(subscription_name="partner.onboard_driver", envelope=granted.envelope) is False
    assert DriverProfile.objects.count() == 2


def test_revoking_the_role_deactivates_the_profile_and_takes_the_driver_off_duty(
    two_fleets, drivers, relay_and_deliver
):
    driver_a, _ = drivers
    make_compliant(driver_a)
    duty.duty_set(driver_id=driver_a.id, on_duty=True)
    membership = two_fleets.a.users["driver"].memberships.get()

    revoked = two_fleets.a.client("fleet_manager").delete(f"/api/v1/identity/memberships/{membership.id}/")
    assert revoked.status_code == 204
    relay_and_deliver()

    driver_a.refresh_from_db()
    assert not driver_a.active and driver_a.duty_status == DutyStatus.OFF_DUTY


def test_erasure_removes_personal_data_and_files(two_fleets, drivers, relay_and_deliver):
    driver_a, _ = drivers
    driver_services.driver_profile_update(
        driver_id=driver_a.id, data={"phone": "+4915112345678", "emergency_contact_name": "Mum"}
    )
    documents = submit_all(driver_a)
    paths = [d.file_path for d in documents]
    assert all(default_storage.exists(p) for p in paths)

    call_command("identity_erase_user", "--user-id", str(two_fleets.a.users["driver"].id), "--yes")
    relay_and_deliver()

    driver_a.refresh_from_db()
    assert (driver_a.display_name, driver_a.phone, driver_a.emergency_contact_name) == ("", "", "")
    assert driver_a.anonymised_at is not None and not driver_a.active
    assert not any(default_storage.exists(p) for p in paths)
    assert all(
        d.get_real_instance().number == ""
        for d in KycDocument.objects.filter(driver=driver_a)
        if hasattr(d.get_real_instance(), "number")
    )


def test_documents_make_a_driver_compliant_and_every_change_is_published(drivers, captured_events):
    driver_a, _ = drivers
    with captured_events() as events:
        documents = submit_all(driver_a)
        for document in documents[:2]:
            kyc.kyc_document_review(document_id=document.id, approve=True, reviewer_id=None)
        driver_a.refresh_from_db()
        assert driver_a.compliance_status == ComplianceStatus.PENDING
        assert driver_a.compliance_reasons == ["background_check_awaiting"]
        kyc.kyc_document_review(document_id=documents[2].id, approve=True, reviewer_id=None)

    driver_a.refresh_from_db()
    assert driver_a.compliance_status == ComplianceStatus.COMPLIANT and driver_a.licence_classes == "B,C1"
    changes = [e for e in events if isinstance(e, ComplianceChangedV1)]
    assert [(e.old_status, e.new_status) for e in changes] == [(ComplianceStatus.PENDING, ComplianceStatus.COMPLIANT)]


def test_a_rejection_needs_a_reason_and_a_review_happens_once(drivers):
    driver_a, _ = drivers
    licence = submit_all(driver_a)[0]
    from apps.partner.contracts import InvalidPartnerData

    with pytest.raises(InvalidPartnerData):
        kyc.kyc_document_review(document_id=licence.id, approve=False, reviewer_id=None, reason=" ")
    kyc.kyc_document_review(document_id=licence.id, approve=False, reviewer_id=None, reason="photo page missing")
    driver_a.refresh_from_db()
    assert driver_a.compliance_status == ComplianceStatus.NON_COMPLIANT
    assert "driving_licence_rejected" in driver_a.compliance_reasons
    with pytest.raises(IllegalReview):
        kyc.kyc_document_review(document_id=licence.id, approve=True, reviewer_id=None)


def test_only_compliant_drivers_go_on_duty(drivers, captured_events):
    driver_a, _ = drivers
    with pytest.raises(NotCompliant):
        duty.duty_set(driver_id=driver_a.id, on_duty=True)
    make_compliant(driver_a)
    with captured_events() as events:
        duty.duty_set(driver_id=driver_a.id, on_duty=True)
        duty.duty_set(driver_id=driver_a.id, on_duty=True)  # no change, no event
    assert [(type(e), e.duty_status) for e in events] == [(DutyStatusChangedV1, DutyStatus.ON_DUTY)]


def test_suspension_forces_off_duty_and_reinstating_restores_compliance(drivers, captured_events):
    driver_a, _ = drivers
    make_compliant(driver_a)
    duty.duty_set(driver_id=driver_a.id, on_duty=True)
    with captured_events() as events:
        compliance.driver_suspend(driver_id=driver_a.id, reason="complaint under investigation")
    driver_a.refresh_from_db()
    assert (driver_a.compliance_status, driver_a.duty_status) == (ComplianceStatus.SUSPENDED, DutyStatus.OFF_DUTY)
    forced = [e for e in events if isinstance(e, DutyStatusChangedV1)]
    assert len(forced) == 1 and forced[0].forced
    compliance.driver_reinstate(driver_id=driver_a.id)
    driver_a.refresh_from_db()
    assert driver_a.compliance_status == ComplianceStatus.COMPLIANT and driver_a.duty_status == DutyStatus.OFF_DUTY


def test_the_daily_job_expires_documents_and_warns_once(drivers, captured_events, mailoutbox):
    driver_a, _ = drivers
    make_compliant(driver_a, expires_in_days=10)
    duty.duty_set(driver_id=driver_a.id, on_duty=True)

    with captured_events() as events:
        call_command("partner_expire_documents")
        call_command("partner_expire_documents")
    # one announcement per document, once (the 30-day threshold; 10 days left); notifications writes the mail
    assert [(type(e), e.days_left, e.threshold) for e in events] == [(KycDocumentExpiringV1, 10, 30)] * 3
    assert {e.kyc_type for e in events} == {t.value for t in KycDocumentType}
    assert mailoutbox == []  # partner sends no mail itself any more
    with captured_events() as events:
        call_command("partner_expire_documents", "--threshold", "30", "--threshold", "7")
        expiry.documents_expire(today=timezone.localdate() + dt.timedelta(days=3))  # 7 days left: the next one
        expiry.documents_expire(today=timezone.localdate() + dt.timedelta(days=4))
    assert [(e.days_left, e.threshold) for e in events] == [(7, 7)] * 3

    with captured_events() as events:
        expired, _ = expiry.documents_expire(today=timezone.localdate() + dt.timedelta(days=11))
    assert expired == 3
    driver_a.refresh_from_db()
    assert driver_a.compliance_status == ComplianceStatus.NON_COMPLIANT and driver_a.duty_status == DutyStatus.OFF_DUTY
    assert KycDocument.objects.filter(driver=driver_a, status=KycStatus.EXPIRED).count() == 3
    assert [type(e) for e in events] == [ComplianceChangedV1, DutyStatusChangedV1]


def test_documents_expiring_already_are_refused(drivers):
    driver_a, _ = drivers
    from apps.partner.contracts import InvalidPartnerData

    data = {
        **document_data(KycDocumentType.IDENTITY_DOCUMENT),
        "expires_on": timezone.localdate() - dt.timedelta(days=1),
    }
    with pytest.raises(InvalidPartnerData):
        kyc.kyc_document_submit(
            driver_id=driver_a.id, doc_type=KycDocumentType.IDENTITY_DOCUMENT, data=data, upload=pdf()
        )
    assert KycDocument.objects.count() == 0

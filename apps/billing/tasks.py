"""Celery entry points of billing: numbering and rendering documents, the monthly invoice run, stale top-ups."""

import uuid

from celery import shared_task

from apps.billing.services import invoices, ledger, topups


@shared_task(
    name="billing.render_invoice",
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OSError,),
    max_retries=5,
    retry_backoff=True,
)
def render_invoice(invoice_id: str) -> None:
    invoices.invoice_render(invoice_id=uuid.UUID(invoice_id))


@shared_task(name="billing.issue_period_invoice", acks_late=True)
def issue_period_invoice(fleet_id: str, customer_id: str, period: str) -> str:
    return invoices.period_invoice_issue(
        fleet_id=uuid.UUID(fleet_id), customer_id=uuid.UUID(customer_id), period=period
    ).number


@shared_task(name="billing.issue_receipt", acks_late=True, ignore_result=True)
def issue_receipt(trip_id: str) -> None:
    invoices.receipt_issue(trip_id=uuid.UUID(trip_id))


@shared_task(name="billing.issue_credit_note", acks_late=True, ignore_result=True)
def issue_credit_note(trip_id: str) -> None:
    invoices.credit_note_issue(trip_id=uuid.UUID(trip_id))


@shared_task(name="billing.catch_up_documents", ignore_result=True)
def catch_up_documents() -> dict[str, int]:
    return invoices.documents_catch_up()


@shared_task(name="billing.expire_topups", ignore_result=True)
def expire_topups() -> int:
    return topups.topups_expire()


@shared_task(name="billing.verify_ledger", ignore_result=True)
def verify_ledger() -> int:
    return len(ledger.ledger_check())

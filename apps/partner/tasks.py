from celery import shared_task

from apps.partner.services import expiry


@shared_task(name="partner.expire_documents", ignore_result=True)
def expire_documents() -> None:
    expiry.documents_expire()

from celery import shared_task

from apps.partner import services


@shared_task(name="partner.expire_documents", ignore_result=True)
def expire_documents() -> None:
    services.documents_expire()

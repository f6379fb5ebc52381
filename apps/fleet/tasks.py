from celery import shared_task

from apps.fleet import services


@shared_task(name="fleet.check_documents", ignore_result=True)
def check_documents() -> None:
    services.vehicle_documents_check()

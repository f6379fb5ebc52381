from celery import shared_task

from apps.fleet.services import vehicle_documents


@shared_task(name="fleet.check_documents", ignore_result=True)
def check_documents() -> None:
    vehicle_documents.vehicle_documents_check()

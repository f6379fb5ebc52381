from celery import shared_task

from logitrack.idempotency import services


@shared_task(name="idempotency.purge", ignore_result=True)  # type: ignore[untyped-decorator]  # celery is untyped
def purge() -> int:
    return services.idempotency_purge()

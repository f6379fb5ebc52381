from celery import shared_task

from apps.identity import services


@shared_task(name="identity.purge", ignore_result=True)
def purge() -> dict[str, int]:
    return services.identity_purge()

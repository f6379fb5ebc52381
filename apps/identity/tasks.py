from celery import shared_task

from apps.identity.services.purge import identity_purge


@shared_task(name="identity.purge", ignore_result=True)
def purge() -> dict[str, int]:
    return identity_purge()

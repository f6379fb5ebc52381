"""The managers' daily digest: beat runs this often; each fleet's digest goes once its local hour has come, once a
day (services.managers)."""

from celery import shared_task

from apps.notifications.services import managers


@shared_task(name="notifications.manager_digests", ignore_result=True)
def manager_digests() -> int:
    return managers.digests_send()

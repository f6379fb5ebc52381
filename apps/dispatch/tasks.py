import datetime as dt

from celery import shared_task
from django.conf import settings

from apps.dispatch import services


@shared_task(name="dispatch.prune_positions", ignore_result=True)
def prune_positions() -> int:
    return services.positions_prune(older_than=dt.timedelta(days=settings.DISPATCH_HISTORY_DAYS))

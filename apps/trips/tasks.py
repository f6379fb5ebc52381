import datetime as dt

from celery import shared_task

from apps.trips.services import lifecycle, offers


@shared_task(name="trips.expire_offers", ignore_result=True)
def expire_offers() -> int:
    return offers.offers_expire()


@shared_task(name="trips.cancel_stale", ignore_result=True)
def cancel_stale(minutes: int = 60) -> int:
    return lifecycle.trips_cancel_stale(older_than=dt.timedelta(minutes=minutes))

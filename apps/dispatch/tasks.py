import datetime as dt
import uuid

from celery import shared_task
from django.conf import settings

from apps.dispatch.services import board, positions, routing_jobs


@shared_task(name="dispatch.prune_positions", ignore_result=True)
def prune_positions() -> int:
    return positions.positions_prune(older_than=dt.timedelta(days=settings.DISPATCH_HISTORY_DAYS))


@shared_task(name="dispatch.optimize_routes", bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def optimize_routes(self, job_id: str) -> None:
    # No soft time limit: the solver stops on its own limit (a soft limit can make OR-Tools report a bogus
    # optimum). The hard limit is set per job when it is queued. Run eagerly (the embedded default, in the web
    # process) the solve goes to a child process, so the web process keeps answering while OR-Tools holds the GIL.
    routing_jobs.routing_job_run(
        job_id=uuid.UUID(job_id), worker=self.request.hostname or "", solve_in_child=bool(self.request.is_eager)
    )


@shared_task(name="dispatch.reap_routing_jobs", ignore_result=True)
def reap_routing_jobs() -> int:
    return routing_jobs.routing_jobs_reap()


@shared_task(name="dispatch.push_boards", ignore_result=True)
def push_boards() -> int:
    # the board's timings, driver states and alerts to every watched fleet's screens (beat, every few seconds)
    return board.boards_push()

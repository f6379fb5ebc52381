import time
import uuid

from django.core.management.base import BaseCommand, CommandError

from apps.dispatch import selectors
from apps.dispatch.contracts import JobStatus
from apps.dispatch.services import routing_jobs
from logitrack.exceptions import ApplicationError


class Command(BaseCommand):
    help = (
        "Queue a route optimisation of a fleet's open trips over its open shifts (the routing workers run it); "
        "with --wait, follow it to the end and print the plan."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fleet", required=True, help="fleet id")
        parser.add_argument("--seconds", type=int, default=10, help="the solver's time limit (1-120)")
        parser.add_argument("--from-plan", default=None, help="re-optimise starting from this plan id")
        parser.add_argument("--wait", action="store_true", help="wait for the job and print the plan")

    def handle(self, *args, fleet, seconds, from_plan, wait, **options):
        try:
            fleet_id = uuid.UUID(fleet)
            from_plan_id = uuid.UUID(from_plan) if from_plan else None
        except ValueError as exc:
            raise CommandError(f"not an id: {exc}") from exc
        if not 1 <= seconds <= 120:
            raise CommandError("--seconds must be between 1 and 120")
        try:
            job = routing_jobs.routing_job_create(
                fleet_id=fleet_id, seconds=seconds, actor_id=None, from_plan_id=from_plan_id
            )
        except ApplicationError as exc:  # no such fleet, or no such plan in it: nothing is queued
            raise CommandError(exc.message) from exc
        self.stdout.write(f"routing job {job.id} queued ({seconds} s)")
        if not wait:
            return
        deadline = time.monotonic() + seconds + 300
        while True:
            job.refresh_from_db()
            if job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        if job.status != JobStatus.SUCCEEDED:
            raise CommandError(f"routing job {job.id} is {job.status}: {job.error or 'no routing worker answered'}")
        plan = selectors.plan_current(fleet_id=fleet_id)
        self.stdout.write(f"plan {plan.id}: {len(plan.routes)} routes, {plan.distance_m / 1000:.1f} km")
        for route in plan.routes:
            trips = len({s["trip_id"] for s in route["stops"]})
            self.stdout.write(
                f"  {route['registration']}: {trips} trips, {len(route['stops'])} stops, ends {route['ends_at']}"
            )
        for unserved in plan.unserved:
            self.stdout.write(f"  not served {unserved['trip_id']}: {unserved['reason']}")

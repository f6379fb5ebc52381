from django.core.management.base import BaseCommand, CommandError

from config.demo import plans, simulator


class Command(BaseCommand):
    help = (
        "Bring the demo operator to life against a running LogiTrack, over its REST API and websockets only: drivers "
        "go on duty, drive the city's streets pinging once a second and work their trips; customers book; a "
        "dispatcher assigns what waits. Run seed_demo first. Ctrl-C stops."
    )

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="where LogiTrack serves (default :8000)")
        parser.add_argument("--password", default=plans.DEFAULT_PASSWORD, help="the demo users' password")
        parser.add_argument("--seconds", type=float, default=0, help="stop after this long (default: run until Ctrl-C)")
        parser.add_argument("--drivers", type=int, default=0, help="at most this many drivers per fleet (default all)")
        parser.add_argument("--speed", type=float, default=4.0, help="road time runs this much faster (default 4)")
        parser.add_argument("--book-every", type=float, default=20.0, help="mean seconds between bookings (20)")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, url, password, seconds, drivers, speed, book_every, seed, **options):
        if speed <= 0 or book_every <= 0 or seconds < 0 or drivers < 0:
            raise CommandError("--speed and --book-every must be positive; --seconds and --drivers not negative")
        settings = simulator.Settings(base_url=url, password=password, speed=speed, book_every=book_every, seed=seed)
        try:
            stats = simulator.run(
                settings,
                seconds=seconds,
                drivers=drivers,
                on_start=lambda: self.stdout.write(f"simulating the demo operator against {url} (Ctrl-C stops)"),
                every=(30, self._report),
            )
        except simulator.ApiError as exc:
            raise CommandError(str(exc)) from exc
        except OSError as exc:
            raise CommandError(f"cannot reach {url}: {exc}") from exc
        self._report(stats)

    def _report(self, stats):
        self.stdout.write(", ".join(f"{what}: {count}" for what, count in sorted(stats.counts.items())) or "starting")

#!/usr/bin/env python
"""What carrying the request id costs (issue 22, part 2): CPU per websocket message (an id minted and bound) and
per published event (the `outbox.published` JSON line), against an empty loop measured in the same run.

    .venv/bin/python scripts/bench/request_ids.py [--runs 5]

The embedded settings, logging to /dev/null through the production JSON formatter: no database or Redis needed.
"""

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
for name in ("DATABASE_URL", "REDIS_URL"):
    os.environ.pop(name, None)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs

    import logging

    import django

    django.setup()
    import structlog

    from logitrack import correlation

    for handler in logging.getLogger().handlers:
        handler.setStream(open(os.devnull, "w"))  # the formatter's work, not the terminal's
    log = structlog.get_logger("logitrack.outbox.api")

    def per_op(body, n):
        started = time.process_time()
        body(n)
        return (time.process_time() - started) / n * 1e6

    def empty(n):
        for _ in range(n):
            pass

    def websocket_message(n):  # what AuthenticatedJsonConsumer.dispatch adds to each message from a client
        for _ in range(n):
            with correlation.bound(uuid.uuid4().hex):
                pass

    def published_line(n):
        with correlation.bound("story-0123456789abcdef"):
            for _ in range(n):
                log.info("outbox.published", event_type="logitrack.trips.trip.completed.v2", event_id=str(uuid.uuid4()))

    for name, body, n in (
        ("empty loop", empty, 200_000),
        ("websocket message: id minted and bound", websocket_message, 200_000),
        ("published event: its JSON log line", published_line, 20_000),
    ):
        samples = [per_op(body, n) for _ in range(runs)]
        print(f"{name}: median {statistics.median(samples):.2f} us CPU per operation ({runs} runs)")
    print("load average:", " ".join(f"{x:.1f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()

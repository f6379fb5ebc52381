"""Under pytest-xdist (scripts/test.sh runs the suite on several workers) each worker has its own Redis database
and its own test databases, so one worker's broker, cache, channel layer and rows never meet another's."""

import os
import subprocess
import sys
import textwrap

import pytest
from django.conf import settings

from logitrack.testing.plugin import worker_redis_url


def test_a_workers_redis_database_is_its_number_after_the_given_one():
    assert worker_redis_url("redis://127.0.0.1:6379/1", 0) == "redis://127.0.0.1:6379/1"
    assert worker_redis_url("redis://127.0.0.1:6379/1", 2) == "redis://127.0.0.1:6379/3"
    assert worker_redis_url("redis://:secret@cache:6380", 1) == "redis://:secret@cache:6380/1"


def test_a_worker_past_the_last_redis_database_is_refused_with_the_way_out():
    with pytest.raises(pytest.UsageError, match=r"would need Redis database 16.*fewer workers"):
        worker_redis_url("redis://127.0.0.1:6379/14", 2)


@pytest.mark.skipif(
    not settings.REDIS_URL or "postgres" not in settings.DATABASES["default"]["ENGINE"], reason="PostgreSQL and Redis"
)
def test_two_workers_each_see_their_own_redis_and_test_database(tmp_path):
    """A real pytest-xdist run of two workers, each reporting the Redis database and test database its Django
    settings name."""
    check = textwrap.dedent(
        """
            import os
            from django.conf import settings
            from django.db import connection

            def test_where(db):
                report = os.path.join(os.environ["WHERE_DIR"], os.environ["PYTEST_XDIST_WORKER"])
                with open(report, "w") as f:
                    f.write(f"{settings.REDIS_URL} {connection.settings_dict['NAME']}")
            """
    )
    for name in ("test_where.py", "test_where_too.py"):  # xdist hands two tests to two workers one each
        (tmp_path / name).write_text(check)
    # Databases and Redis of its own: this suite's workers have test_<name>_gw<n> and the Redis databases after
    # REDIS_URL's, which a child's workers would otherwise share (and recreate).
    db = settings.DATABASES["default"]
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_XDIST_", "DATABASE_URL_", "TEST_DATABASE_URL"))
    }
    env |= {
        "WHERE_DIR": str(tmp_path),
        "PYTHONPATH": str(settings.BASE_DIR),
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/logitrack_workers_check",
        "REDIS_URL": worker_redis_url(settings.REDIS_URL, 0).rsplit("/", 1)[0] + "/14",
    }
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "2", "-p", "no:cacheprovider", "--rootdir", str(tmp_path),
         "-c", str(settings.BASE_DIR / "pyproject.toml"), str(tmp_path)],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    seen = {w: (tmp_path / w).read_text().split() for w in ("gw0", "gw1")}
    assert seen["gw0"][0].endswith("/14") and seen["gw1"][0].endswith("/15")
    assert seen["gw0"][1] == "test_logitrack_workers_check_gw0"
    assert seen["gw1"][1] == "test_logitrack_workers_check_gw1"

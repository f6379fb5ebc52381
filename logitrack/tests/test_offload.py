import os
import time
from pathlib import Path

import pytest

from logitrack import offload
from logitrack.testing.processes import wait_until


def _sleep_past_the_limit(pid_file: str) -> str:  # runs in the child: a wedged solver
    Path(pid_file).write_text(str(os.getpid()))
    time.sleep(120)
    return "too late"


def _add(a: int, b: int) -> int:
    return a + b


def _gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")  # reaped soon after
    except FileNotFoundError:
        return True


def test_a_child_that_does_not_answer_in_time_is_killed_and_counts_as_died(tmp_path):
    pid_file = tmp_path / "child.pid"
    assert offload.run(_add, 1, 1, timeout=60) == 2  # the child started (slow under load): the limit is the job's alone
    started = time.monotonic()
    with pytest.raises(offload.ChildDied, match="did not answer within 3 s"):
        offload.run(_sleep_past_the_limit, str(pid_file), timeout=3)
    assert time.monotonic() - started < 60  # not the child's 120 s
    child = int(pid_file.read_text())
    wait_until(lambda: _gone(child), timeout=20, what="the wedged child to be killed")
    assert offload.run(_add, 2, 3, timeout=60) == 5  # the next job gets a fresh pool, not one stuck behind it

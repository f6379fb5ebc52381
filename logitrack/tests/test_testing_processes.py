"""`Processes.kill` returns once every process of the child's group is gone, not only its leader: a killed Celery
worker's pool process could otherwise still hold its SMTP or HTTP connection open while the test goes on (seen
under two test workers' load: a mail the test had killed its sender for was still accepted)."""

import os
import signal
import subprocess
from pathlib import Path

from logitrack.testing.processes import Processes, group_alive, group_members, wait_until


def test_a_group_outlives_its_leader_until_every_member_is_gone():
    leader = subprocess.Popen(["sh", "-c", "sleep 60 & exit 0"], start_new_session=True)
    leader.wait(10)  # the leader has exited and is reaped: waiting for it says nothing of its child
    assert group_alive(leader.pid)
    os.killpg(leader.pid, signal.SIGKILL)
    wait_until(lambda: not group_alive(leader.pid), timeout=10, what="the group's last member")


def test_kill_returns_with_no_process_of_the_group_left(tmp_path):
    procs = Processes(tmp_path)
    try:
        # a worker's shape: a parent and a pool process in its group
        procs.start("pool", "-c", "import subprocess, time; subprocess.Popen(['sleep', '60']); time.sleep(60)")
        pgid = procs.get("pool").pid
        wait_until(lambda: "sleep 60" in _commands(pgid), timeout=10, what="the pool process")
        procs.kill("pool")
        assert not group_alive(pgid)
    finally:
        procs.stop_all()


def _commands(pgid):
    found = []
    for pid in group_members(pgid):
        try:
            found.append(Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ").strip())
        except OSError:  # gone meanwhile
            continue
    return found

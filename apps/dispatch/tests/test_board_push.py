"""The beat's `board` push takes a short lock per fleet: two runs (a slow pass overlapping the next beat, two
workers) never compute the same fleet's board at once; the lock is let go when the pass ends."""

from __future__ import annotations

import uuid

import pytest

from apps.dispatch import feed, live
from apps.dispatch.services import board

pytestmark = pytest.mark.django_db


def test_a_run_skips_a_fleet_another_run_is_computing(live_store, monkeypatch):
    busy, free = uuid.uuid4(), uuid.uuid4()
    for fleet_id in (busy, free):
        live_store.screen_join(fleet_id, "screen-1")
    computed: list[uuid.UUID] = []
    monkeypatch.setattr(feed, "board", lambda fleet_id, payload: computed.append(fleet_id))

    with live_store.exclusive(f"board:{busy}", seconds=10) as mine:  # another run is on it
        assert mine
        assert board.boards_push() == 1
    assert computed == [free]

    assert board.boards_push() == 2  # that run is over: both again
    assert computed == [free, *sorted([busy, free], key=str)]


def test_a_run_overlapping_a_slow_one_does_not_compute_the_same_board(live_store, monkeypatch):
    fleet_id = uuid.uuid4()
    live_store.screen_join(fleet_id, "screen-1")
    overlapping: list[int] = []

    def slow_board(fleet, payload):  # while this pass computes, the next beat fires (once)
        if not overlapping:
            overlapping.append(board.boards_push())

    monkeypatch.setattr(feed, "board", slow_board)
    assert board.boards_push() == 1
    assert overlapping == [0]


@pytest.mark.parametrize("store", [live.MemoryLiveStore(ttl_s=60)], ids=["memory"])
def test_the_in_process_store_locks_alike(store):
    with store.exclusive("board:x", seconds=10) as first:
        with store.exclusive("board:x", seconds=10) as second:
            assert (first, second) == (True, False)
        with store.exclusive("board:y", seconds=10) as other:
            assert other
    with store.exclusive("board:x", seconds=10) as again:
        assert again
    with store.exclusive("board:z", seconds=0) as lapsed, store.exclusive("board:z", seconds=10) as after:
        assert (lapsed, after) == (True, True)  # a holder past its time no longer keeps others out

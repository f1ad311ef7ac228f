"""Turns: one playground request computes at a time, in the order they asked, and none waits unbounded."""

import threading
import time

import pytest

from glassnet.errors import ServerBusyError
from glassnet.web.sessions import Turns


def queued(turns: Turns, n: int) -> None:
    """Wait until ``n`` threads wait for ``turns``."""
    deadline = time.monotonic() + 5
    while len(turns._queue) < n:
        assert time.monotonic() < deadline, "the waiting threads never queued"
        time.sleep(0.001)


def test_turns_go_in_the_order_they_were_asked_for():
    turns, order = Turns(wait=5), []

    def later(name):
        with turns.turn():
            order.append(name)

    with turns.turn():
        threads = []
        for k, name in enumerate("bcd"):
            threads.append(threading.Thread(target=later, args=(name,)))
            threads[-1].start()
            queued(turns, k + 1)
        order.append("a")
    for t in threads:
        t.join(5)
    assert order == ["a", "b", "c", "d"]


def test_passing_on_lets_those_waiting_go_first_then_takes_the_turn_back():
    # Python's own lock lets the thread that releases it take it straight back: a request training in
    # chunks would keep it for all its chunks
    turns, order = Turns(wait=5, quantum=0), []

    def other():
        with turns.turn():
            order.append("other")

    with turns.turn() as turn:
        order.append("chunk 1")
        thread = threading.Thread(target=other)
        thread.start()
        queued(turns, 1)
        turn.pass_on()
        order.append("chunk 2")
        turn.pass_on()  # nobody waits: goes straight on
        order.append("chunk 3")
    thread.join(5)
    assert order == ["chunk 1", "other", "chunk 2", "chunk 3"]


def test_a_turn_not_given_within_the_wait_is_busy_and_leaves_no_trace():
    turns = Turns(wait=0.05)
    failures = []

    def late():
        start = time.monotonic()
        try:
            with turns.turn():
                failures.append("was given the turn")
        except ServerBusyError as exc:
            failures.append(("busy", time.monotonic() - start, exc.retry_after))

    with turns.turn():
        thread = threading.Thread(target=late)
        thread.start()
        thread.join(5)
    [(what, waited, retry_after)] = failures
    assert what == "busy" and 0.04 < waited < 2 and retry_after == 1
    assert not turns._queue and not turns._busy
    with turns.turn():  # free again at once
        pass


def test_an_error_in_a_turn_hands_it_on():
    turns = Turns(wait=0.05)
    with pytest.raises(KeyError), turns.turn():
        {}["missing"]
    with turns.turn():
        pass


def test_a_turn_is_passed_on_only_after_its_quantum():
    turns, order = Turns(wait=5, quantum=3600), []

    def other():
        with turns.turn():
            order.append("other")

    with turns.turn() as turn:
        thread = threading.Thread(target=other)
        thread.start()
        queued(turns, 1)
        turn.pass_on()  # held for less than its quantum: goes on
        order.append("chunk 2")
    thread.join(5)
    assert order == ["chunk 2", "other"]


def test_a_turn_not_given_back_in_time_is_not_handed_on_by_its_former_holder():
    turns, order = Turns(wait=0.05, quantum=0), []
    release = threading.Event()

    def slow():  # takes the turn passed to it and keeps it past the wait
        with turns.turn():
            order.append("slow")
            release.wait(5)

    with pytest.raises(ServerBusyError), turns.turn() as turn:
        thread = threading.Thread(target=slow)
        thread.start()
        queued(turns, 1)
        turn.pass_on()  # "slow" holds it for longer than this thread waits
    assert turns._busy and not turns._queue  # still slow's: the failed wait handed nothing on
    release.set()
    thread.join(5)
    assert order == ["slow"] and not turns._busy and not turns._queue

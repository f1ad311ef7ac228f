"""The playground's live sessions, whom they belong to, and whose turn it is to compute.

Sessions live as long as their tab: an open page sends a heartbeat every
:data:`HEARTBEAT_SECONDS`, and a session heard from in the last
:data:`LIVE_SECONDS` is never removed, whatever other clients do. A session
gone quiet for longer is freed, and so is one whose tab was closed.

:class:`Sessions` keeps each session with its lock and when it was last heard
from. Nothing is removed to make room for a new session: a browser
(:data:`PER_CLIENT`), an address (:data:`PER_ADDRESS`: a class behind one
router shares one) and the server (:data:`MEMORY_BUDGET` bytes) each have a
bound, and past it the answer is "full" (:class:`SessionsFull`, a 429 with
``Retry-After``).

:class:`Turns` lets one request compute at a time, in the order they asked.
Python runs one thread's bytecode at a time (the GIL), and a playground's
work is many small NumPy calls: thirty server threads training at once hand
the GIL to each other thousands of times a second, and a classroom got 74
frames a second instead of 126 (``benchmarks/playground_load.py``). Taking
turns a few milliseconds long keeps the same total fair without the thrash.
"""

from __future__ import annotations

import collections
import contextlib
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from ..errors import ServerBusyError

#: a session heard from (a request, a heartbeat) this recently is never removed
LIVE_SECONDS = 120
#: how often the page says it is still open: well within :data:`LIVE_SECONDS`, even in a background tab
HEARTBEAT_SECONDS = 30
#: sessions one browser (its cookie) may hold: tabs and reloads. At the bound its own oldest session,
#: if quiet for REPLACE_QUIET seconds (a tab closed without a word), makes room; nobody else's ever does
PER_CLIENT = 8
REPLACE_QUIET = 45
#: sessions one address may hold: a class of 30 or 40 behind one router shares one address
PER_ADDRESS = 48
#: what all sessions together may hold between requests (their points, weights, optimizer and history):
#: a session of the largest settings holds about 0.6 MB, the page's defaults about 0.1 MB
MEMORY_BUDGET = 192 * 2**20
#: how long a request waits for its session's lock, or for its turn, before it is answered "busy, send again"
LOCK_WAIT = 1.0
#: how long a request computes before it lets the next in line go: the page's defaults train a frame in
#: about 3 ms, so a frame is one turn; a larger network's frame takes several
QUANTUM = 0.01


class _Resident(Protocol):
    """What :class:`Sessions` keeps: a playground :class:`~glassnet.playground.Session` or a teach lesson."""

    def resident_bytes(self) -> int:
        """The bytes it holds (or may come to hold) between requests."""
        ...


class Turns:
    """A lock handed over in the order it was asked for, with a bounded wait.

    Python's own lock lets the thread that releases it take it straight back,
    so a request that trains in chunks would keep it; here a release hands the
    turn to the longest waiting thread. A turn is held for a whole request of
    the page's size; a long one passes it on every :attr:`quantum` seconds.

    Parameters
    ----------
    wait : float
        Seconds a thread waits for its turn before it is told the server is busy.
    quantum : float
        Seconds a turn is held before :meth:`Turn.pass_on` lets the next in line go.
    """

    def __init__(self, wait: float = LOCK_WAIT, quantum: float = QUANTUM) -> None:
        self.wait, self.quantum = wait, quantum
        self._lock = threading.Lock()
        self._busy = False
        self._queue: collections.deque[threading.Event] = collections.deque()

    @contextlib.contextmanager
    def turn(self) -> Iterator[Turn]:
        """Hold the turn for the ``with`` block.

        Yields
        ------
        Turn
            Its :meth:`~Turn.pass_on` lets those waiting go between two chunks of work.

        Raises
        ------
        ServerBusyError
            The turn did not come within :attr:`wait` seconds.
        """
        with self._lock:
            ticket = None if not self._busy else self._join()
            self._busy = True
        self._await(ticket)
        turn = Turn(self)
        try:
            yield turn
        finally:
            if turn.held:
                self._hand_on()

    def _join(self) -> threading.Event:
        ticket = threading.Event()
        self._queue.append(ticket)
        return ticket

    def _await(self, ticket: threading.Event | None) -> None:
        if ticket is None or ticket.wait(self.wait):
            return
        with self._lock:
            if ticket.is_set():  # handed over just as the wait ran out
                return
            self._queue.remove(ticket)
        raise ServerBusyError("the playground is busy with other learners' requests: send it again", retry_after=1)

    def _hand_on(self) -> None:
        with self._lock:
            if self._queue:
                self._queue.popleft().set()  # the turn passes straight to the next in line
            else:
                self._busy = False


class Turn:
    """A turn held: see :meth:`Turns.turn`.

    Parameters
    ----------
    turns : Turns
        Whose turn it is.
    """

    def __init__(self, turns: Turns) -> None:
        self.turns, self.held, self.since = turns, True, time.perf_counter()

    def pass_on(self) -> None:
        """Between two chunks of work: once the turn has been held for its quantum, let whoever waits go
        first, then take it back.

        Raises
        ------
        ServerBusyError
            The turn did not come back within the wait.
        """
        turns = self.turns
        if time.perf_counter() - self.since < turns.quantum:
            return
        with turns._lock:
            if not turns._queue:
                return
            turns._queue.popleft().set()
            ticket = turns._join()
        self.held = False
        turns._await(ticket)
        self.held, self.since = True, time.perf_counter()


class SessionsFull(Exception):
    """No room for a new session: answered 429 with ``Retry-After``.

    Parameters
    ----------
    message : str
        Which bound was reached, and what to do.
    retry_after : int
        Seconds after which room may have been made.
    """

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class Entry:
    """A live session, whom it belongs to, and when it was last heard from.

    Parameters
    ----------
    session : _Resident
    lock : threading.Lock
        Held by the request working on the session.
    last : float
        When it was last heard from (``time.monotonic``).
    address, client : str
        The network address and the browser's cookie it came from.
    """

    session: _Resident
    lock: threading.Lock
    last: float
    address: str
    client: str


class Sessions:
    """The live sessions, by id; thread-safe. Nothing is removed to make room for a new one.

    Parameters
    ----------
    per_client, per_address : int
        Sessions a browser and an address may hold.
    budget : int
        Bytes all sessions may hold between requests (see :meth:`_Resident.resident_bytes`).
    live : float
        Seconds without a word after which a session is freed.
    what : str
        What the sessions are, for messages: "playground" or "teach".
    on_drop : callable, optional
        Called with each session removed (closed, gone quiet, or replaced by its own browser's next),
        under the store's lock: it must be quick and must not call the store.
    """

    def __init__(self, per_client: int = PER_CLIENT, per_address: int = PER_ADDRESS, budget: int = MEMORY_BUDGET,
                 live: float = LIVE_SECONDS, what: str = "playground",
                 on_drop: Callable[[Any], object] | None = None) -> None:
        self.per_client, self.per_address, self.budget, self.live = per_client, per_address, budget, live
        self.what, self.on_drop = what, on_drop
        self._lock = threading.Lock()
        self._items: dict[str, Entry] = {}
        #: whose turn it is to compute, across all sessions
        self.turns = Turns()

    def add(self, session: _Resident, address: str = "", client: str = "") -> str:
        """Keep ``session`` for ``client`` at ``address``; its id.

        Parameters
        ----------
        session : _Resident
            A playground session or a teach lesson.
        address : str
            The client's network address.
        client : str
            The browser's own id (its cookie); empty when it sent none.

        Returns
        -------
        str
            A random token, the session's only name.

        Raises
        ------
        SessionsFull
            The browser, its address or the server holds all it may.
        """
        with self._lock:
            now = time.monotonic()
            self._expire(now)
            if client:
                own = sorted((e.last, token) for token, e in self._items.items() if e.client == client)
                if len(own) >= self.per_client:
                    last, token = own[0]
                    if now - last < REPLACE_QUIET:
                        raise SessionsFull(f"this browser holds {len(own)} {self.what} sessions, as many as one "
                                           f"browser may: close a tab of the {self.what} page, or wait a minute",
                                           REPLACE_QUIET)
                    self._drop(token)  # its own tab, closed without a word
            if sum(e.address == address for e in self._items.values()) >= self.per_address:
                raise SessionsFull(f"the {self.what} page holds {self.per_address} sessions from your network "
                                   "address, as many as one address may: try again in a couple of minutes, once "
                                   "closed tabs have gone quiet", int(self.live))
            held = sum(e.session.resident_bytes() for e in self._items.values())
            if held + session.resident_bytes() > self.budget:
                raise SessionsFull(f"the server is full: its {len(self._items)} {self.what} sessions hold the "
                                   f"{self.budget // 2**20} MiB it gives them. Try again in a couple of minutes",
                                   int(self.live))
            token = secrets.token_urlsafe(16)
            self._items[token] = Entry(session, threading.Lock(), now, address, client)
            return token

    def get(self, token: str) -> tuple[Any, threading.Lock]:
        """The session of ``token`` and its lock, marked as heard from now.

        Parameters
        ----------
        token : str

        Returns
        -------
        (session, threading.Lock)

        Raises
        ------
        KeyError
            No such session (never was, closed, or quiet too long).
        """
        with self._lock:
            now = time.monotonic()
            self._expire(now)
            entry = self._items[token]
            entry.last = now
            return entry.session, entry.lock

    def close(self, token: str) -> bool:
        """Free the session of ``token`` (its tab was closed); whether there was one.

        Parameters
        ----------
        token : str

        Returns
        -------
        bool
        """
        with self._lock:
            return self._drop(token)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def _expire(self, now: float) -> None:
        for token in [t for t, e in self._items.items() if now - e.last > self.live]:
            self._drop(token)

    def _drop(self, token: str) -> bool:
        entry = self._items.pop(token, None)
        if entry is not None and self.on_drop is not None:
            self.on_drop(entry.session)
        return entry is not None


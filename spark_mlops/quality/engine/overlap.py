"""Running the scan job beside the unique-key path, started when the keys job is submitted.

Why: the unique-key path (:mod:`.unique_keys`) spends part of its time on the driver (the Arrow transfer of
the keys, their sort, planning the re-count) while the executors wait. The run's scan job has no such gaps,
so running it in a second thread fills them. Spark's FIFO scheduler gives the executors to the job
submitted first; submitting the scan just after the keys job (instead of before the probe) lets its tasks
run through the driver's sort as well: 10 M cached rows, seed suite with uniqueness, one process under
the bench lock, min / median of 5: 3.29 / 3.41 s scan first, 3.01 / 3.36 s scan after the keys job, 3.35 /
3.48 s without the overlap (``bench/results/10m/after_overlap.md``).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any, Generic, TypeVar

from pyspark import InheritableThread

__all__ = ["HEAD_START", "Beside", "keys_job_starts", "when_keys_job_starts"]

T = TypeVar("T")

#: Seconds the scan waits after the keys job is announced, so that the keys job usually reaches Spark's
#: FIFO queue first (its planning takes a few milliseconds). Only an ordering preference: either order
#: gives the same results. Seed suite with uniqueness, one process, interleaved rounds (2026-11-27):
#: 1 M cached rows, 25 rounds, min / median 181 / 221 ms at 0 s, 193 / 225 ms at 0.01 s, 189 / 248 ms at
#: 0.05 s; 10 M, 6 rounds: 1.15 / 1.23 s, 1.11 / 1.22 s, 1.16 / 1.28 s. Waiting longer only leaves the
#: cores idle while the driver handles the keys.
HEAD_START = 0.01

_HOOK: ContextVar[Callable[[], None] | None] = ContextVar("spark_mlops_keys_job_hook", default=None)


@contextlib.contextmanager
def when_keys_job_starts(callback: Callable[[], None]) -> Iterator[None]:
    """Call ``callback`` (in this thread) whenever the unique-key path is about to run its keys job."""
    token = _HOOK.set(callback)
    try:
        yield
    finally:
        _HOOK.reset(token)


def keys_job_starts() -> None:
    """Announce the keys job (called by :mod:`.unique_keys` right before it)."""
    callback = _HOOK.get()
    if callback is not None:
        callback()


class Beside(Generic[T]):
    """``work()`` in a second thread, started once by :meth:`start` and collected by :meth:`result`.

    The thread inherits the Spark local properties (job group, description) of the thread that calls
    :meth:`start`, so its jobs are labelled and counted like the caller's.
    """

    def __init__(self, work: Callable[[], T]) -> None:
        self._box: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._started = False
        self._delay = 0.0

        def run() -> None:
            try:
                if self._delay:
                    time.sleep(self._delay)
                self._box["value"] = work()
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread by result()
                self._box["error"] = exc

        self._thread = InheritableThread(target=run, name="spark_mlops-scan")

    def start(self, delay: float = 0.0) -> None:
        """Start the thread, its work ``delay`` seconds later (again: a no-op)."""
        with self._lock:
            if self._started:
                return
            self._started = True
            self._delay = delay
        self._thread.start()

    def result(self) -> T:
        """Start the thread if nobody did, wait for it and return its result (or raise its error)."""
        self.start()
        self._thread.join()
        if "error" in self._box:
            raise self._box["error"]
        value: T = self._box["value"]
        return value

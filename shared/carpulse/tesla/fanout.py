"""Independent Tesla calls side by side: the wait for one answer overlaps the waits for the others.

Threads, not asyncio: the client is synchronous (`requests`), a VIN task makes a few dozen calls,
and the time goes on waiting for Tesla, which releases the GIL. The account's AccountGate, not
the pool, bounds how many calls are in flight.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from carpulse.tesla.transport import CALLS_IN_FLIGHT_PER_ACCOUNT

T = TypeVar("T")
U = TypeVar("U")


def run_all(calls: Sequence[Callable[[], T]], *, workers: int = CALLS_IN_FLIGHT_PER_ACCOUNT) -> list[T]:
    """Every call's result in the given order; the first failure (in order) is raised once all ended."""
    if len(calls) <= 1:
        return [call() for call in calls]
    with ThreadPoolExecutor(max_workers=min(workers, len(calls)), thread_name_prefix="tesla") as pool:
        futures = [pool.submit(call) for call in calls]
        # Waiting for all before raising: no call is left running behind the caller's back.
        errors = [f.exception() for f in futures]
    for error in errors:
        if error is not None:
            raise error
    return [f.result() for f in futures]


def run_pair(first: Callable[[], T], second: Callable[[], U]) -> tuple[T, U]:
    """Two calls of different kinds side by side; raises like run_all."""
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="tesla") as pool:
        a, b = pool.submit(first), pool.submit(second)
        errors = [a.exception(), b.exception()]
    for error in errors:
        if error is not None:
            raise error
    return a.result(), b.result()

"""Two stages side by side: a thread makes the next item while the consumer works on the last.

The stages of a pass (importing/passes.py) are chained through :func:`ahead`; polars, numpy and
the database drivers release the GIL, so on two cores the chained stages overlap.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterator
from typing import TypeVar

T = TypeVar("T")

_DONE = object()


def ahead(items: Iterator[T]) -> Generator[T, None, None]:
    """``items``, produced by a thread that works on the next item while the consumer holds one.

    The producer hands each item over and waits until the consumer has taken it before it makes
    the next: at most two items are alive between the two (a queue would hold a third), which is
    what keeps an import's memory flat. The producer's exception is raised in the consumer, at
    the item it failed on; a consumer that stops early (it raised, or broke off) stops the
    producer at its next item.
    """
    slot: queue.Queue[object] = queue.Queue(maxsize=1)
    taken = threading.Semaphore(0)
    stop = threading.Event()

    def hand_over(item: object) -> bool:
        slot.put(item)  # the slot is empty: the last item was taken
        while not stop.is_set():
            if taken.acquire(timeout=0.1):
                return True
        return False

    def produce() -> None:
        try:
            for item in items:
                if not hand_over(item):
                    return
            slot.put(_DONE)
        except BaseException as exc:  # handed to the consumer, raised there
            slot.put(_Failed(exc))
        finally:
            # A generator holding a file closes it here, in the thread that opened it.
            close = getattr(items, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=produce, name="loadbay-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item = slot.get()
            taken.release()
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        # A producer waiting for its item to be taken sees this within 0.1 s; then it lets go of
        # the file. Its slot is empty (the consumer takes every item it hands over before stopping).
        stop.set()
        thread.join()


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error

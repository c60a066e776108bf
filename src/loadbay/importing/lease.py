"""The lease a worker holds on the import it runs, as the engine sees it."""

from __future__ import annotations

from typing import Protocol


class LeaseLost(Exception):
    """Another worker took the job over; this one must stop without writing more."""


class Lease(Protocol):
    worker_id: str

    def ensure(self) -> None:
        """Raise LeaseLost if the lease is gone."""

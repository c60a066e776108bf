"""Housekeeping the workers run now and then: the schedule, owned here.

The tasks themselves live with the features whose files they clean up (the engine's orphan sweep,
the payments retention sweep); this module only says which run and how often, so no feature
reaches into the worker to register itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from loadbay.config import Settings
from loadbay.runtime import Runtime


@dataclass(frozen=True)
class PeriodicTask:
    name: str
    interval: Callable[[Settings], float]
    run: Callable[[Runtime], object]


def periodic_tasks() -> list[PeriodicTask]:
    # Imported here, not at the top: the tasks' modules load the features they clean up after.
    from loadbay.idempotency.service import sweep_expired_keys
    from loadbay.importing.orphans import sweep_orphans
    from loadbay.importing.retention import sweep_import_retention
    from loadbay.payments.retention import sweep_retention

    return [
        PeriodicTask("retention sweep", lambda settings: settings.retention_sweep_seconds, sweep_retention),
        PeriodicTask(
            "import retention sweep",
            lambda settings: settings.retention_sweep_seconds,
            sweep_import_retention,
        ),
        PeriodicTask("orphan sweep", lambda settings: settings.orphan_sweep_seconds, sweep_orphans),
        PeriodicTask(
            "idempotency key sweep", lambda settings: settings.retention_sweep_seconds, sweep_expired_keys
        ),
    ]

"""Housekeeping that workers run now and then, registered by the features that need it.

Workers know nothing of those features (jobs/ sits below them); a feature registers its task
when its package is loaded, as the payments package does for its retention sweep.
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


_TASKS: dict[str, PeriodicTask] = {}


def register_periodic(task: PeriodicTask) -> PeriodicTask:
    _TASKS[task.name] = task
    return task


def periodic_tasks() -> list[PeriodicTask]:
    return list(_TASKS.values())

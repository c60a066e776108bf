"""Stored files no import needs any more, deleted by the workers now and then.

Every path that stores an upload deletes it again when the request fails, and an import deletes
its pending upload and its work folder once it has finished. A process killed between the
store and the commit, or between the commit and the delete, leaves a file behind that nothing
names: this sweep finds those, once they are older than ``orphan_grace_seconds`` (so an upload
still on its way to its commit is never touched), and deletes them. A local store's scratch
files (result files being made) that a killed process left go the same way, once none has
been written for as long.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from loadbay.importing.objects import WORK_ROOT, stored_prefix
from loadbay.models import CANCELLED, PENDING, ImportJob
from loadbay.runtime import Runtime

log = logging.getLogger("loadbay.importing")

PENDING_PREFIX = stored_prefix("pending")
# Ids looked up per query: well under every database's limit on bound parameters.
_CHUNK = 500


def _grace_ended(runtime: Runtime, now: datetime | None) -> datetime:
    """Files last written before this are past the grace period."""
    return (now or datetime.now(UTC)) - timedelta(seconds=runtime.settings.orphan_grace_seconds)


def find_orphans(runtime: Runtime, *, now: datetime | None = None) -> list[str]:
    """Keys of stored uploads and work files that no import needs, past the grace period."""
    moment = _grace_ended(runtime, now)
    storage = runtime.storage
    # An upload waits at pending/<id>.csv until its import has filed it elsewhere.
    uploads = {
        key: key.removeprefix(PENDING_PREFIX).removesuffix(".csv")
        for key in storage.keys_older_than(PENDING_PREFIX, moment)
    }
    # A running import keeps its result parts under work/<id>/ until it has finished.
    work = {
        key: key.removeprefix(WORK_ROOT).split("/", 1)[0]
        for key in storage.keys_older_than(WORK_ROOT, moment)
    }
    ids = sorted(set(uploads.values()) | set(work.values()))
    jobs: dict[str, tuple[str, str]] = {}
    with runtime.sessions() as session:
        for start in range(0, len(ids), _CHUNK):
            rows = session.execute(
                select(ImportJob.id, ImportJob.status, ImportJob.object_key).where(
                    ImportJob.id.in_(ids[start : start + _CHUNK])
                )
            )
            jobs.update({job_id: (status, object_key) for job_id, status, object_key in rows})
    # An import cancelled before it started keeps no upload: its request deleted it, or (had that
    # process died in between) this sweep does.
    orphans = [
        key
        for key, job_id in uploads.items()
        if job_id not in jobs or jobs[job_id][1] != key or jobs[job_id][0] == CANCELLED
    ]
    orphans += [key for key, job_id in work.items() if job_id not in jobs or jobs[job_id][0] != PENDING]
    return sorted(orphans)


def sweep_orphans(runtime: Runtime, *, now: datetime | None = None) -> int:
    """Delete what :func:`find_orphans` finds; returns how many files went."""
    orphans = find_orphans(runtime, now=now)
    for key in orphans:
        runtime.storage.delete(key)
    moment = _grace_ended(runtime, now)
    scratch = runtime.storage.sweep_scratch(moment)
    if orphans:
        log.info("deleted %d stored file(s) that no import needed", len(orphans))
    if scratch:
        log.info("deleted %d scratch file(s) that a stopped process left", scratch)
    return len(orphans) + scratch

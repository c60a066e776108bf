"""The orphan sweep: stored files that no import needs are deleted once past the grace period,
and nothing an import still needs is ever touched."""

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from loadbay.importing.orphans import find_orphans, sweep_orphans
from tests.conftest import ApiUser, run_jobs

GROUPS = "group_name,group_description,group_organizationId\ng1,G,root\n"
LATER = datetime.now(UTC) + timedelta(hours=2)


def _put(api: ApiUser, key: str, tmp_path: Path) -> str:
    path = tmp_path / "object.csv"
    path.write_text("left behind\n")
    api.runtime.storage.put_file(key, path)
    return key


def test_only_files_no_import_needs_are_swept(rostering: ApiUser, tmp_path: Path) -> None:
    storage = rostering.runtime.storage
    finished = str(rostering.import_file(GROUPS)["referenceId"])
    waiting = str(rostering.upload(GROUPS)["referenceId"])
    stray = str(uuid.uuid4())
    # As a process killed at the wrong moment leaves them:
    leftovers = [
        # the upload of an import that finished, killed before deleting it,
        _put(rostering, f"import-csv/pending/{finished}.csv", tmp_path),
        # the work folder of that import,
        _put(rostering, f"import-csv/work/{finished}/result/part-000001.csv", tmp_path),
        # an upload stored by a request that died before its commit, and work of no import.
        _put(rostering, f"import-csv/pending/{stray}.csv", tmp_path),
        _put(rostering, f"import-csv/work/{stray}/result/part-000001.csv", tmp_path),
    ]
    # What an import still needs: a queued upload and the parts of a running import.
    needed = [
        f"import-csv/pending/{waiting}.csv",
        _put(rostering, f"import-csv/work/{waiting}/result/part-000001.csv", tmp_path),
        f"import-csv/processed/{finished}.csv",
        f"import-csv/results/{finished}.csv",
    ]

    # Within the grace period nothing goes, not even a true orphan.
    assert find_orphans(rostering.runtime) == []
    assert sweep_orphans(rostering.runtime, now=LATER) == 4
    assert [key for key in leftovers if storage.exists(key)] == []
    assert [key for key in needed if storage.exists(key)] == needed
    assert sweep_orphans(rostering.runtime, now=LATER) == 0

    # The queued import still runs from its upload.
    run_jobs(rostering.runtime)
    assert rostering.status(waiting)["status"] == "processed"


def test_a_scratch_file_left_by_a_killed_import_is_swept_after_the_grace_period(rostering: ApiUser) -> None:
    scratch = rostering.runtime.storage.scratch
    assert scratch is not None
    left = scratch / "tmp-result.csv"
    left.write_text("line,outcome\n")
    assert sweep_orphans(rostering.runtime) == 0
    assert left.exists()
    assert sweep_orphans(rostering.runtime, now=LATER) == 1
    assert not left.exists()

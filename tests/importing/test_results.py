"""The result file's parts: stored one by one, assembled at the end, from the writer's own spool
when it stored every part in order, from the stored parts when it did not."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from loadbay.config import Settings
from loadbay.importing.results import ResultWriter
from loadbay.kit.storage import ObjectStorage
from tests.kit.test_storage_s3 import s3_settings
from tests.scaleout.s3server import S3Server

HEADER = b"line,outcome,key,messages,name\r\n"


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStorage:
    if request.param == "local":
        return ObjectStorage(Settings(data_dir=tmp_path, secret_key="k" * 40))
    s3_server: S3Server = request.getfixturevalue("s3_server")
    return ObjectStorage(s3_settings(tmp_path, s3_server, s3_server.new_bucket()))


def _writer(storage: ObjectStorage) -> ResultWriter:
    return ResultWriter(storage, prefix="work/job-1/results", columns=["name"], secret=frozenset())


def _rows(writer: ResultWriter, first: int, names: list[str]) -> None:
    writer.write_batch(
        lines=pl.Series(range(first, first + len(names))),
        outcomes=pl.Series(["created"] * len(names)),
        keys=pl.Series(names),
        messages=pl.Series([""] * len(names)),
        frame=pl.DataFrame({"name": names}),
    )


def _read(storage: ObjectStorage, key: str) -> bytes:
    with storage.open(key) as binary:
        return binary.read()


def test_every_part_is_stored_and_the_whole_file_assembled(storage: ObjectStorage) -> None:
    writer = _writer(storage)
    _rows(writer, 2, ["ann", "bob"])
    writer.flush(1)
    _rows(writer, 4, ["=cy"])
    writer.flush(2)
    writer.assemble(parts=2, key="results/job-1.csv")
    assert _read(storage, writer.part_key(1)) == b"2,created,ann,,ann\r\n3,created,bob,,bob\r\n"
    assert _read(storage, writer.part_key(2)) == b"4,created,'=cy,,'=cy\r\n"
    assert _read(storage, "results/job-1.csv") == (
        HEADER + b"2,created,ann,,ann\r\n3,created,bob,,bob\r\n4,created,'=cy,,'=cy\r\n"
    )
    writer.close()


def test_a_run_taken_over_assembles_the_parts_another_worker_stored(storage: ObjectStorage) -> None:
    first = _writer(storage)
    _rows(first, 2, ["ann"])
    first.flush(1)
    # The first worker died here; the second resumes after part 1 with a writer of its own.
    second = _writer(storage)
    _rows(second, 3, ["bob"])
    second.flush(2)
    second.assemble(parts=2, key="results/job-1.csv")
    assert _read(storage, "results/job-1.csv") == HEADER + b"2,created,ann,,ann\r\n3,created,bob,,bob\r\n"


def test_parts_written_again_from_the_first_are_assembled_as_stored_last(storage: ObjectStorage) -> None:
    # onError=abort checks every row (parts 1-2), then writes them (parts 1-2 again).
    writer = _writer(storage)
    for name in ("checked-1", "checked-2", "written-1", "written-2"):
        _rows(writer, 2, [name])
        writer.flush(int(name[-1]))
    writer.assemble(parts=2, key="results/job-1.csv")
    assert _read(storage, "results/job-1.csv") == (
        HEADER + b"2,created,written-1,,written-1\r\n2,created,written-2,,written-2\r\n"
    )


def test_rows_not_yet_stored_as_a_part_stay_out_of_the_file(storage: ObjectStorage) -> None:
    # A cancel after part 1 whose next batch was already rendered.
    writer = _writer(storage)
    _rows(writer, 2, ["ann"])
    writer.flush(1)
    _rows(writer, 3, ["bob"])
    writer.assemble(parts=1, key="results/job-1.csv")
    assert _read(storage, "results/job-1.csv") == HEADER + b"2,created,ann,,ann\r\n"

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.scaleout.fleet import Fleet
from tests.scaleout.s3server import S3Server

# Settings every process of a fleet shares: a fast takeover, quick polling, small batches.
FLEET_ENV = {
    "LOADBAY_SECRET_KEY": "scaleout-test-secret-" + "s" * 32,
    "LOADBAY_LEASE_SECONDS": "3",
    "LOADBAY_POLL_SECONDS": "0.2",
    "LOADBAY_BATCH_ROWS": "1000",
}

FleetFactory = Callable[..., Fleet]


@pytest.fixture
def bucket(s3_server: S3Server) -> str:
    return s3_server.new_bucket()


@pytest.fixture
def fleet_factory(
    tmp_path: Path, database_url: str, s3_server: S3Server, bucket: str
) -> Iterator[FleetFactory]:
    """Fleets on this test's database and bucket. Pass ``database_url`` or LOADBAY_* overrides
    (e.g. an S3 endpoint) to put a proxy between the processes and a server."""
    started: list[Fleet] = []

    def make(*, processes_database_url: str = database_url, **env: str) -> Fleet:
        fleet = Fleet(
            tmp_path,
            processes_database_url,
            {**FLEET_ENV, **s3_server.env(bucket), **env},
            direct_url=database_url,
        )
        started.append(fleet)
        return fleet

    yield make
    for fleet in started:
        fleet.stop()

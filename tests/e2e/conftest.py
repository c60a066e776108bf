from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.server import LoadbayServer


@pytest.fixture
def server_factory(tmp_path: Path, database_url: str) -> Iterator[type[LoadbayServer]]:
    started: list[LoadbayServer] = []

    class Factory(LoadbayServer):
        def __init__(self, **kwargs: object) -> None:
            super().__init__(data_dir=tmp_path / "data", database_url=database_url, **kwargs)  # type: ignore[arg-type]
            started.append(self)

    yield Factory
    for server in started:
        server.stop()


@pytest.fixture
def server(server_factory: type[LoadbayServer]) -> LoadbayServer:
    return server_factory().start()

"""One real ``loadbay serve`` per test module (SQLite), and the ``loadbay`` command run against it."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from loadbay.runtime import Runtime
from tests.conftest import Credentials, make_settings, new_client
from tests.e2e.server import LOADBAY, LoadbayServer


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[LoadbayServer]:
    """A module's server; a module sets ``SERVER_ENV`` for settings of its own."""
    root = tmp_path_factory.mktemp("server")
    server = LoadbayServer(data_dir=root / "data", database_url=f"sqlite:///{root / 'loadbay.db'}")
    server.start(**getattr(request.module, "SERVER_ENV", {}))
    yield server
    server.stop()


def add_client(
    server: LoadbayServer, *, scopes: tuple[str, ...] = ("rostering",), tenant: str = "district-a"
) -> Credentials:
    """A new API client of ``tenant``, made in this process: ``loadbay clients create`` would cost
    a second of start-up per client."""
    runtime = Runtime.create(make_settings(server.data_dir, server.database_url))
    try:
        return new_client(runtime, scopes=scopes, tenant=tenant)
    finally:
        runtime.close()


@pytest.fixture(scope="module")
def credentials(server: LoadbayServer) -> Credentials:
    return add_client(server)


@dataclass
class Cli:
    """``loadbay ...`` run as a script would: a subprocess, URL and credentials in the environment."""

    server: LoadbayServer
    credentials: Credentials

    def env(self, **overrides: str) -> dict[str, str]:
        # COLUMNS too: whatever width the test run inherited (pytest-xdist sets one) must not
        # decide how a table is laid out; a test that wants a width passes it.
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("LOADBAY_") and k not in ("COLUMNS", "LINES")
        }
        env.update(
            LOADBAY_URL=self.server.url,
            LOADBAY_CLIENT_ID=self.credentials.client_id,
            LOADBAY_CLIENT_SECRET=self.credentials.client_secret,
        )
        env.update(overrides)
        return env

    def __call__(self, *args: str | Path, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [LOADBAY, *map(str, args)],
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def json(self, *args: str | Path, code: int = 0, **env: str) -> Any:
        """Run with ``--json``, check the exit code, and return what was printed."""
        done = self(*args, "--json", **env)
        assert done.returncode == code, done.stderr
        return json.loads(done.stdout)

    def check_runs(
        self, done: dict[str, subprocess.CompletedProcess[str]], expected: dict[str, tuple[int, str]]
    ) -> None:
        """Each named run exited with its code and said its words; none said the secret."""
        outcome = {}
        for name, (_, words) in expected.items():
            said = done[name].stdout + done[name].stderr
            assert self.credentials.client_secret not in said
            # On a mismatch, the whole output of that case shows in the diff.
            outcome[name] = (done[name].returncode, words if words in said else said)
        assert outcome == expected


@pytest.fixture(scope="module")
def cli(server: LoadbayServer, credentials: Credentials) -> Cli:
    return Cli(server, credentials)

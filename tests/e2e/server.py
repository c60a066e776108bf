"""Start a real ``loadbay`` process on a free port and talk HTTP to it."""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

LOADBAY = str(Path(sys.executable).parent / "loadbay")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class LoadbayServer:
    data_dir: Path
    database_url: str
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    # "serve" (API and workers in one process) or "api" (the HTTP API only).
    command: str = "serve"
    # More arguments for the command (``--workers 2``).
    args: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LOADBAY_")}
        env.update(
            {
                "LOADBAY_DATA_DIR": str(self.data_dir),
                "LOADBAY_DATABASE_URL": self.database_url,
                "LOADBAY_PASSWORD_TIME_COST": "1",
                "LOADBAY_PASSWORD_MEMORY_KIB": "1024",
                "LOADBAY_POLL_SECONDS": "0.1",
            }
        )
        env.update(self.extra_env)
        return env

    def start(self, **extra_env: str) -> LoadbayServer:
        self.extra_env.update(extra_env)
        self.log_path = self.data_dir.parent / f"server-{self.port}.log"
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [LOADBAY, self.command, "--host", "127.0.0.1", "--port", str(self.port), *self.args],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"loadbay {self.command} exited with {self.process.returncode}; see {self.log_path}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"loadbay {self.command} did not become healthy in 60 s")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [LOADBAY, *args], env=self.env, capture_output=True, text=True, timeout=60, check=False
        )

    def create_client(self, tenant: str = "district-a", *scopes: str) -> dict[str, str]:
        scope_args = [arg for scope in (scopes or ("rostering",)) for arg in ("--scope", scope)]
        done = self.cli("clients", "create", "--tenant", tenant, *scope_args, "--json")
        assert done.returncode == 0, done.stderr
        payload: dict[str, str] = json.loads(done.stdout)
        return payload


def curl(command: str) -> tuple[int, str]:
    """Run a curl command line as a person would paste it; returns (HTTP status, body)."""
    args = [*shlex.split(command), "--silent", "--show-error", "--write-out", "\n%{http_code}"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    body, _, status = done.stdout.rpartition("\n")
    return int(status), body

"""An S3-compatible server on loopback for the test session: moto's standalone server, in its own process."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.server import free_port

MOTO_SERVER = str(Path(sys.executable).parent / "moto_server")
REGION = "us-east-1"
# moto accepts any credentials (and does not check signatures); obstore needs some to sign with.
ACCESS_KEY_ID = "loadbay-test"
SECRET_ACCESS_KEY = "loadbay-test-secret"


@dataclass
class S3Server:
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @classmethod
    def start(cls, log_dir: Path) -> S3Server:
        port = free_port()
        log_path = log_dir / f"moto-{port}.log"
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                [MOTO_SERVER, "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT
            )
        server = cls(port, process, log_path)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"moto_server exited with {process.returncode}; see {log_path}")
            try:
                with urllib.request.urlopen(server.endpoint, timeout=1):
                    return server
            except OSError:
                time.sleep(0.1)
        server.stop()
        raise RuntimeError("moto_server did not answer in 30 s")

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def new_bucket(self) -> str:
        """A fresh, empty bucket, so tests sharing the server never see each other's objects."""
        name = f"loadbay-{uuid.uuid4().hex[:12]}"
        request = urllib.request.Request(f"{self.endpoint}/{name}", method="PUT")
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
        return name

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        """Every key in ``bucket`` under ``prefix``, read straight from the server (not through Loadbay)."""
        url = f"{self.endpoint}/{bucket}?list-type=2&prefix={prefix}"
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                body = response.read().decode()
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"listing {bucket} failed: {exc}") from exc
        if "<IsTruncated>true</IsTruncated>" in body:
            raise AssertionError("more than 1000 keys; the tests never store that many")
        return re.findall(r"<Key>([^<]*)</Key>", body)

    def env(self, bucket: str, *, endpoint: str | None = None, prefix: str = "loadbay") -> dict[str, str]:
        """The LOADBAY_* settings that point Loadbay at ``bucket`` (through ``endpoint`` if given)."""
        return {
            "LOADBAY_STORAGE_URL": f"s3://{bucket}/{prefix}",
            "LOADBAY_S3_ENDPOINT": endpoint or self.endpoint,
            "LOADBAY_S3_REGION": REGION,
            "LOADBAY_S3_ACCESS_KEY_ID": ACCESS_KEY_ID,
            "LOADBAY_S3_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        }

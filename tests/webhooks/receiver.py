"""A webhook receiver, run as its own process: verifies each delivery with ``standardwebhooks``.

``python -m tests.webhooks.receiver --port P --secret-file S --log L [--fail-first N]``: answers
400 to a delivery whose signature does not verify against the secret in S (read at every
request: the test writes it once the endpoint is registered), 500 to the first N that do, and
200 to the rest. Every request is one JSON line in L.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


def serve(port: int, secret_file: Path, log: Path, fail_first: int, trickle: bool = False) -> None:
    lock = threading.Lock()
    failures = [fail_first]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            entry: dict[str, Any] = {
                "id": headers.get("webhook-id"),
                "path": self.path,
                "cookie": headers.get("cookie"),
            }
            try:
                entry["event"] = Webhook(secret_file.read_text().strip()).verify(body, headers)
                entry["verified"] = True
            except (OSError, WebhookVerificationError, ValueError) as exc:
                entry["verified"], entry["error"] = False, str(exc)
            with lock:
                if not entry["verified"]:
                    status = 400
                elif failures[0] > 0:
                    failures[0] -= 1
                    status = 500
                else:
                    status = 200
                entry["status"] = status
                with log.open("a") as handle:
                    handle.write(json.dumps(entry) + "\n")
            self.send_response(status)
            # A cookie Loadbay must not send back, to this receiver or any other.
            self.send_header("set-cookie", "session=receiver-secret; Path=/")
            if trickle:
                # An answer that never ends: a byte every 0.2 s.
                self.send_header("content-length", "100000")
                self.end_headers()
                try:
                    for _ in range(100000):
                        self.wfile.write(b"x")
                        self.wfile.flush()
                        time.sleep(0.2)
                except OSError:
                    return
                return
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok" if status == 200 else b"no")

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print("ready", flush=True)
    server.serve_forever()


@dataclass
class Receiver:
    """The receiver process, from a test's side."""

    folder: Path
    port: int
    fail_first: int = 0
    trickle: bool = False
    process: subprocess.Popen[str] | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/loadbay"

    @property
    def log(self) -> Path:
        return self.folder / "received.jsonl"

    def start(self) -> Receiver:
        self.folder.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "tests.webhooks.receiver", "--port", str(self.port)]
        command += ["--secret-file", str(self.folder / "secret"), "--log", str(self.log)]
        command += ["--fail-first", str(self.fail_first)] + (["--trickle"] if self.trickle else [])
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "ready"
        return self

    def trust(self, secret: str) -> None:
        (self.folder / "secret").write_text(secret)

    def received(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def wait_for(self, predicate: Any, *, timeout: float = 60) -> list[dict[str, Any]]:
        """Every request so far, once ``predicate(requests)`` holds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            requests = self.received()
            if predicate(requests):
                return requests
            time.sleep(0.05)
        raise AssertionError(f"the receiver never saw what was expected; it saw {self.received()}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.process = None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret-file", type=Path, required=True)
    parser.add_argument("--log", type=Path, required=True)
    parser.add_argument("--fail-first", type=int, default=0)
    parser.add_argument("--trickle", action="store_true")
    args = parser.parse_args()
    serve(args.port, args.secret_file, args.log, args.fail_first, args.trickle)


if __name__ == "__main__":
    main()

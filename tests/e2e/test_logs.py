"""The access log of a real ``loadbay serve`` never holds a whole signed URL (issue 16)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.server import LoadbayServer, curl
from tests.e2e.test_seeds import _token, _upload, _wait_finished

pytestmark = pytest.mark.e2e


def test_a_real_servers_access_log_never_holds_a_signature(server: LoadbayServer, tmp_path: Path) -> None:
    token = _token(server, server.create_client())
    users = tmp_path / "users.csv"
    users.write_text("group_name,group_organizationId\ng1,root\n")
    status, body = _upload(server, token, users)
    assert status == 200, body
    reference = json.loads(body)["result"]["referenceId"]
    _wait_finished(server, token, reference)
    status, body = curl(
        f"curl --silent '{server.url}/api/v1/download/{reference}' --header 'Authorization: Bearer {token}'"
    )
    assert status == 200, body
    signed = json.loads(body)["signedUrl"]
    signature = signed.rsplit("signature=", 1)[1]
    assert curl(f"curl --silent '{signed}'")[0] == 200
    server.stop()
    log = server.log_path.read_text()
    assert "/signed/" in log  # the download was logged...
    assert "signature=REDACTED" in log
    assert signature not in log  # ...without its signature

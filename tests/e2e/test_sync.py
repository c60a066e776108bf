"""A full sync through a real ``loadbay serve``, with the README's curl commands (issue 14)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from tests.conftest import counts
from tests.e2e.server import LoadbayServer, curl
from tests.e2e.test_seeds import _token, _wait_finished

HEADER = "group_name,group_description,group_organizationId\n"


def _groups(path: Path, names: range | list[int]) -> Path:
    path.write_text(HEADER + "".join(f"g{n:03d},Group {n},root\n" for n in names))
    return path


def _sync(server: LoadbayServer, token: str, path: Path, threshold: str | None = None) -> dict[str, object]:
    option = f" --form 'changeThreshold={threshold}'" if threshold else ""
    status, body = curl(
        f"curl --silent '{server.url}/api/v1/upload' --header 'Authorization: Bearer {token}' "
        f"--form 'file=@\"{path}\"' --form 'mode=sync'{option}"
    )
    assert status == 200, body
    return _wait_finished(server, token, json.loads(body)["result"]["referenceId"])


def _groups_active(server: LoadbayServer, token: str) -> dict[str, bool]:
    status, body = curl(
        f"curl --silent '{server.url}/api/v1/rostering/groups?limit=500' --header 'Authorization: Bearer {token}'"
    )
    assert status == 200, body
    return {group["name"]: group["active"] for group in json.loads(body)["items"]}


def test_a_sync_over_the_threshold_writes_nothing_and_one_within_deactivates_the_missing(
    server: LoadbayServer, tmp_path: Path
) -> None:
    token = _token(server, server.create_client())
    status, body = curl(
        f"curl --silent '{server.url}/api/v1/upload' --header 'Authorization: Bearer {token}' "
        f"--form 'file=@\"{_groups(tmp_path / 'all.csv', range(100))}\"'"
    )
    assert status == 200, body
    assert _wait_finished(server, token, json.loads(body)["result"]["referenceId"])["status"] == "processed"

    # 11 of 100 left out, one new group named: over the default 10%, so not even the new one lands.
    over = _sync(server, token, _groups(tmp_path / "over.csv", [*range(11, 100), 100]))
    assert over["status"] == "failed"
    assert over["messages"] == [
        "mode=sync would deactivate 11 of the tenant's 100 active groups (11.0%), more than "
        "changeThreshold=10%, so nothing was written. Check that the file is complete, or upload "
        "it again with a higher changeThreshold."
    ]
    active = _groups_active(server, token)
    assert len(active) == 100
    assert all(active.values())

    # 10 of 100 left out: within the threshold, exactly those ten are deactivated.
    within = _sync(server, token, _groups(tmp_path / "within.csv", range(10, 100)))
    assert within["status"] == "processed", within
    assert within["counts"] == counts(unchanged=90, deactivated=10)
    active = _groups_active(server, token)
    assert sorted(name for name, on in active.items() if not on) == [f"g{n:03d}" for n in range(10)]

    status, body = curl(
        f"curl --silent '{server.url}/api/v1/download/{within['referenceId']}' "
        f"--header 'Authorization: Bearer {token}'"
    )
    status, content = curl(f"curl --silent '{json.loads(body)['signedUrl']}'")
    rows = list(csv.DictReader(io.StringIO(content)))
    assert [(r["outcome"], r["key"]) for r in rows if r["outcome"] == "deactivated"] == [
        ("deactivated", f"g{n:03d}") for n in range(10)
    ]

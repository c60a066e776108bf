"""``loadbay webhooks`` as a script runs it, against a real server and a real receiver."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.client.conftest import Cli
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.e2e

SERVER_ENV = {"LOADBAY_WEBHOOK_ALLOW_PRIVATE": "true"}


def test_create_list_deliveries_and_delete(
    cli: Cli, receiver_factory: Callable[..., Receiver], tmp_path: Path
) -> None:
    receiver = receiver_factory()
    created = cli("webhooks", "create", receiver.url)
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip()
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/=]{44}", secret)
    assert "it is not shown again" in created.stderr
    receiver.trust(secret)
    [endpoint] = cli.json("webhooks", "list")
    assert endpoint["url"] == receiver.url
    assert "secret" not in endpoint
    assert secret not in cli("webhooks", "list").stdout

    groups = tmp_path / "groups.csv"
    groups.write_text("group_name,group_organizationId\nhooked,root\n")
    assert cli("push", groups, "--wait").returncode == 0
    receiver.wait_for(lambda requests: any(r["status"] == 200 for r in requests))
    [delivery] = cli.json("webhooks", "deliveries", endpoint["id"])
    assert (delivery["eventType"], delivery["status"]) == ("import.processed", "delivered")
    table = cli("webhooks", "deliveries", endpoint["id"], COLUMNS="200")
    assert re.search(r"import\.processed .*delivered .*200 in \d+ ms", table.stdout), table.stdout

    assert cli("webhooks", "delete", endpoint["id"]).returncode == 0
    assert cli.json("webhooks", "list") == []
    gone = cli("webhooks", "delete", endpoint["id"])
    assert gone.returncode == 3
    assert "Webhook endpoint not found. (HTTP 404)" in gone.stderr


def test_a_refused_target_is_explained(cli: Cli) -> None:
    done = cli("webhooks", "create", "ftp://example.org/hooks")
    assert done.returncode == 3
    assert "must be an absolute http:// or https:// URL with a host" in done.stderr

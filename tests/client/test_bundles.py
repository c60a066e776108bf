"""``loadbay push bundle.zip``: a OneRoster bundle pushed, followed file by file, and refused."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest

from tests.client.conftest import Cli, add_client
from tests.e2e.server import LoadbayServer
from tests.oneroster.bundles import bundle

pytestmark = pytest.mark.e2e

REFERENCE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

ORGS = [
    {"sourcedId": "d1", "name": "North District", "type": "district"},
    {"sourcedId": "s1", "name": "Hill School", "type": "school", "parentSourcedId": "d1"},
]
SESSIONS = [
    {"sourcedId": "y27", "title": "2026-2027", "type": "schoolYear"}
    | {"startDate": "2026-09-01", "endDate": "2027-06-30", "schoolYear": "2027"},
    {"sourcedId": "t1", "title": "Fall", "type": "term", "parentSourcedId": "y27"}
    | {"startDate": "2026-09-01", "endDate": "2027-01-31", "schoolYear": "2027"},
]


@pytest.fixture
def district(server: LoadbayServer, request: pytest.FixtureRequest) -> Cli:
    """A tenant of the test's own: a bundle's bulk files sync the whole tenant."""
    return Cli(server, add_client(server, tenant=f"district-{request.node.name[-40:]}"))


def write(folder: Path, content: bytes, name: str = "district.zip") -> Path:
    path = folder / name
    path.write_bytes(content)
    return path


def test_push_a_bundle_and_follow_it_file_by_file(district: Cli, tmp_path: Path) -> None:
    path = write(tmp_path, bundle({"orgs": ORGS, "academicSessions": SESSIONS}))
    result = tmp_path / "district-result.zip"
    done = district("push", path, "--wait", "--result", result)

    assert done.returncode == 0, done.stderr + done.stdout
    # The progress on stderr: one line per file, in import order, as each ended.
    progress = [
        line.split()
        for line in done.stderr.splitlines()
        if line.split()[:1] in (["orgs.csv"], ["academicSessions.csv"])
    ]
    assert progress == [
        ["orgs.csv", "bulk", "done", "3", "lines", "2", "created"],
        ["academicSessions.csv", "bulk", "done", "3", "lines", "2", "created"],
    ], done.stderr
    # The summary, then each file's counts.
    assert re.search(r"template +│ oneroster bundle of 2 file\(s\)", done.stdout)
    assert re.search(r"mode +│ partial, bulk files fully synced \(change threshold 10%\)", done.stdout)
    assert re.search(r"created +│ 4 ", done.stdout)
    header = r"file +┃ mode +┃ status +┃ lines +┃ created +┃ updated +┃ unchanged +┃ failed +┃ deactivated +┃ removed"
    assert re.search(header, done.stdout), done.stdout
    assert re.search(r"orgs\.csv +│ bulk +│ done +│ 3 +│ 2 +│ 0 +│ 0 +│ 0 +│ 0 +│ 0 ", done.stdout)
    assert re.search(
        r"academicSessions\.csv +│ bulk +│ done +│ 3 +│ 2 +│ 0 +│ 0 +│ 0 +│ 0 +│ 0 ", done.stdout
    )
    assert "Every row was imported." in done.stdout
    assert f"Result file: {result}" in done.stdout
    with zipfile.ZipFile(io.BytesIO(result.read_bytes())) as archive:
        assert sorted(archive.namelist()) == ["academicSessions-result.csv", "orgs-result.csv"]

    # Shown again later: the result download is a zip.
    reference = district.json("imports", "list", "--limit", "1")[0]["referenceId"]
    shown = district("imports", "show", reference)
    assert shown.returncode == 0, shown.stderr
    assert re.search(r"orgs\.csv +│ bulk +│ done ", shown.stdout)
    assert (
        f"Result zip (a result CSV per file of the bundle, every row's outcome): loadbay imports download {reference} -o result.zip"
        in shown.stdout
    )


def test_a_bundles_messages_name_their_file(district: Cli, tmp_path: Path) -> None:
    lost = {"sourcedId": "s2", "name": "Lost School", "type": "school", "parentSourcedId": "nowhere"}
    path = write(tmp_path, bundle({"orgs": [*ORGS, lost], "academicSessions": SESSIONS}))
    done = district("push", path, "--wait")

    assert done.returncode == 1, done.stderr
    assert re.search(r"┃ file +┃ line +┃ severity +┃ column +┃ message", done.stdout)
    assert re.search(
        r"orgs\.csv +│ 4 +│ error +│ parentSourcedId +│ 'nowhere' is not the sourcedId of an org", done.stdout
    )
    assert re.search(r"orgs\.csv +│ bulk +│ done +│ 4 +│ 2 +│ 0 +│ 0 +│ 1 ", done.stdout)
    assert "orgs.csv bulk done 4 lines 2 created, 1 failed" in " ".join(done.stderr.split())
    detail = district.json("imports", "show", REFERENCE.findall(done.stdout)[0], code=1)
    assert [(m["file"], m["line"], m["column"]) for m in detail["messagePage"]["items"]] == [
        ("orgs.csv", 4, "parentSourcedId")
    ]


def test_what_a_bundle_refuses(district: Cli, tmp_path: Path) -> None:
    path = write(tmp_path, bundle({"orgs": ORGS}))
    # What the manifest decides, refused before a byte is sent.
    for option, words in (
        (["--type", "orgs"], "--type does not apply to a bundle: its manifest.csv names each file's type."),
        (["--sync"], "--sync does not apply to a bundle: its manifest.csv declares each file bulk"),
    ):
        done = district("push", path, *option, "--wait")
        assert (done.returncode, done.stdout) == (3, ""), done.stderr
        assert words in done.stderr
        assert "uploading" not in done.stderr
    # A bundle whose manifest names a file it lacks: the server's 400, word for word.
    missing = write(tmp_path, bundle({"orgs": ORGS}, modes={"orgs": "bulk", "users": "bulk"}), "short.zip")
    done = district("push", missing, "--wait")
    assert (done.returncode, done.stdout) == (2, ""), done.stderr
    assert done.stderr.endswith(
        "error: Invalid bundle: manifest.csv declares file.users as bulk but the bundle has no "
        "users.csv. (HTTP 400)\n"
    ), done.stderr
    assert district.json("imports", "list") == []

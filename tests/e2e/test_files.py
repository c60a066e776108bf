"""Seed 004 end to end: a real ``loadbay serve``, the CLI for accounts and grants, the seed's request."""

from __future__ import annotations

import hashlib
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.server import LoadbayServer, curl
from tests.files.formdata import FilePart, node_form

pytestmark = pytest.mark.e2e

USERS_CSV = (
    "user_username,user_name,user_password,user_email,user_organizationId\n"
    "jdoe,John Doe,Str0ng#Pass,jdoe@example.org,root\n"
)


def _cli_json(server: LoadbayServer, *args: str) -> dict[str, str]:
    done = server.cli(*args, "--json")
    assert done.returncode == 0, done.stderr
    payload: dict[str, str] = json.loads(done.stdout)
    return payload


def _setup(server: LoadbayServer, *scopes: str) -> tuple[str, str, str]:
    """(client id, account id, token): the CLI steps the README gives, then the token by --form."""
    client = server.create_client("district-a", *scopes)
    account = _cli_json(server, "accounts", "create", "--tenant", "district-a", "--name", "Acme Corp")
    done = server.cli("clients", "grant", client["client_id"], "--account", account["account_id"])
    assert done.returncode == 0, done.stderr
    status, body = curl(
        f"curl '{server.url}/api/v1/oauth2/tokens' --form 'grant_type=\"client_credentials\"' "
        f"--form 'client_id=\"{client['client_id']}\"' --form 'client_secret=\"{client['client_secret']}\"'"
    )
    assert status == 200, body
    return client["client_id"], account["account_id"], json.loads(body)["access_token"]


def _stored_documents(server: LoadbayServer) -> list[Path]:
    root = server.data_dir / "objects" / "files"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _get(url: str, token: str | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"Authorization": token} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _node_post(url: str, token: str, parts: list[tuple[str, str | FilePart]]) -> tuple[int, bytes]:
    """POST as axios sends a form-data stream: chunked, no Content-Length, the bare token."""
    body, content_type = node_form(parts)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 8192):
            yield body[start : start + 8192]

    request = urllib.request.Request(
        url, data=chunks(), method="POST", headers={"Content-Type": content_type, "Authorization": token}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_seed_upload_read_back_and_download(server: LoadbayServer, tmp_path: Path) -> None:
    client_id, account_id, token = _setup(server, "files")
    invoice = tmp_path / "invoice.csv"
    invoice.write_text("item,amount\nwidget,3\n")
    upload_url = f"{server.url}/files/v1/{client_id}/upload_files"

    # The seed's second example, as curl sends it: accountId, file, documentType; the bare token.
    status, body = curl(
        f"curl --location '{upload_url}' --header 'Authorization: {token}' "
        f"--form 'accountId={account_id}' --form 'file=@\"{invoice}\"' --form 'documentType=CSV'"
    )
    assert status == 200, body
    first = json.loads(body)
    assert first == {
        "id": first["id"],
        "accountId": account_id,
        "documentType": "CSV",
        "fileName": "invoice.csv",
        "size": invoice.stat().st_size,
        "contentType": "text/csv; charset=utf-8",
        "sha256": hashlib.sha256(invoice.read_bytes()).hexdigest(),
        "uploadedAt": first["uploadedAt"],
        "referenceId": None,
        "warnings": [],
    }

    # The seed's first example byte for byte as Node's form-data writes it, streamed like axios.
    pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
    status, raw = _node_post(
        upload_url, token, [("accountId", account_id), ("file", FilePart("file.ext", pdf))]
    )
    assert status == 200, raw
    second = json.loads(raw)
    assert (second["documentType"], second["contentType"], second["fileName"]) == (
        None,
        "application/pdf",
        "file.ext",
    )

    # Another type still uploads the file, with the type unset and a warning.
    status, raw = _node_post(
        upload_url,
        token,
        [("accountId", account_id), ("file", FilePart("r.txt", b"hello\n")), ("documentType", "Receipt")],
    )
    assert status == 200, raw
    assert json.loads(raw)["documentType"] is None
    assert json.loads(raw)["warnings"]

    base = f"{server.url}/files/v1/{client_id}/accounts/{account_id}/files"
    status, _headers, raw = _get(f"{base}?documentType=CSV", token)
    assert status == 200
    assert [f["id"] for f in json.loads(raw)["files"]] == [first["id"]]
    status, _headers, raw = _get(f"{base}?limit=2", f"Bearer {token}")
    page = json.loads(raw)
    assert len(page["files"]) == 2
    status, _headers, raw = _get(f"{base}?limit=2&cursor={page['nextCursor']}", token)
    assert [f["id"] for f in json.loads(raw)["files"]] == [first["id"]]

    status, _headers, raw = _get(f"{base}/{second['id']}", token)
    assert (status, json.loads(raw)["sha256"]) == (200, hashlib.sha256(pdf).hexdigest())
    status, _headers, raw = _get(f"{base}/{second['id']}/download", token)
    signed_url = json.loads(raw)["signedUrl"]
    assert signed_url.startswith(f"{server.url}/signed/files/")
    status, headers, content = _get(signed_url)
    assert (status, content) == (200, pdf)
    assert headers["content-type"] == "application/pdf"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["content-disposition"].startswith('attachment; filename="file.ext"')
    assert _get(signed_url.replace("application%2Fpdf", "text%2Fhtml"))[0] == 403


def test_seed_rules_over_http_store_nothing_when_refused(server: LoadbayServer, tmp_path: Path) -> None:
    client_id, account_id, token = _setup(server, "files")
    upload_url = f"{server.url}/files/v1/{client_id}/upload_files"
    one, two = tmp_path / "one.pdf", tmp_path / "two.pdf"
    one.write_bytes(b"%PDF-1.4\n")
    two.write_bytes(b"%PDF-1.4\n")

    status, body = curl(
        f"curl '{upload_url}' --header 'Authorization: {token}' --form 'accountId={account_id}' "
        f"--form 'file=@\"{one}\"' --form 'file=@\"{two}\"'"
    )
    assert status == 400
    assert json.loads(body)["message"].startswith("Send exactly one file per request")

    other = _cli_json(server, "accounts", "create", "--tenant", "district-a", "--name", "Not granted")
    for account in (other["account_id"], "acc_unknown"):
        status, body = curl(
            f"curl '{upload_url}' --header 'Authorization: {token}' --form 'accountId={account}' "
            f"--form 'file=@\"{one}\"'"
        )
        assert status == 404
        assert json.loads(body)["message"].startswith("Account not found")

    status, body = curl(
        f"curl '{server.url}/files/v1/lb_someone_else/upload_files' --header 'Authorization: {token}' "
        f"--form 'accountId={account_id}' --form 'file=@\"{one}\"'"
    )
    assert status == 403
    status, body = curl(f"curl '{upload_url}' --form 'accountId={account_id}' --form 'file=@\"{one}\"'")
    assert (status, body) == (401, "Access Denied")
    assert _stored_documents(server) == []


def test_import_type_hands_the_csv_to_the_importer(server: LoadbayServer, tmp_path: Path) -> None:
    client_id, account_id, token = _setup(server, "files", "rostering")
    users = tmp_path / "users.csv"
    users.write_text(USERS_CSV)
    status, body = curl(
        f"curl '{server.url}/files/v1/{client_id}/upload_files' --header 'Authorization: {token}' "
        f"--form 'accountId={account_id}' --form 'file=@\"{users}\"' --form 'documentType=CSV' "
        "--form 'importType=users'"
    )
    assert status == 200, body
    reference_id = json.loads(body)["referenceId"]
    deadline = time.monotonic() + 60
    while True:
        status, _headers, raw = _get(f"{server.url}/api/v1/status/{reference_id}", f"Bearer {token}")
        assert status == 200, raw
        result = json.loads(raw)["result"]
        if result["status"] != "pending" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert (result["status"], result["fileLine"], result["messages"]) == ("processed", 2, [])
    status, _headers, raw = _get(f"{server.url}/api/v1/download/{reference_id}", f"Bearer {token}")
    assert status == 200
    status, _headers, content = _get(json.loads(raw)["signedUrl"])
    assert content.decode().splitlines()[1].startswith("2,created,jdoe")
    # The document is kept, with no clear password in it.
    [document] = _stored_documents(server)
    assert "Str0ng#Pass" not in document.read_text()
    assert document.read_text().splitlines()[1] == "jdoe,John Doe,,jdoe@example.org,root"


def test_over_the_files_limit_is_refused_while_streaming(
    server_factory: type[LoadbayServer], tmp_path: Path
) -> None:
    server = server_factory().start(LOADBAY_FILES_MAX_UPLOAD_BYTES=str(1024 * 1024))
    client_id, account_id, token = _setup(server, "files")
    status, raw = _node_post(
        f"{server.url}/files/v1/{client_id}/upload_files",
        token,
        [("accountId", account_id), ("file", FilePart("big.bin", b"\x00" * (3 * 1024 * 1024)))],
    )
    assert status == 413
    assert json.loads(raw)["message"].startswith("File too large: the limit is 1048576 bytes (1 MB)")
    assert _stored_documents(server) == []

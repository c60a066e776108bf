"""A files-API client of a tenant with one granted account, and helpers to look at what was stored."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from loadbay.db import transaction
from loadbay.files.accounts import create_account, grant_account
from loadbay.models import ImportJob, StoredFile
from loadbay.runtime import Runtime
from tests.conftest import Credentials, new_client, token_for
from tests.files.formdata import FilePart, Part, node_form

CSV_BYTES = b"name,amount\nwidget,3\ngadget,4\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"


def new_account(runtime: Runtime, *, tenant: str, name: str, grant_to: tuple[str, ...] = ()) -> str:
    with transaction(runtime.write_sessions) as session:
        account = create_account(session, tenant_name=tenant, name=name)
        for client_id in grant_to:
            grant_account(session, client_id=client_id, account_id=account.id)
        return account.id


def stored_objects(runtime: Runtime) -> list[str]:
    root = runtime.settings.data_dir / "objects"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def row_counts(runtime: Runtime) -> tuple[int, int]:
    """(files rows, import rows)."""
    with runtime.sessions() as session:
        files = session.scalar(select(func.count()).select_from(StoredFile)) or 0
        imports = session.scalar(select(func.count()).select_from(ImportJob)) or 0
        return files, imports


@dataclass
class FilesUser:
    """A tenant's files-API client with one account granted to it, sending the seed's requests."""

    http: TestClient
    runtime: Runtime
    credentials: Credentials
    token: str
    account_id: str

    @classmethod
    def create(
        cls,
        http: TestClient,
        runtime: Runtime,
        *,
        tenant: str = "district-a",
        scopes: tuple[str, ...] = ("files",),
        account: str = "Acme",
    ) -> FilesUser:
        credentials = new_client(runtime, tenant=tenant, scopes=scopes)
        account_id = new_account(runtime, tenant=tenant, name=account, grant_to=(credentials.client_id,))
        return cls(http, runtime, credentials, token_for(http, credentials), account_id)

    @property
    def client_id(self) -> str:
        return self.credentials.client_id

    @property
    def base(self) -> str:
        return f"/files/v1/{self.client_id}"

    def post(
        self, parts: list[Part], *, authorization: str | None = None, client_id: str | None = None
    ) -> httpx.Response:
        """The seed's request: the bare token in Authorization, the body as Node's form-data lays it out."""
        body, content_type = node_form(parts)
        headers = {"Content-Type": content_type, "Authorization": authorization or self.token}
        return self.http.post(
            f"/files/v1/{client_id or self.client_id}/upload_files", content=body, headers=headers
        )

    def upload(
        self,
        content: bytes = CSV_BYTES,
        *,
        filename: str = "file.csv",
        account_id: str | None = None,
        **fields: str,
    ) -> dict[str, object]:
        parts: list[Part] = [
            ("accountId", account_id or self.account_id),
            ("file", FilePart(filename, content)),
            *fields.items(),
        ]
        response = self.post(parts)
        assert response.status_code == 200, response.text
        answer: dict[str, object] = response.json()
        return answer

    def get(self, path: str, **params: str | int) -> httpx.Response:
        return self.http.get(f"{self.base}{path}", params=params, headers={"Authorization": self.token})


@pytest.fixture
def files_user(app_client: TestClient, app_runtime: Runtime) -> FilesUser:
    return FilesUser.create(app_client, app_runtime)

"""A merchant integration: a payments client of a tenant with a company and a project."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from loadbay.db import transaction
from loadbay.models import ImportBatch, ImportJob
from loadbay.payments.companies import create_company, create_project
from loadbay.runtime import Runtime
from tests.conftest import ApiUser, run_jobs


@dataclass
class Merchant:
    api: ApiUser
    company_id: str
    project_id: str

    @classmethod
    def create(
        cls, http: TestClient, runtime: Runtime, *, tenant: str = "shop-a", retention_days: int = 30
    ) -> Merchant:
        api = ApiUser.create(http, runtime, tenant=tenant, scopes=("payments",))
        with transaction(runtime.write_sessions) as session:
            company = create_company(
                session, tenant_name=tenant, name=f"{tenant} ltd", retention_days=retention_days
            )
            project = create_project(session, company_id=company.id, name="main")
            return cls(api, company.id, project.id)

    @property
    def http(self) -> TestClient:
        return self.api.http

    @property
    def runtime(self) -> Runtime:
        return self.api.runtime

    @property
    def headers(self) -> dict[str, str]:
        return self.api.headers

    def new_batch(self, import_type: str = "Transactions", **body: Any) -> str:
        payload = {"CompanyId": self.company_id, "CompanyProjectId": self.project_id, "Type": import_type}
        payload.update(body)
        response = self.http.post("/api/adm/import/batches", headers=self.headers, json=payload)
        assert response.status_code == 200, response.text
        batch_id: str = response.json()["batchId"]
        return batch_id

    def upload(
        self, batch_id: str, content: str | bytes, *, filename: str = "batch.csv", query: str | None = None
    ) -> Response:
        body = content.encode() if isinstance(content, str) else content
        return self.http.post(
            f"/api/adm/import/file?{f'BatchId={batch_id}' if query is None else query}",
            headers=self.headers,
            files={"file": (filename, body, "text/csv")},
        )

    def entries(self, batch_id: str, **params: Any) -> dict[str, Any]:
        response = self.http.get(
            "/api/adm/import/entries", headers=self.headers, params={"batchId": batch_id, **params}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["success"], body["code"], body["errorMessage"]) == (True, 200, None)
        data: dict[str, Any] = body["data"]
        return data

    def batch(self, batch_id: str) -> dict[str, Any]:
        response = self.http.get(f"/api/adm/import/batches/{batch_id}", headers=self.headers)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        return data

    def import_file(self, import_type: str, content: str) -> tuple[str, dict[str, Any]]:
        """A new batch of ``import_type`` with ``content``, imported; returns its id and entries."""
        batch_id = self.new_batch(import_type)
        response = self.upload(batch_id, content)
        assert response.status_code == 200, response.text
        run_jobs(self.runtime)
        return batch_id, self.entries(batch_id, pageSize=1000)

    def result_csv(self, batch_id: str) -> str:
        response = self.http.get(f"/api/adm/import/batches/{batch_id}/result", headers=self.headers)
        assert response.status_code == 200, response.text
        signed = response.json()["data"]["signedUrl"]
        download = self.http.get(signed.split("http://testserver", 1)[1])
        assert download.status_code == 200, download.text
        return download.text

    def stored_copy(self, batch_id: str) -> str:
        """The upload as Loadbay keeps it after the import (processed/ or failed/)."""
        with self.runtime.sessions() as session:
            batch = session.get(ImportBatch, batch_id)
            assert batch is not None
            assert batch.import_id is not None
            job = session.get(ImportJob, batch.import_id)
            assert job is not None
            key = job.object_key
        with self.runtime.storage.open(key) as source:
            return source.read().decode()


@pytest.fixture
def merchant(app_client: TestClient, app_runtime: Runtime) -> Merchant:
    return Merchant.create(app_client, app_runtime)


def command(response: Response, status: int, code: int, fragment: str) -> None:
    """The response is a failed BaseCommandResponse with exactly the seed's three fields."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"success", "code", "errorMessage"}, body
    assert body["success"] is False
    assert body["code"] == code
    assert fragment in body["errorMessage"], body["errorMessage"]

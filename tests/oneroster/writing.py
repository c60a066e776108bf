"""Import one OneRoster file as a bundle's file would be, through a real job and worker.

The bundle runner runs each file of a bundle this way (its type, bulk or delta); these helpers
let the tests of one file's rules run it alone, against real SQLite or PostgreSQL.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from loadbay.db import transaction
from loadbay.importing.service import ReceivedUpload, create_import, ensure_result_file, new_reference_id
from loadbay.models import ApiClient, ImportJob, ImportMessage
from loadbay.oneroster.common import BUNDLE, type_name
from loadbay.runtime import Runtime
from tests.conftest import new_client, run_jobs


@dataclass
class Imported:
    job: ImportJob
    # (line, column, code, severity, text) of every message, in file order.
    messages: list[tuple[int | None, str | None, str, str, str]]
    # The result file's rows as dicts (empty when the import wrote none).
    results: list[dict[str, str]]

    @property
    def counts(self) -> dict[str, int]:
        job = self.job
        return {
            "created": job.created_count,
            "updated": job.updated_count,
            "unchanged": job.unchanged_count,
            "failed": job.failed_count,
            "deactivated": job.deactivated_count,
            "removed": job.removed_count,
        }

    def texts(self) -> list[str]:
        return [f"Line {line}: {column}: {text}" for line, column, _, _, text in self.messages]


class OneRosterTenant:
    """A tenant that imports OneRoster files one at a time."""

    def __init__(self, runtime: Runtime, *, tenant: str = "district-a") -> None:
        self.runtime = runtime
        credentials = new_client(runtime, tenant=tenant)
        with runtime.sessions() as session:
            client = session.scalar(select(ApiClient).where(ApiClient.client_id == credentials.client_id))
            assert client is not None
            self.tenant_id, self.client_id = client.tenant_id, client.id

    def run(
        self,
        entity: str,
        rows: list[dict[str, str]] | str,
        *,
        mode: str = "bulk",
        sync: bool = False,
        **options: Any,
    ) -> Imported:
        """Import ``rows`` (dicts in column order, or the CSV text) as ``<entity>.csv`` of a
        bundle, ``bulk`` or ``delta``. ``sync``: a bulk file's sync follows it (the type's
        SyncRule), with no change threshold unless ``change_threshold`` is given.
        ``options``: other job options, dry_run, on_error="abort"…"""
        text = rows if isinstance(rows, str) else csv_text(rows)
        reference = new_reference_id()
        key = f"tests/{reference}.csv"
        path = Path(self.runtime.settings.data_dir) / f"{reference}.csv"
        path.write_text(text, encoding="utf-8")
        self.runtime.storage.put_file(key, path)
        job_options = {
            "import_type": type_name(entity),
            "file_bundle": BUNDLE,
            "file_mode": mode,
            **options,
        }
        if sync:
            job_options["mode"] = "sync"
            job_options.setdefault("change_threshold", 100.0)
        upload = ReceivedUpload(key=key, filename=f"{entity}.csv", size=len(text), sha256="0" * 64)
        with transaction(self.runtime.write_sessions) as session:
            create_import(
                session,
                reference_id=reference,
                tenant_id=self.tenant_id,
                client_id=self.client_id,
                upload=upload,
                options=job_options,
            )
        run_jobs(self.runtime)
        with self.runtime.sessions() as session:
            job = session.get(ImportJob, reference)
            assert job is not None
            session.expunge(job)
            messages = [
                (m.line, m.column, m.code, m.severity, m.message)
                for m in session.scalars(
                    select(ImportMessage)
                    .where(ImportMessage.import_id == reference)
                    .order_by(ImportMessage.seq)
                )
            ]
        with transaction(self.runtime.write_sessions) as session:
            stored = session.get(ImportJob, reference)
            assert stored is not None
            key = ensure_result_file(session, self.runtime.storage, stored)
        with self.runtime.storage.open(key) as binary:
            results = list(csv.DictReader(io.TextIOWrapper(binary, encoding="utf-8-sig")))
        return Imported(job, messages, results)

    def rows(self, model: Any, **where: Any) -> list[Any]:
        """The tenant's stored rows of ``model`` (detached), in id order."""
        with self.runtime.sessions() as session:
            statement = select(model).where(model.tenant_id == self.tenant_id)
            for name, value in where.items():
                statement = statement.where(getattr(model, name) == value)
            found = list(session.scalars(statement.order_by(model.id)))
            for row in found:
                session.expunge(row)
            return found


def csv_text(rows: list[dict[str, str]]) -> str:
    """Rows as a CSV file, the first row's keys as the header (every cell quoted when needed)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()

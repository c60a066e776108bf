"""The TAO ``users`` template: upsert keyed by ``user_username``."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

import polars as pl
from sqlalchemy import select

from loadbay.importing.batch import CREATED, FAILED, UNCHANGED, UPDATED, BatchContext, BatchResult
from loadbay.importing.columns import (
    EMAIL,
    LANGUAGE_TAG,
    Column,
    Required,
    boolean,
    json_object,
    one_of,
    pattern,
)
from loadbay.importing.registry import ImportType, register
from loadbay.models import OrgUnit, RosterUser, utcnow
from loadbay.rostering.passwords import PasswordHashing, is_prehashed, password_policy
from loadbay.rostering.writing import fetch_existing, upsert

ROLES = (
    "ADMIN",
    "CONTENT_CREATOR",
    "GROUP_CREATOR",
    "PUBLIC_SESSION_MANAGER",
    "BATTERY_MANAGER",
    "SUPPORT",
    "DATA_EXPLORER",
)
METADATA_PREFIX = "user_metadata_"

COLUMNS = (
    Column("user_username", Required.ALWAYS, "Login name; the key, cannot change."),
    Column("user_name", description="Display name."),
    Column(
        "user_password",
        Required.ON_CREATE,
        "At least 8 characters with upper case, lower case and a special character; "
        "or an $argon2id$/$2b$ hash, stored as given. Blank keeps the stored password.",
        max_length=255,
        checks=(password_policy,),
        secret=True,
    ),
    Column(
        "user_email",
        description="E-mail address.",
        max_length=320,
        checks=(pattern(EMAIL, "is not a valid e-mail address"),),
    ),
    Column(
        "user_language",
        description="Language tag such as en-US.",
        max_length=35,
        checks=(pattern(LANGUAGE_TAG, "is not a language tag such as en-US"),),
    ),
    Column("user_active", description="TRUE or FALSE; blank means TRUE.", checks=(boolean,)),
    Column(
        "user_role",
        description="Pipe-separated: " + ", ".join(ROLES) + ".",
        checks=(one_of(ROLES, separator="|"),),
    ),
    Column("user_organizationId", Required.ALWAYS, "An existing organization unit, or root."),
    Column(
        "user_externalId",
        description='A JSON object such as {"google": "user-id"}.',
        max_length=4000,
        checks=(json_object,),
    ),
)

# Stored fields compared to decide between updated and unchanged.
FIELDS = (
    "name",
    "email",
    "language",
    "active",
    "roles",
    "organization_id",
    "external_id",
    "metadata_json",
)
# The ORM attribute is metadata_json because declarative classes reserve ``metadata``.
_COLUMN_NAMES = {"metadata_json": "metadata"}
_OPTIONAL = {
    "user_name": "name",
    "user_email": "email",
    "user_language": "language",
    "user_role": "roles",
    "user_externalId": "external_id",
}


def _org_ids(context: BatchContext) -> set[str]:
    if "org_ids" not in context.cache:
        context.cache["org_ids"] = set(
            context.session.scalars(select(OrgUnit.org_id).where(OrgUnit.tenant_id == context.tenant_id))
        )
    org_ids: set[str] = context.cache["org_ids"]
    return org_ids


def _active(raw: str, messages: list[str]) -> bool:
    value = raw.strip().upper()
    if value in ("1", "0"):
        messages.append(
            f"user_active: '{raw.strip()}' read as {'TRUE' if value == '1' else 'FALSE'}; write TRUE or FALSE"
        )
    return value in ("", "TRUE", "1")


def _normalize(column: str, raw: str) -> str:
    value = raw.strip()
    if column == "user_role":
        return "|".join(dict.fromkeys(part.strip() for part in value.split("|") if part.strip()))
    return value


def write_users(context: BatchContext, frame: pl.DataFrame) -> BatchResult:
    present = context.present
    records = frame.to_dicts()
    usernames = [str(record["user_username"]).strip() for record in records]
    existing = fetch_existing(
        context.session,
        key=RosterUser.username,
        columns=[*(getattr(RosterUser, name) for name in FIELDS), RosterUser.password_hash],
        tenant_id=context.tenant_id,
        keys=usernames,
    )
    org_ids = _org_ids(context)
    metadata_columns = [name for name in frame.columns if name.startswith(METADATA_PREFIX)]

    outcomes: list[str] = []
    messages: list[list[str]] = []
    rows: list[dict[str, Any]] = []
    password_tasks: list[tuple[str, str | None]] = []
    password_rows: list[int] = []
    now = utcnow()
    for record, username in zip(records, usernames, strict=True):
        row_messages: list[str] = []
        current = existing.get(username)
        stored: dict[str, Any] = (
            dict(zip(FIELDS, current[1 : len(FIELDS) + 1], strict=True))
            if current is not None
            else dict.fromkeys(FIELDS) | {"active": True}
        )
        new = dict(stored)
        for column, field_name in _OPTIONAL.items():
            if column in present:
                value = _normalize(column, str(record[column] or ""))
                new[field_name] = value or None
        if new["external_id"]:
            try:
                parsed = json.loads(new["external_id"])
            except ValueError:
                parsed = None
            if not isinstance(parsed, dict):
                row_messages.append('user_externalId: must be a JSON object such as {"google": "user-id"}')
            else:
                new["external_id"] = json.dumps(parsed, sort_keys=True, separators=(",", ":"))
        if "user_active" in present:
            new["active"] = _active(str(record["user_active"] or ""), row_messages)
        organization = str(record["user_organizationId"]).strip()
        if organization not in org_ids:
            row_messages.append(
                f"user_organizationId: '{organization}' is not an existing organization unit; "
                "use root or import the unit first"
            )
        new["organization_id"] = organization
        if metadata_columns:
            metadata = json.loads(stored["metadata_json"]) if stored["metadata_json"] else {}
            for column in metadata_columns:
                value = str(record[column] or "").strip()
                key = column[len(METADATA_PREFIX) :]
                if value:
                    metadata[key] = value
                else:
                    metadata.pop(key, None)
            new["metadata_json"] = json.dumps(metadata, sort_keys=True) if metadata else None

        password = str(record.get("user_password") or "").strip() if "user_password" in present else ""
        password_hash = current[-1] if current is not None else None
        if current is None and not password:
            row_messages.append("user_password: is required when the user is created")

        # Only errors above fail the row; the user_active note is a warning.
        errors = [m for m in row_messages if not m.startswith("user_active")]
        if errors:
            outcomes.append(FAILED)
            messages.append(row_messages)
            continue
        changed = current is None or any(new[name] != stored[name] for name in FIELDS)
        row = {
            "tenant_id": context.tenant_id,
            "username": username,
            **{_COLUMN_NAMES.get(name, name): value for name, value in new.items()},
            "password_hash": password_hash,
            "last_import_id": context.import_id,
            "created_at": now,
            "updated_at": now,
        }
        if password:
            if is_prehashed(password):
                if password != password_hash:
                    row["password_hash"] = password
                    changed = True
            else:
                password_tasks.append((password, password_hash))
                password_rows.append(len(rows))
        outcomes.append(CREATED if current is None else UPDATED if changed else UNCHANGED)
        messages.append(row_messages)
        rows.append(row)

    _apply_password_hashes(context, rows, outcomes, password_tasks, password_rows)
    to_write = [row for row in rows if row.pop("_unchanged", False) is False]
    return BatchResult(
        outcomes=outcomes,
        messages=messages,
        apply=partial(
            upsert,
            model=RosterUser,
            rows=to_write,
            keys=("tenant_id", "username"),
            keep_on_update=("created_at",),
        ),
    )


def _apply_password_hashes(
    context: BatchContext,
    rows: list[dict[str, Any]],
    outcomes: list[str],
    tasks: list[tuple[str, str | None]],
    row_indexes: list[int],
) -> None:
    if "hashing" not in context.cache:
        context.cache["hashing"] = PasswordHashing(context.settings)
    hashing: PasswordHashing = context.cache["hashing"]
    new_hashes = hashing.resolve(tasks)
    # rows holds only the rows that are written; map each back to its outcome slot.
    written_outcomes = [i for i, outcome in enumerate(outcomes) if outcome != FAILED]
    for row_index, new_hash in zip(row_indexes, new_hashes, strict=True):
        if new_hash is not None:
            rows[row_index]["password_hash"] = new_hash
            slot = written_outcomes[row_index]
            if outcomes[slot] == UNCHANGED:
                outcomes[slot] = UPDATED
    for row, slot in zip(rows, written_outcomes, strict=True):
        row["_unchanged"] = outcomes[slot] == UNCHANGED


USERS = register(
    ImportType(
        name="users",
        description="TAO Portal users: create or update user accounts.",
        columns=COLUMNS,
        key_columns=("user_username",),
        writer=write_users,
        extra_prefix=METADATA_PREFIX,
    )
)

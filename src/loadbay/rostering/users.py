"""The TAO ``users`` template: upsert keyed by ``user_username``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import polars as pl

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
from loadbay.models import RosterUser, utcnow
from loadbay.rostering.common import (
    UpsertPlan,
    apply_optional,
    cell,
    is_warning,
    known_org_ids,
    merge_metadata,
    normalize_list,
    parse_active,
)
from loadbay.rostering.passwords import PasswordHashing, is_prehashed, password_policy
from loadbay.rostering.writing import fetch_existing

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

USERNAME = Column("user_username", Required.ALWAYS, "Login name; the key, cannot change.")
NAME = Column("user_name", description="Display name.")
PASSWORD = Column(
    "user_password",
    Required.ON_CREATE,
    "At least 8 characters with upper case, lower case and a special character; "
    "or an $argon2id$/$2b$ hash, stored as given. Blank keeps the stored password.",
    checks=(password_policy,),
    secret=True,
)
EMAIL_COLUMN = Column(
    "user_email",
    description="E-mail address.",
    max_length=320,
    checks=(pattern(EMAIL, "is not a valid e-mail address"),),
)
LANGUAGE = Column(
    "user_language",
    description="Language tag such as en-US.",
    max_length=35,
    checks=(pattern(LANGUAGE_TAG, "is not a language tag such as en-US"),),
)
ACTIVE = Column("user_active", description="TRUE or FALSE; blank means TRUE.", checks=(boolean,))
ROLE = Column(
    "user_role",
    description="Pipe-separated: " + ", ".join(ROLES) + ".",
    checks=(one_of(ROLES, separator="|"),),
)
ORGANIZATION = Column("user_organizationId", Required.ALWAYS, "An existing organization unit, or root.")
EXTERNAL_ID = Column(
    "user_externalId",
    description='A JSON object such as {"google": "user-id"}.',
    max_length=4000,
    checks=(json_object,),
)

COLUMNS = (USERNAME, NAME, PASSWORD, EMAIL_COLUMN, LANGUAGE, ACTIVE, ROLE, ORGANIZATION, EXTERNAL_ID)

# Stored fields compared to decide between updated and unchanged.
FIELDS = ("name", "email", "language", "active", "roles", "organization_id", "external_id", "metadata_json")
_OPTIONAL = {
    "user_name": "name",
    "user_email": "email",
    "user_language": "language",
    "user_externalId": "external_id",
}
# The ORM attribute is metadata_json because declarative classes reserve ``metadata``.
_COLUMN_NAMES = {"metadata_json": "metadata"}


@dataclass
class UserPlan:
    """The users part of a batch: per-row outcome and messages, and the rows to upsert."""

    outcomes: list[str] = field(default_factory=list)
    messages: list[list[str]] = field(default_factory=list)
    plan: UpsertPlan = field(default_factory=lambda: UpsertPlan(RosterUser, ("tenant_id", "username")))


def plan_users(context: BatchContext, frame: pl.DataFrame) -> UserPlan:
    """Validate the user columns of ``frame`` against what is stored and plan the upserts."""
    present = context.present
    records = frame.to_dicts()
    usernames = [cell(record, "user_username") for record in records]
    stored_rows = fetch_existing(
        context.session,
        key=RosterUser.username,
        columns=[*(getattr(RosterUser, name) for name in FIELDS), RosterUser.password_hash],
        tenant_id=context.tenant_id,
        keys=usernames,
    )
    existing: dict[str, dict[str, Any]] = {
        username: dict(zip((*FIELDS, "password_hash"), row[1:], strict=True))
        for username, row in stored_rows.items()
    }
    org_ids = known_org_ids(context)
    metadata_columns = [name for name in frame.columns if name.startswith(METADATA_PREFIX)]
    result = UserPlan()
    password_tasks: list[tuple[str, str | None]] = []
    password_rows: list[dict[str, Any]] = []
    planned_usernames: set[str] = set()
    now = utcnow()
    for record, username in zip(records, usernames, strict=True):
        row_messages: list[str] = []
        current = existing.get(username)
        stored = (
            current
            if current is not None
            else dict.fromkeys(FIELDS) | {"active": True, "password_hash": None}
        )
        new = {name: stored[name] for name in FIELDS}
        apply_optional(new, record, present, _OPTIONAL)
        if "user_role" in present:
            new["roles"] = normalize_list(cell(record, "user_role"), "|") or None
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
            new["active"] = parse_active(record["user_active"], "user_active", row_messages)
        organization = cell(record, "user_organizationId")
        if organization not in org_ids:
            row_messages.append(
                f"user_organizationId: '{organization}' is not an existing organization unit; "
                "use root or import the unit first"
            )
        new["organization_id"] = organization
        if metadata_columns:
            new["metadata_json"] = merge_metadata(
                stored["metadata_json"], record, metadata_columns, METADATA_PREFIX
            )

        password = cell(record, "user_password") if "user_password" in present else ""
        if current is None and not password:
            row_messages.append("user_password: is required when the user is created")
        if any(not is_warning(message) for message in row_messages):
            result.outcomes.append(FAILED)
            result.messages.append(row_messages)
            continue

        changed = current is None or any(new[name] != stored[name] for name in FIELDS)
        row = {
            "tenant_id": context.tenant_id,
            "username": username,
            **{_COLUMN_NAMES.get(name, name): value for name, value in new.items()},
            "password_hash": stored["password_hash"],
            "last_import_id": context.import_id,
            "created_at": now,
            "updated_at": now,
        }
        if password and is_prehashed(password):
            changed = changed or password != stored["password_hash"]
            row["password_hash"] = password
        elif password:
            password_tasks.append((password, stored["password_hash"]))
            password_rows.append(row)
        outcome = CREATED if current is None else UPDATED if changed else UNCHANGED
        result.outcomes.append(outcome)
        result.messages.append(row_messages)
        row["_outcome_index"] = len(result.outcomes) - 1
        # A repeat must be written even if unchanged: it replaces the earlier row in the plan.
        row["_repeat"] = username in planned_usernames
        planned_usernames.add(username)
        result.plan.add(row)
        # A later row of the same batch for this user sees this one as what is stored.
        existing[username] = {**new, "password_hash": row["password_hash"]}

    if "hashing" not in context.cache:
        context.cache["hashing"] = PasswordHashing(context.settings)
    hashing: PasswordHashing = context.cache["hashing"]
    for row, new_hash in zip(password_rows, hashing.resolve(password_tasks), strict=True):
        if new_hash is not None:
            row["password_hash"] = new_hash
            if result.outcomes[row["_outcome_index"]] == UNCHANGED:
                result.outcomes[row["_outcome_index"]] = UPDATED
    for key, row in list(result.plan.rows.items()):
        repeat = row.pop("_repeat")
        if result.outcomes[row.pop("_outcome_index")] == UNCHANGED and not repeat:
            del result.plan.rows[key]
    return result


def write_users(context: BatchContext, frame: pl.DataFrame) -> BatchResult:
    planned = plan_users(context, frame)
    return BatchResult(outcomes=planned.outcomes, messages=planned.messages, apply=planned.plan.apply)


USERS = register(
    ImportType(
        name="users",
        description="Create or update user accounts.",
        columns=COLUMNS,
        key_columns=("user_username",),
        writer=write_users,
        extra_prefix=METADATA_PREFIX,
    )
)

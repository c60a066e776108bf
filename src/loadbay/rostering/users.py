"""The TAO ``users`` template: upsert keyed by ``user_username``."""

from __future__ import annotations

import json

import polars as pl

from loadbay.importing.batch import BatchContext, Planned
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
from loadbay.importing.messages import Finding, found
from loadbay.importing.planning import failed_rows, findings, optional_value, required_on_create, stripped
from loadbay.importing.registry import ImportType, SyncRule, register
from loadbay.importing.tables import ROW
from loadbay.importing.write import TableWrite
from loadbay.models import RosterUser
from loadbay.rostering.common import active_value, active_warning, list_value, merged_metadata, unknown_org
from loadbay.rostering.passwords import password_hashes, password_policy

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
    blank_keeps=True,
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
ORGANIZATION = Column(
    "user_organizationId", Required.ON_CREATE, "An existing organization unit, or root. Left out: kept."
)
EXTERNAL_ID = Column(
    "user_externalId",
    description='A JSON object such as {"google": "user-id"}.',
    max_length=4000,
    checks=(json_object,),
)

COLUMNS = (USERNAME, NAME, PASSWORD, EMAIL_COLUMN, LANGUAGE, ACTIVE, ROLE, ORGANIZATION, EXTERNAL_ID)

_OPTIONAL = {
    "user_name": "name",
    "user_email": "email",
    "user_language": "language",
}
JSON_PROBLEM = 'must be a JSON object such as {"google": "user-id"}'


def plan_users(context: BatchContext, frame: pl.DataFrame) -> Planned:
    """Check the user columns of ``frame`` against what is stored and plan the upserts.

    Vectorized; only plain-text passwords (argon2), JSON and metadata go through Python, row by
    row. Usernames in ``frame`` must be unique.
    """
    present = context.present
    df, messages = checked_users(context, frame)
    external = _external_ids(df) if "user_externalId" in present else None
    if external is not None:
        messages = _with(
            messages,
            found(
                external, [Finding("user_externalId", "invalid_json", pl.col("problem"))], rows=pl.col(ROW)
            ),
        )
    # A user the file creates needs a password and an organization; one it updates keeps them.
    messages = required_on_create(
        context, df, messages, model=RosterUser, key="username", lacks=create_lacks(present), noun="user"
    )
    df = df.filter(~failed_rows(messages))
    rows = df.select(pl.col(ROW), pl.col("username"), *user_values(present))
    if external is not None:
        rows = rows.join(external.select(ROW, "external_id"), on=ROW, how="left", maintain_order="left")
    if any(name.startswith(METADATA_PREFIX) for name in df.columns):
        rows = rows.with_columns(
            merged_metadata(context, df, model=RosterUser, key="username", prefix=METADATA_PREFIX)
        )
    if "user_password" in present:
        rows = rows.with_columns(password_hashes(context, df, key="username"))
    return Planned(messages=messages, writes=[user_write(context, rows)])


def checked_users(context: BatchContext, frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``frame`` with ``username`` and ``_password`` (blank: none), and the messages of the checks
    that hold whatever is stored: a 1 or 0 read as TRUE or FALSE, an unknown organization."""
    present = context.present
    checks: list[Finding] = []
    if "user_active" in present:
        checks.append(active_warning("user_active"))
    if "user_organizationId" in present:
        checks.append(unknown_org("user_organizationId", context))
    df = frame.with_columns(
        stripped("user_username").alias("username"),
        (stripped("user_password") if "user_password" in present else pl.lit("")).alias("_password"),
    )
    return df, findings(df, checks)


def create_lacks(present: frozenset[str]) -> dict[str, pl.Expr]:
    """Per column a new user needs, where a row lacks it (a blank password, or no such column)."""
    lacks = {"user_password": pl.col("_password") == ""}
    if "user_organizationId" not in present:
        lacks["user_organizationId"] = pl.lit(True)
    return lacks


def user_values(present: frozenset[str]) -> list[pl.Expr]:
    """The stored columns a row's plain cells set (not the password, JSON or metadata)."""
    values: list[pl.Expr] = []
    if "user_organizationId" in present:
        values.append(stripped("user_organizationId").alias("organization_id"))
    values += [optional_value(column).alias(name) for column, name in _OPTIONAL.items() if column in present]
    # A file without the column creates active users and leaves the stored ones as they are.
    values.append(
        active_value("user_active").alias("active")
        if "user_active" in present
        else pl.lit(True).alias("active")
    )
    if "user_role" in present:
        values.append(list_value("user_role", "|").alias("roles"))
    return values


def user_write(context: BatchContext, rows: pl.DataFrame, *, decides_outcome: bool = True) -> TableWrite:
    present = context.present
    return TableWrite(
        RosterUser,
        rows,
        context.constants(),
        insert_only=() if "user_active" in present or context.full_list_of(RosterUser) else ("active",),
        keep_when_null=("password_hash",),
        decides_outcome=decides_outcome,
    )


def _with(messages: pl.DataFrame, more: pl.DataFrame) -> pl.DataFrame:
    return pl.concat([messages, more]).sort("row", maintain_order=True) if more.height else messages


def _external_ids(df: pl.DataFrame) -> pl.DataFrame:
    """user_externalId normalised as JSON text (sorted keys), or the problem: polars cannot parse it."""
    normalised: list[str | None] = []
    problems: list[str | None] = []
    for value in df.select(optional_value("user_externalId"))["user_externalId"].to_list():
        parsed = None
        if value is not None:
            try:
                parsed = json.loads(value)
            except (ValueError, RecursionError):  # RecursionError: a cell of [[[[… nested too deep
                parsed = None
        if value is not None and not isinstance(parsed, dict):
            normalised.append(value)
            problems.append(JSON_PROBLEM)
        else:
            normalised.append(json.dumps(parsed, sort_keys=True, separators=(",", ":")) if parsed else None)
            problems.append(None)
    return pl.DataFrame(
        {
            ROW: df[ROW],
            "external_id": pl.Series(normalised, dtype=pl.Utf8),
            "problem": pl.Series(problems, dtype=pl.Utf8),
        }
    )


def write_users(context: BatchContext, frame: pl.DataFrame) -> Planned:
    return plan_users(context, frame)


USERS = register(
    ImportType(
        name="users",
        description="Create or update user accounts.",
        columns=COLUMNS,
        key_columns=("user_username",),
        sync=SyncRule(RosterUser, deactivate=True, noun="users"),
        writer=write_users,
        extra_prefix=METADATA_PREFIX,
    )
)

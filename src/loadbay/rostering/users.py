"""The TAO ``users`` template: upsert keyed by ``user_username``."""

from __future__ import annotations

import json

import polars as pl

from loadbay.importing.batch import CREATED, UPDATED, BatchContext, BatchResult
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
from loadbay.importing.planning import (
    FramePlan,
    Planned,
    any_changed,
    batch_constants,
    messages_of,
    optional_value,
    outcome_expr,
    stripped,
)
from loadbay.importing.registry import ImportType, register
from loadbay.importing.writing import fetch_frame
from loadbay.models import RosterUser
from loadbay.rostering.common import active_value, active_warning, known_org_ids, list_value, merge_metadata
from loadbay.rostering.passwords import PREHASHED, PasswordHashing, password_policy

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


STORED_SCHEMA: dict[str, pl.DataType] = {
    "username": pl.Utf8(),
    **{f"{name}_stored": pl.Boolean() if name == "active" else pl.Utf8() for name in FIELDS},
    "password_hash_stored": pl.Utf8(),
}
_MESSAGES = ["_m_active", "_m_org", "_m_password", "_m_json"]


def plan_users(context: BatchContext, frame: pl.DataFrame) -> Planned:
    """Validate the user columns of ``frame`` against what is stored and plan the upserts.

    Vectorized: the batch is joined with the stored rows and TAO's update rules are
    expressions; only plain-text passwords, JSON and metadata go through Python, row by row.
    Usernames in ``frame`` must be unique.
    """
    present = context.present
    df = frame.with_columns(stripped("user_username").alias("username"))
    stored = fetch_frame(
        context.session,
        key=RosterUser.username,
        columns=[*(getattr(RosterUser, name) for name in FIELDS), RosterUser.password_hash],
        tenant_id=context.tenant_id,
        keys=df["username"].to_list(),
        schema=STORED_SCHEMA,
    ).with_columns(pl.lit(True).alias("_exists"))
    df = df.join(stored, on="username", how="left", maintain_order="left")
    exists = pl.col("_exists").fill_null(False)
    df = df.with_columns(
        optional_value("user_name", "name_stored", present).alias("name"),
        optional_value("user_email", "email_stored", present).alias("email"),
        optional_value("user_language", "language_stored", present).alias("language"),
        active_value("user_active", "active_stored", exists, present).alias("active"),
        list_value("user_role", "roles_stored", present, "|").alias("roles"),
        stripped("user_organizationId").alias("organization_id"),
        optional_value("user_externalId", "external_id_stored", present).alias("external_id"),
        pl.col("metadata_json_stored").alias("metadata_json"),
        (stripped("user_password") if "user_password" in present else pl.lit("")).alias("_password"),
        active_warning("user_active", present).alias("_m_active"),
    )
    df = df.with_columns(
        pl.when(~pl.col("organization_id").is_in(list(known_org_ids(context))))
        .then(
            pl.format(
                "user_organizationId: '{}' is not an existing organization unit; "
                "use root or import the unit first",
                pl.col("organization_id"),
            )
        )
        .alias("_m_org"),
        pl.when(~exists & (pl.col("_password") == ""))
        .then(pl.lit("user_password: is required when the user is created"))
        .alias("_m_password"),
        pl.col("_password").str.contains(PREHASHED).alias("_prehashed"),
        *_python_columns(df, present),
    )
    failed = pl.any_horizontal(pl.col(name).is_not_null() for name in _MESSAGES[1:])
    df = df.with_columns(
        failed.alias("_failed"),
        pl.when(pl.col("_prehashed"))
        .then(pl.col("_password"))
        .otherwise(pl.col("password_hash_stored"))
        .alias("password_hash"),
    )
    df = _hash_plain_passwords(context, df)
    changed = any_changed((*FIELDS, "password_hash")) | pl.col("_rehashed")
    df = df.with_columns(outcome_expr(exists, changed, pl.col("_failed")).alias("_outcome"))
    rows = df.filter(pl.col("_outcome").is_in([CREATED, UPDATED])).select(
        "username",
        *(name for name in FIELDS if name != "metadata_json"),
        pl.col("metadata_json").alias("metadata"),
        "password_hash",
    )
    return Planned(
        outcomes=df["_outcome"].to_list(),
        messages=messages_of(df, _MESSAGES),
        plan=FramePlan(RosterUser, ("tenant_id", "username"), frame=rows, constants=batch_constants(context)),
    )


def _python_columns(df: pl.DataFrame, present: frozenset[str]) -> list[pl.Series]:
    """external_id normalised as JSON text, and metadata merged: the parts polars cannot do."""
    columns: list[pl.Series] = []
    if "user_externalId" in present:
        normalised: list[str | None] = []
        problems: list[str | None] = []
        for value in df["external_id"].to_list():
            parsed = None
            if value is not None:
                try:
                    parsed = json.loads(value)
                except ValueError:
                    parsed = None
            if value is not None and not isinstance(parsed, dict):
                normalised.append(value)
                problems.append('user_externalId: must be a JSON object such as {"google": "user-id"}')
            else:
                normalised.append(
                    json.dumps(parsed, sort_keys=True, separators=(",", ":")) if parsed else None
                )
                problems.append(None)
        columns += [
            pl.Series("external_id", normalised, dtype=pl.Utf8),
            pl.Series("_m_json", problems, dtype=pl.Utf8),
        ]
    else:
        columns.append(pl.Series("_m_json", [None] * df.height, dtype=pl.Utf8))
    metadata_columns = [name for name in df.columns if name.startswith(METADATA_PREFIX)]
    if metadata_columns:
        stored = df["metadata_json_stored"].to_list()
        records = df.select(metadata_columns).to_dicts()
        merged = [
            merge_metadata(old, record, metadata_columns, METADATA_PREFIX)
            for old, record in zip(stored, records, strict=True)
        ]
        columns.append(pl.Series("metadata_json", merged, dtype=pl.Utf8))
    return columns


def _hash_plain_passwords(context: BatchContext, df: pl.DataFrame) -> pl.DataFrame:
    """argon2id for plain-text passwords, in parallel; a password equal to the stored one is kept."""
    plain = (pl.col("_password") != "") & ~pl.col("_prehashed") & ~pl.col("_failed")
    indexes = df.select(pl.arg_where(plain)).to_series().to_list()
    if not indexes:
        return df.with_columns(pl.lit(False).alias("_rehashed"))
    if "hashing" not in context.cache:
        context.cache["hashing"] = PasswordHashing(context.settings)
    hashing: PasswordHashing = context.cache["hashing"]
    tasks = list(
        zip(
            df["_password"].gather(indexes).to_list(),
            df["password_hash_stored"].gather(indexes).to_list(),
            strict=True,
        )
    )
    hashes = df["password_hash"].to_list()
    rehashed = [False] * df.height
    for index, new_hash in zip(indexes, hashing.resolve(tasks), strict=True):
        if new_hash is not None:
            hashes[index] = new_hash
            rehashed[index] = True
    return df.with_columns(
        pl.Series("password_hash", hashes, dtype=pl.Utf8), pl.Series("_rehashed", rehashed)
    )


def write_users(context: BatchContext, frame: pl.DataFrame) -> BatchResult:
    return plan_users(context, frame).batch_result()


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

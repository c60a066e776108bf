"""OneRoster ``users.csv`` → roster users (roster_users), matched by their sourcedId.

A OneRoster user is stored with its sourcedId (``source_id``); TAO's own users have none and
no OneRoster file ever matches, changes or (in a bulk file's sync) deactivates them. The
username stays the tenant's login key: one already used by another user of the tenant (a TAO
user, or another sourcedId stored, earlier in the file or in the same batch) is an error on the
row that would take it, checked here before anything is written (the unique key would refuse
the whole batch). Every org of ``orgSourcedIds`` must be imported already (orgs.csv comes
first); the first is the user's organization unit. ``enabledUser`` sets ``active``.

Passwords follow TAO's rules for ``user_password`` exactly: the same policy (a weak password is
an error on its row), argon2id hashing, a pre-hashed ``$argon2id$``/``$2b$`` value stored as
given, a blank cell keeping the stored one, and the column never echoed in a result file. The
policy is kept, not relaxed, on purpose: the password is the same TAO login whichever file set
it, and a district whose export carries simple or placeholder passwords can leave the column
blank. Unlike TAO's template a new user needs no password: OneRoster districts usually sign in
through their own identity provider.
"""

from __future__ import annotations

import polars as pl

from loadbay.importing.batch import BatchContext, Planned
from loadbay.importing.bulk import Execute, Step
from loadbay.importing.columns import EMAIL, Column, Required, one_of, pattern
from loadbay.importing.messages import Finding, no_messages, ordered
from loadbay.importing.planning import failed_rows, findings, stripped
from loadbay.importing.registry import SyncRule
from loadbay.importing.tables import ROW, distinct_from, literal
from loadbay.importing.write import TableWrite
from loadbay.models import ROOT_ORGANIZATION, RosterUser
from loadbay.oneroster.common import (
    TRUE_OR_FALSE,
    head_findings,
    id_list,
    joined_ids,
    oneroster_type,
    optional,
    remember,
    to_be_deleted,
    with_deletions,
)
from loadbay.rostering.common import known_org_ids
from loadbay.rostering.passwords import password_hashes, password_policy

ROLES = ("administrator", "aide", "guardian", "parent", "proctor", "relative", "student", "teacher")
# The memo of user sourcedIds a run accepted without writing them (common.known_ids): the later
# files of a bundle (enrollments, demographics) look their users up under this name.
ACCEPTED = "oneroster.users"
# The usernames this import's users.csv has taken so far (username, source_id): the next batch
# is planned while this one is written, so the database cannot say yet.
_TAKEN = "oneroster.usernames"
_KEY = ("source_id",)


COLUMNS = (
    Column(
        "enabledUser",
        Required.ALWAYS,
        "true or false: whether the user may sign in.",
        checks=(TRUE_OR_FALSE,),
    ),
    Column(
        "orgSourcedIds",
        Required.ALWAYS,
        "The user's orgs (comma-separated sourcedIds of orgs.csv); the first is the user's unit.",
        max_length=4000,
    ),
    Column("role", Required.ALWAYS, "One of " + ", ".join(ROLES) + ".", checks=(one_of(ROLES),)),
    Column("username", Required.ALWAYS, "The login name; unique in the tenant."),
    Column(
        "userIds", description="Other systems' ids such as {LDAP:abc} (comma-separated).", max_length=4000
    ),
    Column("givenName", Required.ALWAYS, "First name."),
    Column("familyName", Required.ALWAYS, "Last name."),
    Column("middleName", description="Middle name."),
    Column("identifier", description="A human-readable identifier (a student number)."),
    Column(
        "email",
        description="E-mail address.",
        max_length=320,
        checks=(pattern(EMAIL, "is not a valid e-mail address"),),
    ),
    Column("sms", description="Mobile number for text messages.", max_length=64),
    Column("phone", description="Phone number.", max_length=64),
    Column(
        "agentSourcedIds",
        description="Related users (parents, guardians) as sourcedIds (comma-separated); not checked.",
        max_length=4000,
    ),
    Column("grades", description="Grade levels (comma-separated)."),
    Column(
        "password",
        description="At least 8 characters with upper case, lower case and a special character; "
        "or an $argon2id$/$2b$ hash, stored as given. Blank keeps the stored password (or none).",
        checks=(password_policy,),
        secret=True,
        blank_keeps=True,
    ),
)

# Optional single-valued cells → their columns (a blank cell clears).
_OPTIONAL = {
    "middleName": "middle_name",
    "identifier": "identifier",
    "email": "email",
    "sms": "sms",
    "phone": "phone",
}
# Optional multi-valued cells → their columns, stored joined.
_MULTI = {"grades": "grades", "userIds": "user_ids", "agentSourcedIds": "agent_ids"}


def plan_users(context: BatchContext, frame: pl.DataFrame) -> Planned:
    """Upsert the batch's users by sourcedId; a delta's tobedeleted rows deactivate theirs."""
    present = context.present
    df = frame.with_columns(
        stripped("sourcedId").alias("source_id"),
        stripped("username").alias("username"),
        id_list("orgSourcedIds").alias("_orgs"),
        to_be_deleted(context).alias("_deleted"),
    )
    messages = ordered(head_findings(context, df), findings(df, [_unknown_orgs(context, df)]))
    messages = ordered(messages, _taken_usernames(context, df.filter(~failed_rows(messages))))
    accepted = df.filter(~failed_rows(messages))
    kept = accepted.filter(~pl.col("_deleted"))
    remember(context, ACCEPTED, kept["source_id"])
    rows = kept.select(
        ROW,
        "source_id",
        "username",
        pl.format("{} {}", stripped("givenName"), stripped("familyName")).alias("name"),
        stripped("givenName").alias("given_name"),
        stripped("familyName").alias("family_name"),
        *(optional(column).alias(name) for column, name in _OPTIONAL.items() if column in present),
        *(joined_ids(column).alias(name) for column, name in _MULTI.items() if column in present),
        pl.col("_orgs").list.join(",").alias("organization_ids"),
        pl.col("_orgs").list.first().alias("organization_id"),
        stripped("role").alias("roles"),
        (stripped("enabledUser").str.to_lowercase() == "true").alias("active"),
    )
    if "password" in present and rows.height:
        rows = rows.with_columns(
            password_hashes(
                context,
                kept.select(ROW, "source_id", stripped("password").alias("_password")),
                key="source_id",
            )
        )
    write = (
        TableWrite(RosterUser, rows, context.constants(), key=_KEY, keep_when_null=("password_hash",))
        if rows.height
        else None
    )
    return with_deletions(
        context,
        model=RosterUser,
        key="source_id",
        kept=write,
        deleted=accepted.filter(pl.col("_deleted")).select(ROW, "source_id"),
        deactivate=True,
        messages=messages,
    )


def _unknown_orgs(context: BatchContext, df: pl.DataFrame) -> Finding:
    """Every org of a row's orgSourcedIds that is not imported (root is Loadbay's, not an org)."""
    known = [org for org in known_org_ids(context) if org != ROOT_ORGANIZATION]
    missing = pl.col("_orgs").list.eval(pl.element().filter(~pl.element().is_in(known)))
    quoted = missing.list.eval(pl.format("'{}'", pl.element())).list.join(", ")
    text = (
        pl.when(missing.list.len() == 1)
        .then(pl.format("{} is not the sourcedId of an org in orgs.csv or already imported", quoted))
        .when(missing.list.len() > 1)
        .then(pl.format("{} are not the sourcedIds of orgs in orgs.csv or already imported", quoted))
    )
    return Finding("orgSourcedIds", "unknown_reference", pl.when(~pl.col("_deleted")).then(text))


def _taken_usernames(context: BatchContext, df: pl.DataFrame) -> pl.DataFrame:
    """An error on each row (of ``df``, not failed otherwise) whose username another user has:
    stored, taken earlier in this file, or by an earlier row of this batch; then the usernames
    the other rows take are remembered for the batches that follow."""
    claims = df.filter(~pl.col("_deleted")).select(ROW, "username", "source_id")
    if not claims.height:
        return no_messages()
    taken: pl.DataFrame = context.cache.get(
        _TAKEN, pl.DataFrame(schema={"username": pl.Utf8, "source_id": pl.Utf8})
    )
    stored = context.lookup(RosterUser, claims.select(ROW, "username"), ["source_id"])
    own = pl.col("source_id")
    name = pl.col("username")
    held = pl.col("_held").fill_null(False)
    checked = claims.join(
        taken.rename({"source_id": "_earlier"}), on="username", how="left", maintain_order="left"
    ).join(
        stored.select(ROW, pl.col("source_id").alias("_stored"), pl.lit(True).alias("_held")),
        on=ROW,
        how="left",
        maintain_order="left",
    )
    elsewhere = (held & (pl.col("_stored").is_null() | (pl.col("_stored") != own))) | (
        pl.col("_earlier").is_not_null() & (pl.col("_earlier") != own)
    )
    # In the batch, the username goes to the first row that may have it.
    checked = checked.with_columns(
        elsewhere.alias("_elsewhere"), own.filter(~elsewhere).first().over("username").alias("_first")
    )
    text = (
        pl.when(held & pl.col("_stored").is_null())
        .then(
            pl.format("'{}' is already the username of another user of the tenant (not from OneRoster)", name)
        )
        .when(held & (pl.col("_stored") != own))
        .then(
            pl.format("'{}' is already the username of the user with sourcedId '{}'", name, pl.col("_stored"))
        )
        .when(pl.col("_elsewhere"))
        .then(
            pl.format(
                "'{}' is already the username of sourcedId '{}' earlier in the file", name, pl.col("_earlier")
            )
        )
        .when(pl.col("_first") != own)
        .then(
            pl.format(
                "'{}' is already the username of sourcedId '{}' earlier in the file", name, pl.col("_first")
            )
        )
    )
    messages = findings(checked, [Finding("username", "duplicate_key", text)])
    fresh = checked.filter(~failed_rows(messages) & pl.col("_earlier").is_null()).select(
        "username", "source_id"
    )
    if fresh.height:
        context.cache[_TAKEN] = taken.vstack(fresh.unique("username", keep="first", maintain_order=True))
    return messages


def follow_renames(dialect: str, tenant_id: int) -> list[Step]:
    """A membership names its user by username: after a users file renamed some, each
    OneRoster membership takes its user's current username (an enrollment is matched to its
    user by sourcedId, which never changes)."""
    tenant = literal(tenant_id)
    current = (
        "SELECT u.username FROM roster_users AS u "
        "WHERE u.tenant_id = group_memberships.tenant_id AND u.source_id = group_memberships.user_source_id"
    )
    sql = (
        f"UPDATE group_memberships SET username = ({current}) "  # noqa: S608
        f"WHERE tenant_id = {tenant} AND user_source_id IS NOT NULL "
        f"AND username {distinct_from(dialect)} ({current}) AND EXISTS ({current})"
    )
    return [Execute(sql)]


USERS = oneroster_type(
    "users",
    description="OneRoster users: students, teachers, parents and staff, as roster users keyed by sourcedId.",
    columns=COLUMNS,
    writer=plan_users,
    sync=SyncRule(RosterUser, deactivate=True, noun="users", key=_KEY),
    after_updates=follow_renames,
)

"""OneRoster ``demographics.csv`` → demographics, one row per user (its sourcedId is the user's).

The user must be imported already (users.csv comes first). ``sex`` is male or female; the race
and ethnicity flags are true or false (any case), blank meaning not stated. A delta's
tobedeleted row removes the user's demographics, and so does a bulk file that leaves them out
(its sync).
"""

from __future__ import annotations

import polars as pl

from loadbay.importing.batch import BatchContext, Planned
from loadbay.importing.columns import Column, one_of
from loadbay.importing.messages import ordered
from loadbay.importing.planning import failed_rows, findings, stripped
from loadbay.importing.registry import SyncRule
from loadbay.importing.tables import ROW
from loadbay.importing.write import TableWrite
from loadbay.models import Demographic, RosterUser
from loadbay.oneroster.common import (
    TRUE_OR_FALSE,
    date_check,
    head_findings,
    known_ids,
    oneroster_type,
    optional,
    to_be_deleted,
    unknown_reference,
    with_deletions,
)
from loadbay.oneroster.users import ACCEPTED

SEXES = ("male", "female")
# The true/false columns → their stored columns.
FLAGS = {
    "americanIndianOrAlaskaNative": "american_indian_or_alaska_native",
    "asian": "asian",
    "blackOrAfricanAmerican": "black_or_african_american",
    "nativeHawaiianOrOtherPacificIslander": "native_hawaiian_or_other_pacific_islander",
    "white": "white",
    "demographicRaceTwoOrMoreRaces": "two_or_more_races",
    "hispanicOrLatinoEthnicity": "hispanic_or_latino_ethnicity",
}
# The other optional cells → their stored columns (a blank cell clears).
_TEXT = {
    "birthDate": "birth_date",
    "sex": "sex",
    "countryOfBirthCode": "country_of_birth_code",
    "stateOfBirthAbbreviation": "state_of_birth_abbreviation",
    "cityOfBirth": "city_of_birth",
    "publicSchoolResidenceStatus": "public_school_residence_status",
}

COLUMNS = (
    Column("birthDate", description="YYYY-MM-DD.", max_length=10, checks=(date_check(),)),
    Column("sex", description="male or female.", max_length=8, checks=(one_of(SEXES),)),
    *(
        Column(name, description="true or false; blank: not stated.", checks=(TRUE_OR_FALSE,))
        for name in FLAGS
    ),
    Column("countryOfBirthCode", description="ISO 3166-1 alpha-2 country code.", max_length=8),
    Column("stateOfBirthAbbreviation", description="State or province abbreviation.", max_length=8),
    Column("cityOfBirth", description="City of birth."),
    Column("publicSchoolResidenceStatus", description="A CEDS residence status code."),
)


def _flag(column: str) -> pl.Expr:
    value = stripped(column).str.to_lowercase()
    return pl.when(value == "").then(None).otherwise(value == "true")


def plan_demographics(context: BatchContext, frame: pl.DataFrame) -> Planned:
    """Upsert the batch's users' demographics; a delta's tobedeleted rows remove theirs."""
    present = context.present
    df = frame.with_columns(
        stripped("sourcedId").alias("source_id"), to_be_deleted(context).alias("_deleted")
    )
    users = known_ids(context, RosterUser, df["source_id"], accepted=ACCEPTED)
    check = unknown_reference("sourcedId", pl.col("source_id"), users, what="a user", file="users.csv")
    messages = ordered(head_findings(context, df), findings(df.filter(~pl.col("_deleted")), [check]))
    accepted = df.filter(~failed_rows(messages))
    rows = accepted.filter(~pl.col("_deleted")).select(
        ROW,
        "source_id",
        *(optional(column).alias(name) for column, name in _TEXT.items() if column in present),
        *(_flag(column).alias(name) for column, name in FLAGS.items() if column in present),
    )
    write = TableWrite(Demographic, rows, context.constants()) if rows.height else None
    return with_deletions(
        context,
        model=Demographic,
        key="source_id",
        kept=write,
        deleted=accepted.filter(pl.col("_deleted")).select(ROW, "source_id"),
        deactivate=False,
        messages=messages,
    )


DEMOGRAPHICS = oneroster_type(
    "demographics",
    description="OneRoster demographics: a user's birth date, sex, race and ethnicity.",
    columns=COLUMNS,
    writer=plan_demographics,
    sync=SyncRule(Demographic, deactivate=False, noun="demographics"),
)

"""The TAO link templates: users into groups with a role.

``link-existing-user-to-groups`` links users that exist; ``link-new-user-to-groups`` creates or
updates the user first (same rules as the ``users`` template) and then links it.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from sqlalchemy import select

from loadbay.importing.batch import CREATED, FAILED, UNCHANGED, UPDATED, BatchContext, BatchResult
from loadbay.importing.columns import Column, Required, one_of
from loadbay.importing.planning import UpsertPlan, apply_plans
from loadbay.importing.registry import ImportType, register
from loadbay.models import GroupMembership, RosterUser, utcnow
from loadbay.rostering import users
from loadbay.rostering.common import known_group_names

GROUP_ROLES = ("TEST_TAKER", "GRADER", "BOOKLET_PUBLISHER", "SCAN_UPLOADER")

GROUP_NAME = Column("group_name", Required.ALWAYS, "An existing group.")
GROUP_ROLE = Column(
    "group_role", Required.ALWAYS, "One of " + ", ".join(GROUP_ROLES) + ".", checks=(one_of(GROUP_ROLES),)
)
LINK_KEY = ("user_username", "group_name", "group_role")


def _existing_links(context: BatchContext, usernames: list[str]) -> set[tuple[str, str, str]]:
    found: set[tuple[str, str, str]] = set()
    unique = list(dict.fromkeys(usernames))
    for start in range(0, len(unique), 5000):
        rows = context.session.execute(
            select(GroupMembership.username, GroupMembership.group_name, GroupMembership.role).where(
                GroupMembership.tenant_id == context.tenant_id,
                GroupMembership.username.in_(unique[start : start + 5000]),
            )
        )
        found.update((row[0], row[1], row[2]) for row in rows)
    return found


def _link_row(context: BatchContext, link: tuple[str, str, str], now: Any) -> dict[str, Any]:
    username, group, role = link
    return {
        "tenant_id": context.tenant_id,
        "username": username,
        "group_name": group,
        "role": role,
        "last_import_id": context.import_id,
        "created_at": now,
        "updated_at": now,
    }


def _links(frame: pl.DataFrame) -> list[tuple[str, str, str]]:
    return [
        (str(u).strip(), str(g).strip(), str(r).strip())
        for u, g, r in zip(frame["user_username"], frame["group_name"], frame["group_role"], strict=True)
    ]


def write_existing_user_links(context: BatchContext, frame: pl.DataFrame) -> BatchResult:
    links = _links(frame)
    usernames = [link[0] for link in links]
    users_found = set(
        context.session.scalars(
            select(RosterUser.username).where(
                RosterUser.tenant_id == context.tenant_id, RosterUser.username.in_(set(usernames))
            )
        )
    )
    groups_found = known_group_names(context, (link[1] for link in links))
    stored = _existing_links(context, usernames)
    plan = UpsertPlan(GroupMembership, ("tenant_id", "username", "group_name", "role"))
    outcomes: list[str] = []
    messages: list[list[str]] = []
    now = utcnow()
    for link in links:
        problems = []
        if link[0] not in users_found:
            problems.append(f"user_username: '{link[0]}' is not an existing user; import it first")
        if link[1] not in groups_found:
            problems.append(f"group_name: '{link[1]}' is not an existing group; import it first")
        if problems:
            outcomes.append(FAILED)
            messages.append(problems)
            continue
        outcomes.append(UNCHANGED if link in stored else CREATED)
        messages.append([])
        if link not in stored:
            plan.add(_link_row(context, link, now))
    return BatchResult(outcomes=outcomes, messages=messages, apply=plan.apply)


def write_new_user_links(context: BatchContext, frame: pl.DataFrame) -> BatchResult:
    """Create or update each user, then link it.

    A user named on several rows of a batch (linked to several groups) is written once, from
    its last row; every one of its rows shares that user's outcome and messages.
    """
    links = _links(frame)
    groups_found = known_group_names(context, (link[1] for link in links))
    outcomes = [FAILED] * len(links)
    messages: list[list[str]] = [[] for _ in links]
    with_group = [i for i, link in enumerate(links) if link[1] in groups_found]
    for i, link in enumerate(links):
        if link[1] not in groups_found:
            messages[i].append(f"group_name: '{link[1]}' is not an existing group; import it first")
    last_row = {links[i][0]: i for i in with_group}
    user_rows = sorted(last_row.values())
    planned_users = users.plan_users(context, frame[user_rows])
    user_result = {
        links[index][0]: (planned_users.outcomes[position], planned_users.messages[position])
        for position, index in enumerate(user_rows)
    }
    stored = _existing_links(context, list(last_row))
    plan = UpsertPlan(GroupMembership, ("tenant_id", "username", "group_name", "role"))
    now = utcnow()
    for index in with_group:
        link = links[index]
        user_outcome, user_messages = user_result[link[0]]
        messages[index].extend(user_messages)
        if user_outcome == FAILED:
            continue
        new_link = link not in stored
        if new_link:
            plan.add(_link_row(context, link, now))
            stored.add(link)
        # The row is created with its user; otherwise a new link or a changed user updates it.
        outcomes[index] = user_outcome if user_outcome != UNCHANGED else (UPDATED if new_link else UNCHANGED)
    return BatchResult(outcomes=outcomes, messages=messages, apply=apply_plans(planned_users.plan, plan))


LINK_EXISTING = register(
    ImportType(
        name="link-existing-user-to-groups",
        description="Give existing users a role in existing groups.",
        columns=(users.USERNAME, GROUP_NAME, GROUP_ROLE),
        key_columns=LINK_KEY,
        writer=write_existing_user_links,
    )
)

LINK_NEW = register(
    ImportType(
        name="link-new-user-to-groups",
        description="Create or update users and give them a role in existing groups.",
        columns=(
            users.USERNAME,
            users.NAME,
            users.PASSWORD,
            users.EMAIL_COLUMN,
            users.LANGUAGE,
            users.ACTIVE,
            GROUP_ROLE,
            GROUP_NAME,
            users.ORGANIZATION,
        ),
        key_columns=LINK_KEY,
        writer=write_new_user_links,
    )
)

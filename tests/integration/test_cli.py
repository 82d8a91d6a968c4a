"""The operator's CLI, run as a subprocess the way scripts run it: JSON out, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.support.graphql import error_codes

CLI = [str(Path(sys.executable).parent / "district-ppm")]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def district(settings) -> dict:
    slug = f"cli-{uuid.uuid4().hex[:8]}"
    created = run(
        "create-district",
        "--slug",
        slug,
        "--name",
        "CLI District",
        "--timezone",
        "America/New_York",
    )
    assert created.returncode == 0, created.stderr
    return {"slug": slug, **json.loads(created.stdout)}


async def test_create_district_prints_its_id_and_a_working_admin_token(district, gql):
    result = await gql(
        "{ me { role district { id slug timezone } } }", token=district["admin_token"]
    )

    assert result["data"]["me"] == {
        "role": "DISTRICT_ADMIN",
        "district": {
            "id": district["district_id"],
            "slug": district["slug"],
            "timezone": "America/New_York",
        },
    }


async def test_token_create_and_revoke(district, gql):
    created = run("token", "create", "--district", district["slug"], "--role", "VIEWER")
    assert created.returncode == 0, created.stderr
    issued = json.loads(created.stdout)
    assert (await gql("{ me { role } }", token=issued["token"]))["data"]["me"]["role"] == "VIEWER"

    revoked = run(
        "token", "revoke", "--district", district["slug"], "--token-id", issued["token_id"]
    )

    assert revoked.returncode == 0, revoked.stderr
    assert error_codes(await gql("{ me { role } }", token=issued["token"])) == ["UNAUTHENTICATED"]


def test_bad_input_exits_non_zero_with_the_reason_on_stderr(settings):
    bad_slug = run("create-district", "--slug", "Not A Slug", "--name", "X")
    bad_zone = run("create-district", "--slug", "zone-x", "--name", "X", "--timezone", "Mars/Base")
    no_district = run("token", "create", "--district", "no-such-district", "--role", "VIEWER")

    assert (bad_slug.returncode, bad_slug.stdout) == (2, "")
    assert "slug" in bad_slug.stderr
    assert bad_zone.returncode == 2 and "timezone" in bad_zone.stderr
    assert no_district.returncode == 2 and "no district" in no_district.stderr


def test_duplicate_slug_is_refused(district):
    again = run("create-district", "--slug", district["slug"], "--name", "Again")

    assert again.returncode == 2 and "exists" in again.stderr


async def test_member_add_gives_a_person_a_role_and_a_token(district, gql, admin_sessionmaker):
    from sqlalchemy import select

    from district_ppm.tenancy.models import Membership, User

    added = run(
        "member",
        "add",
        "--district",
        district["slug"],
        "--email",
        "Ana@Example.org",
        "--name",
        "Ana Ruiz",
        "--role",
        "PROCESS_OWNER",
    )
    again = run(
        "member",
        "add",
        "--district",
        district["slug"],
        "--email",
        "ana@example.org",
        "--role",
        "IMPROVEMENT_LEAD",
    )

    assert added.returncode == 0 and again.returncode == 0, added.stderr + again.stderr
    first, second = json.loads(added.stdout), json.loads(again.stdout)
    assert first["user_id"] == second["user_id"]
    me = await gql("{ me { role } }", token=second["token"])
    assert me["data"]["me"]["role"] == "IMPROVEMENT_LEAD"
    # The token issued with the old role stops working: it would still act as PROCESS_OWNER.
    stale = await gql("{ me { role } }", token=first["token"])
    assert [e["extensions"]["code"] for e in stale["errors"]] == ["UNAUTHENTICATED"]
    async with admin_sessionmaker() as session:
        user = await session.scalar(select(User).where(User.email == "ana@example.org"))
        roles = list(
            await session.scalars(select(Membership.role).where(Membership.user_id == user.id))
        )
    assert user.display_name == "Ana Ruiz" and [r.value for r in roles] == ["IMPROVEMENT_LEAD"]


async def test_operator_commands_leave_audit_events_in_the_district(admin_sessionmaker):
    from sqlalchemy import select

    from district_ppm.audit.models import AuditEvent

    slug = f"audit-{uuid.uuid4().hex[:8]}"
    created = json.loads(run("create-district", "--slug", slug, "--name", "Audited").stdout)
    issued = json.loads(run("token", "create", "--district", slug, "--role", "VIEWER").stdout)
    run("token", "revoke", "--district", slug, "--token-id", issued["token_id"])
    run("member", "add", "--district", slug, "--email", f"{slug}@example.org", "--role", "VIEWER")

    async with admin_sessionmaker() as session:
        events = (
            await session.execute(
                select(AuditEvent.action, AuditEvent.entity_id, AuditEvent.actor)
                .where(AuditEvent.district_id == uuid.UUID(created["district_id"]))
                .order_by(AuditEvent.created_at)
            )
        ).all()

    assert [action for action, _, _ in events] == [
        "cli:create-district",
        "cli:token-create",
        "cli:token-revoke",
        "cli:member-add",
    ]
    assert events[1][1] == events[2][1] == issued["token_id"]
    assert {actor for _, _, actor in events} == {"platform operator (cli)"}

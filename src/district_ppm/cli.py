"""district-ppm: the operator's command line. JSON on stdout, messages on stderr."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from district_ppm.config import Settings, get_settings
from district_ppm.errors import DomainError


def _positive(text: str) -> int:
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def _emit(payload: dict[str, Any]) -> None:
    json.dump(payload, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def _run_admin(settings: Settings, work: Callable[[Any], Awaitable[dict[str, Any]]]) -> None:
    """Run ``work(session)`` in one owner-role transaction (platform-operator commands)."""
    from district_ppm.db.engine import create_admin_engine, make_sessionmaker

    async def main() -> dict[str, Any]:
        engine = create_admin_engine(settings)
        try:
            async with make_sessionmaker(engine)() as session, session.begin():
                return await work(session)
        finally:
            await engine.dispose()

    _emit(asyncio.run(main()))


OPERATOR = "platform operator (cli)"


async def _audit(
    session: Any,
    district_id: uuid.UUID,
    action: str,
    entity_type: str,
    entity_id: uuid.UUID,
    **details: Any,
) -> None:
    """Operator commands change tenant data too: each leaves an audit event in its district,
    in the same transaction, like every mutation."""
    from district_ppm.audit.service import record_event

    await record_event(
        session=session,
        district_id=district_id,
        actor=OPERATOR,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        details={key: str(value) for key, value in details.items()},
    )


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> None:
    from district_ppm.db.bootstrap import migrate

    migrate(settings)
    print(f"database {settings.database_name} is at the newest revision", file=sys.stderr)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> None:
    import uvicorn

    # Several processes share the port (uvicorn's supervisor forks them): one Python
    # process serves about one core, and every request's state is in PostgreSQL and Redis.
    uvicorn.run(
        "district_ppm.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=settings.log_level.lower(),
        access_log=False,
    )


def cmd_worker(args: argparse.Namespace, settings: Settings) -> None:
    import logging

    from workers.main import run_worker

    logging.basicConfig(level=settings.log_level, stream=sys.stderr)
    run_worker(settings)


def cmd_create_district(args: argparse.Namespace, settings: Settings) -> None:
    from district_ppm.tenancy import service
    from district_ppm.tenancy.models import Role

    async def work(session: Any) -> dict[str, Any]:
        district = await service.create_district(
            session=session, slug=args.slug, name=args.name, timezone=args.timezone
        )
        row, token = await service.create_token(
            session=session,
            district_id=district.id,
            role=Role.DISTRICT_ADMIN,
            name="district admin (bootstrap)",
            ttl=timedelta(days=settings.token_ttl_days),
        )
        await _audit(
            session,
            district.id,
            "cli:create-district",
            "district",
            district.id,
            slug=district.slug,
            adminTokenId=row.id,
        )
        return {"district_id": district.id, "slug": district.slug, "admin_token": token}

    _run_admin(settings, work)


def cmd_token_create(args: argparse.Namespace, settings: Settings) -> None:
    from district_ppm.tenancy import service
    from district_ppm.tenancy.models import Role

    async def work(session: Any) -> dict[str, Any]:
        district = await service.get_district_by_slug(session=session, slug=args.district)
        row, token = await service.create_token(
            session=session,
            district_id=district.id,
            role=Role(args.role),
            name=args.name or f"{args.role.lower()} token",
            ttl=timedelta(days=args.days),
            school_ids=[uuid.UUID(s) for s in args.school],
        )
        await _audit(
            session,
            district.id,
            "cli:token-create",
            "api_token",
            row.id,
            role=row.role.value,
            name=row.name,
        )
        return {"token": token, "token_id": row.id, "role": row.role, "expires_at": row.expires_at}

    _run_admin(settings, work)


def cmd_token_revoke(args: argparse.Namespace, settings: Settings) -> None:
    from district_ppm.tenancy import service

    async def work(session: Any) -> dict[str, Any]:
        district = await service.get_district_by_slug(session=session, slug=args.district)
        row = await service.revoke_token(
            session=session, district_id=district.id, token_id=uuid.UUID(args.token_id)
        )
        await _audit(session, district.id, "cli:token-revoke", "api_token", row.id)
        return {"revoked": args.token_id}

    _run_admin(settings, work)


def cmd_member_add(args: argparse.Namespace, settings: Settings) -> None:
    from district_ppm.tenancy import service
    from district_ppm.tenancy.models import Role

    async def work(session: Any) -> dict[str, Any]:
        district = await service.get_district_by_slug(session=session, slug=args.district)
        membership, token = await service.add_member(
            session=session,
            district_id=district.id,
            email=args.email,
            display_name=args.name or args.email,
            role=Role(args.role),
            school_ids=[uuid.UUID(s) for s in args.school],
            ttl=timedelta(days=args.days),
        )
        await _audit(
            session,
            district.id,
            "cli:member-add",
            "membership",
            membership.id,
            userId=membership.user_id,
            role=membership.role.value,
        )
        return {
            "membership_id": membership.id,
            "user_id": membership.user_id,
            "role": membership.role,
            "token": token,
        }

    _run_admin(settings, work)


def cmd_seed_demo(args: argparse.Namespace, settings: Settings) -> None:
    from district_ppm.demo import seed_demo

    _emit(asyncio.run(seed_demo(settings)))


def cmd_export_schema(args: argparse.Namespace, settings: Settings) -> None:
    from district_ppm.api.sdl import SCHEMA_FILE, export_sdl

    SCHEMA_FILE.write_text(export_sdl())
    print(f"wrote {SCHEMA_FILE}", file=sys.stderr)


def cmd_contract(args: argparse.Namespace, settings: Settings) -> None:
    from district_ppm.api.sdl import contract_report

    report = contract_report()
    _emit(report)
    if report["conflicting"]:
        raise SystemExit(1)


ROLES = [
    "DISTRICT_ADMIN",
    "PROCESS_OWNER",
    "IMPROVEMENT_LEAD",
    "FINANCE_VALIDATOR",
    "SCHOOL_LEADER",
    "VIEWER",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="district-ppm", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("migrate", help="create the database and app role, apply migrations")
    serve = commands.add_parser("serve", help="serve the GraphQL and REST API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=_positive,
        default=os.environ.get("WEB_CONCURRENCY", "1"),
        help="API processes sharing the port (default: $WEB_CONCURRENCY or 1); one per core",
    )
    commands.add_parser("worker", help="run consumers, outbox relay and scheduler")

    district = commands.add_parser("create-district", help="create a district and its admin token")
    district.add_argument("--slug", required=True)
    district.add_argument("--name", required=True)
    district.add_argument("--timezone", default="America/Chicago")

    token = commands.add_parser("token", help="create or revoke API tokens")
    token_commands = token.add_subparsers(dest="token_command", required=True)
    create = token_commands.add_parser("create", help="issue a token (printed once)")
    create.add_argument("--district", required=True, help="district slug")
    create.add_argument(
        "--role",
        required=True,
        choices=[
            "DISTRICT_ADMIN",
            "PROCESS_OWNER",
            "IMPROVEMENT_LEAD",
            "FINANCE_VALIDATOR",
            "SCHOOL_LEADER",
            "VIEWER",
        ],
    )
    create.add_argument("--name")
    create.add_argument("--days", type=int, default=365, help="days until it expires")
    create.add_argument("--school", action="append", default=[], help="SCHOOL_LEADER's school id")
    revoke = token_commands.add_parser("revoke", help="revoke a token by id")
    revoke.add_argument("--district", required=True, help="district slug")
    revoke.add_argument("--token-id", required=True)

    member = commands.add_parser("member", help="people and their roles in a district")
    member_commands = member.add_subparsers(dest="member_command", required=True)
    add = member_commands.add_parser("add", help="give a person a role (and a token)")
    add.add_argument("--district", required=True, help="district slug")
    add.add_argument("--email", required=True)
    add.add_argument("--name", help="display name")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--days", type=int, default=365, help="days until the token expires")
    add.add_argument("--school", action="append", default=[], help="SCHOOL_LEADER's school id")

    commands.add_parser("seed-demo", help="load the demo district; prints a demo token")
    commands.add_parser("export-schema", help="write graphql/schema.graphql from the code")
    commands.add_parser("contract", help="report contract names missing from the schema")
    return parser


HANDLERS: dict[str, Callable[[argparse.Namespace, Settings], None]] = {
    "migrate": cmd_migrate,
    "serve": cmd_serve,
    "worker": cmd_worker,
    "create-district": cmd_create_district,
    "seed-demo": cmd_seed_demo,
    "export-schema": cmd_export_schema,
    "contract": cmd_contract,
}


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    settings = get_settings()
    handler: Callable[[argparse.Namespace, Settings], None]
    if args.command == "token":
        handler = cmd_token_create if args.token_command == "create" else cmd_token_revoke
    elif args.command == "member":
        handler = cmd_member_add
    else:
        handler = HANDLERS[args.command]
    try:
        handler(args, settings)
    except DomainError as error:
        print(f"error: {error.field + ': ' if error.field else ''}{error.message}", file=sys.stderr)
        raise SystemExit(2) from None
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()

"""A lean resolver answers as Strawberry's own: same arguments, permissions, errors."""

from __future__ import annotations

import enum
from datetime import date
from typing import Any

import pytest
import strawberry
from msgspec import to_builtins
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types import Info

from district_ppm.api.lean_resolvers import install_lean_resolvers


class Allow(BasePermission):
    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        info.context["seen"].append(sorted(kwargs))
        return True


class Refuse(BasePermission):
    message = "refused"

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return False


class Raise(BasePermission):
    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        raise PermissionError("raised by the permission")


class NotABool(BasePermission):
    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return 1  # type: ignore[return-value]


class AsyncRefuse(BasePermission):
    message = "refused later"

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return False


class AsyncAllow(BasePermission):
    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return True


@strawberry.enum
class View(enum.Enum):
    DASHBOARD = "DASHBOARD"
    SCOREBOARD = "SCOREBOARD"


@strawberry.input
class Filter:
    name: str


@strawberry.type
class Query:
    @strawberry.field(permission_classes=[Allow])
    async def echo(
        self,
        info: Info,
        measure_id: strawberry.ID,
        period_start: date,
        view: View = View.DASHBOARD,
        school_id: strawberry.ID | None = None,
        limit: int | None = None,
    ) -> str:
        return f"{measure_id} {period_start.isoformat()} {view.value} {school_id} {limit}"

    @strawberry.field(permission_classes=[Allow])
    async def no_info(self, name: str) -> str:
        return name.upper()

    @strawberry.field(permission_classes=[Allow, Refuse])
    async def refused(self) -> str:
        return "never"

    @strawberry.field(permission_classes=[Raise])
    async def raised(self) -> str:
        return "never"

    @strawberry.field(permission_classes=[NotABool])
    async def not_a_bool(self) -> str:
        return "never"

    @strawberry.field(permission_classes=[AsyncRefuse])
    async def async_refused(self) -> str:
        return "never"

    @strawberry.field(permission_classes=[AsyncAllow])
    async def async_allowed(self) -> str:
        return "yes"

    @strawberry.field(extensions=[PermissionExtension(permissions=[Refuse()], fail_silently=True)])
    async def silent(self) -> str | None:
        return "never"

    @strawberry.field(permission_classes=[Allow])
    async def fails(self) -> str:
        raise ValueError("the resolver failed")

    @strawberry.field(permission_classes=[Allow])
    async def filtered(self, filter: Filter) -> str:  # an input object: Strawberry's path
        return filter.name

    @strawberry.field(permission_classes=[Allow])
    def sync(self) -> str:  # a sync resolver: Strawberry's path
        return "sync"


QUERIES = [
    (
        "query($m: ID!, $p: Date!) { echo(measureId: $m, periodStart: $p) }",
        {"m": "abc", "p": "2024-09-01"},
    ),
    (
        "query($m: ID!, $p: Date!, $s: ID, $v: View!) "
        "{ echo(measureId: $m, periodStart: $p, schoolId: $s, view: $v, limit: 3) }",
        {"m": "abc", "p": "2024-09-01", "s": None, "v": "SCOREBOARD"},
    ),
    ('{ echo(measureId: "x", periodStart: "2024-01-31", schoolId: "y") noInfo(name: "a") }', {}),
    ("{ refused }", {}),
    ("{ raised }", {}),
    ("{ notABool }", {}),
    ("{ asyncRefused asyncAllowed }", {}),
    ("{ silent }", {}),
    ("{ fails }", {}),
    ('{ filtered(filter: {name: "n"}) sync }', {}),
]


def schemas() -> tuple[strawberry.Schema, strawberry.Schema]:
    lean = strawberry.Schema(query=Query)
    replaced = install_lean_resolvers(lean)
    # echo, noInfo, refused, raised, notABool, asyncRefused, asyncAllowed, silent, fails
    assert replaced == 9
    return strawberry.Schema(query=Query), lean


@pytest.mark.parametrize(("query", "variables"), QUERIES)
async def test_answers_as_strawberry(query: str, variables: dict[str, Any]) -> None:
    strawberry_schema, lean_schema = schemas()
    answers = []
    for schema in (strawberry_schema, lean_schema):
        seen: list[list[str]] = []
        result = await schema.execute(
            query, variable_values=variables, context_value={"seen": seen}
        )
        errors = [(e.message, e.path, e.extensions) for e in result.errors or []]
        answers.append((to_builtins(result.data), errors, seen))
    assert answers[0] == answers[1]


async def test_installed_only_where_it_answers_the_same() -> None:
    _, lean_schema = schemas()
    query_type = lean_schema._schema.query_type
    assert query_type is not None
    kept = {
        name
        for name, field in query_type.fields.items()
        if not field.resolve.__qualname__.startswith("lean_resolver")  # type: ignore[union-attr]
    }
    assert kept == {"filtered", "sync"}

"""The executor's shortcut for plain scalar fields answers exactly what graphql-core would."""

from __future__ import annotations

import asyncio
import enum
from datetime import date
from typing import Any

import msgspec
import pytest
import strawberry
from msgspec import to_builtins

from district_ppm.api.execution import ExecutionContext
from district_ppm.api.plain_completion import PLAIN_READ, NotPlain


@strawberry.enum
class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


@strawberry.type
class Row:
    name: str
    value: float
    rank: int
    color: Color
    day: date
    note: str | None
    broken: str  # a value the schema says is never null; rows below break that promise
    ident: strawberry.ID

    @strawberry.field
    def doubled(self) -> float:
        return self.value * 2

    @strawberry.field
    async def later(self) -> int:
        return self.rank + 1


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Tagged(Named):
    """Implements an interface: Strawberry gives it an ``is_type_of``."""

    tag: int


@strawberry.type
class Untagged:
    name: str
    tag: int


@strawberry.type
class Shelf:
    items: list[Tagged]  # a plain field: completed by one compiled expression


@strawberry.type
class Pair:
    left: Row
    right: Row | None
    strict: Row  # rows below break this promise too


def _known_size(box: Box) -> int:
    if box.size is None:
        raise NotPlain
    return box.size


@strawberry.type
class Box:
    rows: list[Row]
    maybe_rows: list[Row | None] | None
    numbers: list[float]
    grid: list[list[int | None]]
    size: strawberry.Private[int | None]

    @strawberry.field(metadata={PLAIN_READ: _known_size})
    def counted(self) -> int:
        return len(self.rows) if self.size is None else self.size


@strawberry.type
class Query:
    @strawberry.field
    async def boxes(self, broken: bool = False) -> list[Box]:
        rows = await Query.rows(self, broken=broken)  # type: ignore[call-arg]
        numbers = [1.5, float("nan") if broken else 2.0, 3, -1e308]
        if broken:
            numbers.append(float("-inf"))
        return [
            Box(
                rows=rows, maybe_rows=[rows[0], None], numbers=numbers, grid=[[1, None]], size=None
            ),  # type: ignore[list-item]
            Box(rows=rows[1:], maybe_rows=None, numbers=[], grid=[], size=7),
            Box(
                rows=(rows[2],),  # type: ignore[arg-type]
                maybe_rows=iter(rows),  # type: ignore[arg-type]
                numbers=[2**31],
                grid=[[2**31 if broken else 3], []],
                size=1,
            ),
        ]

    @strawberry.field
    async def pairs(self, broken: bool = False) -> list[Pair]:
        rows = await Query.rows(self, broken=broken)  # type: ignore[call-arg]
        return [
            Pair(left=rows[0], right=None, strict=rows[1]),
            Pair(left=rows[2], right=rows[1], strict=None if broken else rows[0]),  # type: ignore[arg-type]
        ]

    @strawberry.field
    async def shelves(self, broken: bool = False) -> list[Shelf]:
        # broken: one item of another type, which graphql-core refuses at its path.
        other = Untagged(name="stray", tag=9) if broken else Tagged(name="c", tag=3)
        items = [Tagged(name="a", tag=1), Tagged(name="b", tag=2), other]
        return [Shelf(items=items), Shelf(items=[])]  # type: ignore[list-item]

    @strawberry.field
    def awaitables(self) -> list[Untagged | None]:
        """Items a resolver left to be awaited: one an object, one None, one raising."""

        async def item(index: int) -> Untagged | None:
            await asyncio.sleep(0)
            if index == 2:
                raise ValueError("item failed")
            return None if index == 1 else Untagged(name=f"item {index}", tag=index)

        return [item(index) for index in range(3)]  # type: ignore[misc]

    @strawberry.field
    def exceptions(self) -> list[Untagged | None]:
        """An item that is an exception: graphql-core reports it at its path."""
        return [Untagged(name="a", tag=1), ValueError("not an item")]  # type: ignore[list-item]

    @strawberry.field
    def exception_object(self) -> Untagged | None:
        return ValueError("not an object")  # type: ignore[return-value]

    @strawberry.field
    async def rows(self, broken: bool = False) -> list[Row]:
        return [
            Row(
                name=f"school {i}",
                value=i / 3,
                rank=i,
                color=Color.RED if i % 2 else Color.GREEN,
                day=date(2026, 1, 1 + i),
                note=None if i % 2 else f"note {i}",
                broken=None if broken and i == 1 else "ok",  # type: ignore[arg-type]
                ident=strawberry.ID(f"id-{i}"),
            )
            for i in range(3)
        ]


DOCUMENTS = [
    "{ rows { name value rank color day note broken ident } }",
    "{ rows { a: name b: value name __typename doubled later } }",
    "query($skip: Boolean!) { rows { name @skip(if: $skip) rank @include(if: $skip) } }",
    "{ rows { ...F } } fragment F on Row { color note ... on Row { day } }",
    "{ rows(broken: true) { name broken } }",
    "{ rows(broken: true) { name note } }",
    "{ pairs { left { name later } right { name color } strict { rank } } }",
    "{ pairs(broken: true) { left { name } strict { rank } } }",
    "{ pairs(broken: true) { left { name } right { broken } } }",
    "{ pairs { a: left { __typename doubled } b: right { ... on Row { day } } } }",
    "{ boxes { counted numbers rows { name value } maybeRows { __typename rank color } } }",
    "{ boxes(broken: true) { rows { name broken } } }",
    "{ boxes(broken: true) { numbers } }",
    "{ boxes(broken: true) { counted maybeRows { note } } }",
    "{ boxes { grid a: rows { color } b: rows { color day } } }",
    "{ boxes(broken: true) { grid } }",
    "{ shelves { items { name tag __typename } } }",
    "{ shelves(broken: true) { items { name tag } } }",
    "{ shelves { items { ... on Named { name } ... on Tagged { tag } } } }",
    # Nothing read off the object: what is not one must still be refused.
    "{ awaitables { __typename } }",
    "{ awaitables { name tag } }",
    "{ exceptions { __typename } }",
    "{ exceptions { name } }",
    "{ exceptionObject { __typename } }",
    "{ rows { name } rows { rank } a: rows { __typename } }",
]


async def run(execution_context_class: Any, document: str) -> Any:
    schema = strawberry.Schema(query=Query, execution_context_class=execution_context_class)
    result = await schema.execute(document, variable_values={"skip": True})
    errors = [(e.message, e.path) for e in result.errors or []]
    return to_builtins(result.data), errors


async def wire(execution_context_class: Any, document: str) -> bytes:
    """The answer's data as the API sends it: msgspec's JSON, keys in their order."""
    schema = strawberry.Schema(query=Query, execution_context_class=execution_context_class)
    result = await schema.execute(document, variable_values={"skip": True})
    return msgspec.json.encode(result.data)


@pytest.mark.parametrize("document", DOCUMENTS)
async def test_the_shortcut_answers_what_graphql_core_answers(document):
    assert await run(ExecutionContext, document) == await run(None, document)
    # The same bytes on the wire: the compiled objects keep the selection's key order.
    assert await wire(ExecutionContext, document) == await wire(None, document)


async def test_a_null_in_a_non_null_field_is_still_an_error_at_its_path():
    data, errors = await run(ExecutionContext, "{ rows(broken: true) { name broken } }")

    assert data is None
    assert errors == [
        ("Cannot return null for non-nullable field Row.broken.", ["rows", 1, "broken"])
    ]


async def test_a_list_of_plain_rows_is_completed_without_executing_its_fields(monkeypatch):
    executed: list[str] = []
    execute_field = ExecutionContext.execute_field

    def counting(self: Any, parent_type: Any, *args: Any) -> Any:
        executed.append(f"{parent_type.name}.{args[1][0].node.name.value}")
        return execute_field(self, parent_type, *args)

    monkeypatch.setattr(ExecutionContext, "execute_field", counting)
    data, errors = await run(ExecutionContext, "{ boxes { counted rows { name value } } }")

    assert errors == []
    assert [len(box["rows"]) for box in data["boxes"]] == [3, 2, 1]
    # Only the resolver ran through graphql-core, and the one box whose count is not at hand.
    assert executed == ["Query.boxes", "Box.counted"]


def cached_schema() -> strawberry.Schema:
    """A schema whose parser cache hands every request of a text the same document, as the
    app's does: what lets compiled shortcuts be shared across requests."""
    from strawberry.extensions import ParserCache

    return strawberry.Schema(
        query=Query, execution_context_class=ExecutionContext, extensions=[ParserCache]
    )


async def test_objects_of_a_type_implementing_an_interface_are_completed_in_one_expression(
    monkeypatch,
):
    completed_objects: list[str] = []
    complete_object_value = ExecutionContext.complete_object_value

    def counting(self: Any, return_type: Any, *args: Any) -> Any:
        completed_objects.append(return_type.name)
        return complete_object_value(self, return_type, *args)

    monkeypatch.setattr(ExecutionContext, "complete_object_value", counting)
    data, errors = await run(ExecutionContext, "{ shelves { items { name tag } } }")

    assert errors == []
    assert data["shelves"][0]["items"] == [
        {"name": "a", "tag": 1},
        {"name": "b", "tag": 2},
        {"name": "c", "tag": 3},
    ]
    assert completed_objects == []  # the shelves and their items: none by graphql-core


async def test_a_resolvers_list_of_rows_is_completed_in_one_expression(monkeypatch):
    executed: list[str] = []
    completed_objects: list[str] = []
    execute_field = ExecutionContext.execute_field
    complete_object_value = ExecutionContext.complete_object_value

    def counting_fields(self: Any, parent_type: Any, *args: Any) -> Any:
        executed.append(f"{parent_type.name}.{args[1][0].node.name.value}")
        return execute_field(self, parent_type, *args)

    def counting_objects(self: Any, return_type: Any, *args: Any) -> Any:
        completed_objects.append(return_type.name)
        return complete_object_value(self, return_type, *args)

    monkeypatch.setattr(ExecutionContext, "execute_field", counting_fields)
    monkeypatch.setattr(ExecutionContext, "complete_object_value", counting_objects)
    data, errors = await run(ExecutionContext, "{ rows { name rank color day } }")

    assert errors == []
    assert data["rows"][1] == {"name": "school 1", "rank": 1, "color": "RED", "day": "2026-01-02"}
    assert executed == ["Query.rows"]  # the resolver; its three rows' fields: none
    assert completed_objects == []


async def test_a_documents_shortcuts_are_compiled_once_for_every_request(monkeypatch):
    from district_ppm.api import plain_completion

    compiled: list[str] = []
    field = plain_completion.Compiler.field

    def counting(self: Any, field_def: Any, details: Any) -> Any:
        compiled.append(details[0].node.name.value)
        return field(self, field_def, details)

    monkeypatch.setattr(plain_completion.Compiler, "field", counting)
    schema = cached_schema()
    document = "{ rows { name value } pairs { left { name } } }"

    first = await schema.execute(document)
    count = len(compiled)
    second = await schema.execute(document)

    assert first.errors is None and to_builtins(second.data) == to_builtins(first.data)
    assert count > 0 and len(compiled) == count  # the second request compiled nothing


async def test_a_selection_that_depends_on_the_variables_is_compiled_for_each_request():
    schema = cached_schema()
    document = "query($skip: Boolean!) { rows { name @skip(if: $skip) rank } }"

    skipped = await schema.execute(document, variable_values={"skip": True})
    kept = await schema.execute(document, variable_values={"skip": False})

    assert to_builtins(skipped.data) == {"rows": [{"rank": 0}, {"rank": 1}, {"rank": 2}]}
    kept_rows = [{"name": f"school {i}", "rank": i} for i in range(3)]
    assert to_builtins(kept.data) == {"rows": kept_rows}


@strawberry.type
class Link:
    name: str
    child: Link | None


@strawberry.type
class Chain:
    @strawberry.field
    async def chain(self, depth: int) -> Link | None:
        link = None
        for index in range(depth):
            link = Link(name=f"link {index}", child=link)
        return link


@pytest.mark.parametrize("depth", [3, 150])
async def test_a_selection_nested_too_deeply_for_one_expression_is_still_answered(depth):
    """A completer is one expression; Python refuses one nested about a hundred objects deep,
    and the levels below are then compiled as the full path reaches them."""
    document = (
        f"{{ chain(depth: {depth}) " + "{ name child " * depth + "{ name }" + " }" * depth + " }"
    )

    async def answer(execution_context_class: Any) -> Any:
        schema = strawberry.Schema(query=Chain, execution_context_class=execution_context_class)
        result = await schema.execute(document)
        return to_builtins(result.data), result.errors

    shortcut, full = await answer(ExecutionContext), await answer(None)
    assert shortcut == full
    assert full[1] is None and full[0]["chain"]["name"] == f"link {depth - 1}"


async def test_a_completer_too_deep_to_compile_is_not_compiled_again_for_each_request():
    """A document with a directive has its completers compiled per request; a source Python
    refused is remembered like one it compiled, not compiled again every time."""
    from district_ppm.api.plain_completion import _compiled

    depth = 150
    document = (
        f"{{ chain(depth: {depth}) @include(if: true) "
        + "{ name child " * depth
        + "{ name }"
        + " }" * depth
        + " }"
    )
    schema = strawberry.Schema(query=Chain, execution_context_class=ExecutionContext)
    first = await schema.execute(document)
    misses = _compiled.cache_info().misses
    again = await schema.execute(document)

    assert _compiled.cache_info().misses == misses
    assert to_builtins(again.data) == to_builtins(first.data) and again.errors is None

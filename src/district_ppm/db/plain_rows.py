"""Plain reads: statements of columns run as Core, their rows copied into NamedTuples (or
kept as the driver's records and read the same way: ``fetch_records``).

A SQLAlchemy ``Row`` finds a column by name only after Python's own attribute lookup has
failed: an AttributeError is built and dropped on every access, about half a microsecond.
A 200-row comparison reading six columns of each row paid more for that than for ranking
the rows. A NamedTuple reads a field at the speed of a tuple index; copying a row into one
costs about as much as a single named read of the ``Row``.

``execute_plain`` runs a select of columns on the session's connection, as Core: the ORM's
compile and loading steps only re-wrap the rows when no entity is selected (0.37 ms instead
of 0.55 for the comparison's 200 rows, 0.25 instead of 0.34 for the scorecard's, measured
with statements built once). Reads only: a Core statement does not autoflush the session.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache, partial
from operator import itemgetter
from typing import Any, NamedTuple, TypeVar

import asyncpg
from sqlalchemy import Dialect, Enum, Executable, Result, Select, String, TextualSelect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

R = TypeVar("R", bound=tuple[Any, ...])  # a NamedTuple class

# A select, or a text clause with its columns named (``text(...).columns(...)``).
ReadStatement = Select[*tuple[Any, ...]] | TextualSelect


async def execute_plain(
    session: AsyncSession, stmt: Executable, parameters: Mapping[str, Any] | None = None
) -> Result[Any]:
    """``stmt`` on the session's connection and transaction, as Core."""
    return await (await session.connection()).execute(stmt, parameters)


def check_columns(row_type: type[R], names: Sequence[str]) -> None:
    """The statement's column names must be the NamedTuple's fields, in order: a column
    added to one and not the other fails loudly, not by shifting every value."""
    fields = row_type._fields  # type: ignore[attr-defined]
    if tuple(names) != fields:
        raise TypeError(
            f"{row_type.__name__} has the fields {fields}; the statement selects {tuple(names)}"
        )


@lru_cache(maxsize=512)
def _row_type(names: tuple[str, ...]) -> type[tuple[Any, ...]]:
    return namedtuple("PlainRow", names)  # type: ignore[return-value]


class _DriverStatement(NamedTuple):
    """A select compiled once for the driver: its SQL, the order its parameters go in, and
    the conversion each result column needs (an enum's text to its member), which depends
    on the column types the server describes (asked once, by preparing the statement).

    Each conversion is SQLAlchemy's result processor, with a lookup run in C where one gives
    the same values (``_lookup``): the processor then only raises the error of a value the
    lookup lacks."""

    statement: ReadStatement  # kept alive: its id() is the cache key
    sql: str
    parameter_names: tuple[str, ...]
    fixed_values: dict[str, Any]  # parameters the statement carries (a LIMIT 1)
    bind_processors: tuple[Callable[[Any], Any] | None, ...]
    converters: tuple[tuple[int, Callable[[Any], Any], Callable[[Any], Any]], ...]


_driver_statements: dict[tuple[int, str], _DriverStatement] = {}


async def _for_driver(statement: ReadStatement, dialect: Dialect, driver: Any) -> _DriverStatement:
    key = (id(statement), dialect.name)
    found = _driver_statements.get(key)
    if found is not None and found.statement is statement:
        return found
    if len(_driver_statements) >= 512:  # statements are built once; a caller building them
        _driver_statements.clear()  # per request must not grow this without bound
    compiled = statement.compile(dialect=dialect)
    names = tuple(compiled.positiontup or ())
    if any(compiled.binds[name].expanding for name in names):
        raise TypeError("fetch_as runs statements of plain parameters (no IN lists)")
    sql = str(compiled)
    described = (await driver.prepare(sql)).get_attributes()
    converters = tuple(
        (index, _lookup(column.type, dialect, attribute.type.oid) or convert, convert)
        for index, (column, attribute) in enumerate(
            zip(statement.selected_columns, described, strict=True)
        )
        if (convert := column.type._cached_result_processor(dialect, attribute.type.oid))
        is not None
    )
    processors: Mapping[str, Any] = compiled._bind_processors
    fixed = {
        name: bind.effective_value
        for name, bind in compiled.binds.items()
        if bind.value is not None
    }
    found = _DriverStatement(
        statement,
        sql,
        names,
        fixed,
        tuple(processors.get(n) for n in names),
        converters,
    )
    _driver_statements[key] = found
    return found


def _lookup(column_type: Any, dialect: Dialect, oid: int) -> Callable[[Any], Any] | None:
    """What a non-native ``Enum``'s result processor does, as one dict lookup run in C: its
    text (or None) to its member (or None), a KeyError for any other value. A Python call per
    value was 180 calls for the scorecard's 30 rows of six enum columns. None for any other
    type, or an ``Enum`` whose string type converts the driver's value first."""
    impl = column_type.dialect_impl(dialect)
    if type(impl) is not Enum or String.result_processor(impl, dialect, oid) is not None:
        return None
    return impl._object_lookup.__getitem__  # type: ignore[no-any-return]


@contextmanager
def _reset_if_dropped(driver: Any) -> Iterator[None]:
    """A connection the server dropped is an error the request can replay (``api.schema``)."""
    try:
        yield
    except Exception as error:
        if driver.is_closed():
            raise ConnectionResetError("the database closed the connection") from error
        raise


async def fetch_as(
    session: AsyncSession,
    row_type: type[R],
    statement: ReadStatement,
    parameters: Mapping[str, Any],
) -> list[R]:
    """Every row of ``statement`` as a ``row_type``, fetched by the driver itself on the
    session's connection and transaction (``fetch_tuples``)."""
    check_columns(row_type, column_names(statement))
    return await _fetch(session, statement, parameters, partial(tuple.__new__, row_type))


async def fetch_records(
    session: AsyncSession,
    row_type: type[R],
    statement: ReadStatement,
    parameters: Mapping[str, Any],
) -> list[R]:
    """Every row of ``statement``, read as a ``row_type`` is (by field name or position) but
    not copied into one: asyncpg's own records, of a class whose fields are properties, an
    enum's text converted when its field is read. Copying a 200-row comparison's records
    into NamedTuples cost 0.1 ms, more than ranking them. Where ``fetch_as`` reads through
    SQLAlchemy instead (outside a begun transaction), the ``row_type``s themselves."""
    check_columns(row_type, column_names(statement))
    return await _fetch(
        session, statement, parameters, partial(tuple.__new__, row_type), records_read_as=row_type
    )


@lru_cache(maxsize=512)
def _record_class(
    row_type: type[tuple[Any, ...]], converters: tuple[tuple[int, Any, Any], ...]
) -> type[asyncpg.Record]:
    """A record class reading ``row_type``'s fields by name: each a property of the record's
    value at the field's position, converted as ``converters`` say (SQLAlchemy's result
    processors: an enum's member, or its error for a value the enum lacks)."""
    converted = {index: convert for index, _, convert in converters}

    def field(index: int) -> property:
        convert = converted.get(index)
        if convert is None:
            return property(itemgetter(index))
        return property(lambda record: convert(record[index]))

    fields = {name: field(index) for index, name in enumerate(row_type._fields)}  # type: ignore[attr-defined]
    return type(f"{row_type.__name__}Record", (asyncpg.Record,), {"__slots__": (), **fields})


async def fetch_tuples(
    session: AsyncSession, statement: ReadStatement, parameters: Mapping[str, Any]
) -> list[tuple[Any, ...]]:
    """Every row of ``statement`` as a plain tuple, fetched by the driver itself on the
    session's connection and transaction.

    SQLAlchemy's execution of a statement built once (its cache lookup, execution context,
    result and ``Row`` objects) cost 1.35 ms of CPU for the comparison's 200 rows; asyncpg
    fetching the same compiled SQL, rows copied column by column, 0.78. Only inside a
    transaction already begun (the tenant set): otherwise, and for any other driver, through
    ``execute_plain``. A connection the server dropped raises ``ConnectionResetError``, which
    ``db.tenancy.server_went_away`` knows (a read request replays on a new connection).
    The engine's ``before_cursor_execute`` listeners see the statement, as they see
    SQLAlchemy's (the tests count statements with them). Statements of plain parameters
    only (no expanding IN lists).
    """
    return await _fetch(session, statement, parameters, tuple)


async def fetch_plain(
    session: AsyncSession, statement: ReadStatement, parameters: Mapping[str, Any]
) -> list[Any]:
    """Every row of ``statement`` as a NamedTuple named by its columns (``plain_rows``),
    fetched by the driver itself (``fetch_tuples``)."""
    make = partial(tuple.__new__, _row_type(column_names(statement)))
    return await _fetch(session, statement, parameters, make)


@lru_cache(maxsize=512)
def column_names(statement: ReadStatement) -> tuple[str, ...]:
    return tuple(str(column.key) for column in statement.selected_columns)


def _bound_connection(session: AsyncSession) -> AsyncConnection | None:
    """The connection a session is bound to (the request's, ``api.request_transaction``),
    without asking the session: ``session.connection()`` begins the session's own
    transaction on it, which a read run by the driver does not need, and the request then
    pays for ending it (22 us to begin, 16 to close). The statement runs on the same
    connection and transaction either way."""
    bind = session.bind
    if isinstance(bind, AsyncConnection) and bind.sync_connection is not None:
        return bind
    return None


async def _fetch(
    session: AsyncSession,
    statement: ReadStatement,
    parameters: Mapping[str, Any],
    make: Callable[[Any], Any],
    records_read_as: type[tuple[Any, ...]] | None = None,
) -> list[Any]:
    connection = _bound_connection(session) or await session.connection()
    dialect = connection.dialect
    sync: Any = connection.sync_connection  # set: the connection was just acquired
    driver: Any = sync.connection.driver_connection
    if dialect.driver != "asyncpg" or not driver.is_in_transaction():
        return list(map(make, (await execute_plain(session, statement, parameters)).fetchall()))
    with _reset_if_dropped(driver):
        compiled = await _for_driver(statement, dialect, driver)
    given = {**compiled.fixed_values, **parameters} if compiled.fixed_values else parameters
    arguments = [
        given[name] if process is None else process(given[name])
        for name, process in zip(compiled.parameter_names, compiled.bind_processors, strict=True)
    ]
    for listener in sync.dispatch.before_cursor_execute:  # as SQLAlchemy's own execution does
        listener(sync, None, compiled.sql, arguments, None, False)
    if records_read_as is not None:
        record_class = _record_class(records_read_as, compiled.converters)
        with _reset_if_dropped(driver):
            return await driver.fetch(compiled.sql, *arguments, record_class=record_class)  # type: ignore[no-any-return]
    with _reset_if_dropped(driver):
        records = await driver.fetch(compiled.sql, *arguments)
    if not compiled.converters or not records:
        return list(map(make, records))
    # Column by column, each conversion a map over one column: no Python loop per row.
    columns = list(zip(*records, strict=True))
    for index, lookup, convert in compiled.converters:
        try:
            columns[index] = tuple(map(lookup, columns[index]))
        except KeyError:  # a value the enum lacks: its processor raises SQLAlchemy's error
            columns[index] = tuple(map(convert, columns[index]))
    return list(map(make, zip(*columns, strict=True)))

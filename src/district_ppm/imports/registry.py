"""Which import kinds exist, who may run them, and the function that writes each."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from district_ppm.db.unit_of_work import UnitOfWork
from district_ppm.imports.stream import CsvStream
from district_ppm.tenancy.models import Role

# (unit of work, the CSV body as it arrives) -> rows written. Raises ImportRejected on any bad
# row, having written nothing.
ImportFunction = Callable[[UnitOfWork, CsvStream], Awaitable[int]]


@dataclass(frozen=True, slots=True)
class ImportKind:
    name: str
    roles: frozenset[Role]
    run: ImportFunction


IMPORT_KINDS: dict[str, ImportKind] = {}


def register_import(name: str, *roles: Role) -> Callable[[ImportFunction], ImportFunction]:
    def decorate(run: ImportFunction) -> ImportFunction:
        IMPORT_KINDS[name] = ImportKind(name=name, roles=frozenset(roles), run=run)
        return run

    return decorate

"""Which import kinds exist, who may run them, and the function that writes each."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from district_ppm.api.context import UnitOfWork
from district_ppm.tenancy.models import Role

# (unit of work, decoded CSV text) -> rows written. Raises ImportRejected on any bad row.
# A streaming kind gets an imports.stream.CsvStream instead of the text.
ImportFunction = Callable[[UnitOfWork, Any], Awaitable[int]]


@dataclass(frozen=True, slots=True)
class ImportKind:
    name: str
    roles: frozenset[Role]
    run: ImportFunction
    streaming: bool = False


IMPORT_KINDS: dict[str, ImportKind] = {}


def register_import(
    name: str, *roles: Role, streaming: bool = False
) -> Callable[[ImportFunction], ImportFunction]:
    def decorate(run: ImportFunction) -> ImportFunction:
        IMPORT_KINDS[name] = ImportKind(
            name=name, roles=frozenset(roles), run=run, streaming=streaming
        )
        return run

    return decorate

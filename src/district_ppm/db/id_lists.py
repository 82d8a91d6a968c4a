"""A list of ids sent as one array parameter, not one parameter per id."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, any_, bindparam, literal
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import QueryableAttribute

_UUIDS = ARRAY(UUID(as_uuid=True))


def among(
    column: ColumnElement[Any] | QueryableAttribute[Any], ids: Iterable[uuid.UUID]
) -> ColumnElement[bool]:
    """``column = ANY(:ids)``, the ids one ``uuid[]`` parameter: the same rows as
    ``column.in_(ids)``, whose list SQLAlchemy renders and casts parameter by parameter each
    time the statement runs (an agenda over 300 measures sent 2,000 of them: 7 ms of CPU)."""
    return column == any_(literal(list(ids), _UUIDS))


def ids_param(name: str) -> BindParameter[Any]:
    """A ``uuid[]`` parameter of a statement built once: ``column == any_(ids_param("ids"))``
    (``among``'s list, given when the statement runs)."""
    return bindparam(name, type_=_UUIDS)

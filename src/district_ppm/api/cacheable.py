"""Which GraphQL documents the response cache may answer, read from the document itself.

Only queries (a mutation writes; a subscription streams), and among them only those whose
answer is a function of the district's data, the caller's role and school scope, and the
district's date. Two root fields are not:
- ``jobs`` reads the job queue, which the job runner's role moves (relaying, every half
  second) without moving any data version: never cached;
- ``myResponsibilities`` depends on whose token it is (the token's membership): cached per
  token. Not caching it would make a person's dashboard that polls it miss every time; per
  token it is safe, since the token is authenticated before the cache is asked, and what
  the answer reads (tokens, memberships, responsibilities) moves the version when written.
Every other root field answers the same to every token of one role and scope (``me`` is the
role and the district), so their entries are shared by those tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    parse,
)

NEVER_CACHED = frozenset({"jobs"})
PER_TOKEN = frozenset({"myResponsibilities"})

# Dashboards send documents of a few KB (graphql/operations/); a larger one is answered
# without the cache rather than kept in the document memo below.
MAX_QUERY_CHARS = 16_384


@dataclass(frozen=True, slots=True)
class CacheableQuery:
    per_token: bool  # the answer depends on the token, not only on its role and scope


def cacheable_query(
    query: str, operation_name: str | None, max_tokens: int
) -> CacheableQuery | None:
    """What the cache must know of the operation to run, or None when it must not answer it."""
    if len(query) > MAX_QUERY_CHARS:
        return None
    return _describe(query, operation_name, max_tokens)


@lru_cache(maxsize=1024)
def _describe(query: str, operation_name: str | None, max_tokens: int) -> CacheableQuery | None:
    try:
        document = parse(query, no_location=True, max_tokens=max_tokens)
    except GraphQLError:
        return None  # answered (with its error) by the GraphQL route
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1 or operations[0].operation is not OperationType.QUERY:
        return None
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    fields = _root_fields(operations[0].selection_set, fragments, set())
    if fields & NEVER_CACHED:
        return None
    return CacheableQuery(per_token=bool(fields & PER_TOKEN))


def _root_fields(
    selections: SelectionSetNode,
    fragments: dict[str, FragmentDefinitionNode],
    spread: set[str],
) -> set[str]:
    """The root fields an operation may select, through fragments, whatever its directives."""
    names: set[str] = set()
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            names.add(selection.name.value)
        elif isinstance(selection, InlineFragmentNode):
            names |= _root_fields(selection.selection_set, fragments, spread)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in fragments and name not in spread:  # a cycle is a validation error
                spread.add(name)
                names |= _root_fields(fragments[name].selection_set, fragments, spread)
    return names

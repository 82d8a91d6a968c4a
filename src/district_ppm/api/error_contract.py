"""Translates every GraphQL error, once, into the contract's shape.

- DomainError raised anywhere: its code and field pass through.
- Errors from graphql-core itself (syntax, validation, variable coercion): BAD_INPUT with the
  input path when one can be read off the error, or LIMIT_EXCEEDED for the token limit.
- Anything else is an internal error: logged with the request id and masked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import structlog
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from district_ppm.api.context import lost_connection
from district_ppm.db.tenancy import server_went_away
from district_ppm.errors import DomainError
from graphql import ArgumentNode, DocumentNode, GraphQLError, VariableNode, Visitor, visit

log = structlog.get_logger(__name__)

# graphql-core 3.3: "Variable '$input' has invalid value at .values[3].value: ..."
_VARIABLE_ERROR = re.compile(
    r"^Variable '\$(?P<name>\w+)' (?:has|got) invalid value(?: at (?P<path>[^:\s]+))?"
)
_INDEX = re.compile(r"\[(\d+)\]")
INTERNAL_MESSAGE = "Internal server error; it has been logged."


def _argument_names(document: DocumentNode | None) -> dict[str, str]:
    """Variable name -> the argument it is passed to (``$i`` used as ``input: $i``)."""
    names: dict[str, str] = {}
    if document is None:
        return names

    class _Arguments(Visitor):
        def enter_argument(self, node: ArgumentNode, *_args: object) -> None:
            if isinstance(node.value, VariableNode):
                names.setdefault(node.value.name.value, node.name.value)

    visit(document, _Arguments())
    return names


def _field_from_variable_error(message: str, document: DocumentNode | None) -> str | None:
    match = _VARIABLE_ERROR.match(message)
    if not match:
        return None
    name = match.group("name")
    # Report the path of the input as the schema names it, whatever the client called $vars.
    root = _argument_names(document).get(name, name)
    return _INDEX.sub(r".\1", root + (match.group("path") or ""))


def apply_contract(
    error: GraphQLError, document: DocumentNode | None = None, *, log_internal: bool = True
) -> None:
    """Give ``error`` the contract's extensions, in place (Strawberry returns some error lists,
    such as parse errors, without passing them through the result we could replace)."""
    original = error.original_error
    if isinstance(original, DomainError):
        error.extensions = original.extensions
    elif original is not None and not isinstance(original, GraphQLError):
        if log_internal:
            log.error("graphql.internal_error", path=error.path, exc_info=original)
        error.message = INTERNAL_MESSAGE
        error.original_error = None
        error.extensions = {"code": "INTERNAL"}
    elif error.extensions and "code" in error.extensions:
        return
    elif "tokens" in error.message and "Parsing aborted" in error.message:
        error.extensions = {"code": "LIMIT_EXCEEDED"}
    else:
        extensions = {"code": "BAD_INPUT"}
        field = _field_from_variable_error(error.message, document)
        if field:
            extensions["field"] = field
        error.extensions = extensions


def _replayed(context: ExecutionContext) -> bool:
    """Whether ``api.schema.Schema.execute`` will run this operation again (once only: a
    replay that fails too is an internal error, logged as one)."""
    has_transaction = getattr(context.context, "transaction", None) is not None
    replaying = getattr(context.context, "replaying", False)
    return has_transaction and not replaying and context.operation_type is OperationType.QUERY


class ErrorContract(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        try:
            yield
        except GraphQLError as error:
            # Errors raised inside other extensions' hooks (a parse error from ParserCache)
            # pass through here as exceptions before Strawberry turns them into a result.
            apply_contract(error, None)
            raise
        context = self.execution_context
        errors = list(context.pre_execution_errors or [])
        if context.result is not None and context.result.errors:
            errors += context.result.errors
        for each in errors:
            if each.original_error is not None and server_went_away(each.original_error):
                # Before the contract hides the cause: a query runs again (api.schema).
                lost_connection(context.context)
                if _replayed(context):
                    log.warning("graphql.connection_lost_replaying", path=each.path)
                    apply_contract(each, context.graphql_document, log_internal=False)
                    continue
            apply_contract(each, context.graphql_document)

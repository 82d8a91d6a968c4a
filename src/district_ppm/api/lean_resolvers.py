"""Async fields guarded only by permission classes, resolved without Strawberry's wrapper chain.

For every such field (each root read of the API) Strawberry's resolver builds, per call, a
partial per field extension folded with ``reduce``, two closures, a converted copy of the
arguments through ``convert_argument``'s type dispatch, and ``await_maybe`` twice around the
permission check and the resolver. When a field's arguments are all scalars or enums (which
Strawberry passes through unchanged, only renamed) and its one field extension is the
``PermissionExtension`` that ``permission_classes`` adds, the same steps fit in one coroutine
built once per field: the same ``Info``, the same renamed arguments, each permission asked as
Strawberry asks it (a permission that answers anything but ``True`` is judged by Strawberry's
own rules, with its errors), then the resolver with the same arguments. Any other field
(input objects, lists, field extensions of other kinds, exception handlers, sync resolvers)
keeps Strawberry's resolver.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from typing import Any

import strawberry
from strawberry.exceptions import PermissionReturnedNonBooleanError
from strawberry.permission import PermissionExtension
from strawberry.relay.types import GlobalID
from strawberry.scalars import is_scalar
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.base import StrawberryOptional
from strawberry.types.enum import StrawberryEnumDefinition, has_enum_definition
from strawberry.types.field import StrawberryField
from strawberry.utils.await_maybe import await_maybe

from graphql import GraphQLObjectType, GraphQLResolveInfo

Resolver = Callable[..., Coroutine[Any, Any, Any]]


def install_lean_resolvers(schema: strawberry.Schema) -> int:
    """Replace the resolver of every eligible field of ``schema``; how many were replaced."""
    converter = schema.schema_converter
    handlers = getattr(converter, "_exception_handler_specs", None)
    if handlers is None or handlers:  # exception handlers wrap resolvers: Strawberry's path
        return 0
    replaced = 0
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType):
            continue
        for graphql_field in graphql_type.fields.values():
            field = graphql_field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if not isinstance(field, StrawberryField):
                continue
            lean = lean_resolver(field, schema)
            if lean is not None:
                graphql_field.resolve = lean
                replaced += 1
    return replaced


def _passes_through(type_: Any, converter: GraphQLCoreConverter) -> bool:
    """Whether ``convert_argument`` returns a value of ``type_`` as given: a scalar (not a
    GlobalID, which it decodes) or an enum, optional or not."""
    if isinstance(type_, StrawberryOptional) and type(type_) is StrawberryOptional:
        type_ = type_.of_type  # not StrawberryMaybe (a subclass), which wraps in Some
    if type_ is GlobalID:
        return False
    return (
        is_scalar(type_, converter.scalar_registry)
        or isinstance(type_, StrawberryEnumDefinition)
        or has_enum_definition(type_)
    )


def lean_resolver(field: StrawberryField, schema: strawberry.Schema) -> Resolver | None:
    """The lean resolver of ``field``, or None when it must keep Strawberry's."""
    converter = schema.schema_converter
    resolver = field.base_resolver
    if (
        resolver is None
        or not inspect.iscoroutinefunction(resolver._unbound_wrapped_func)
        or resolver.parent_parameter is not None
        or resolver.root_parameter is not None
        # Strawberry takes the info back out of the arguments by the name "info" only.
        or (resolver.info_parameter is not None and resolver.info_parameter.name != "info")
        or len(field.extensions) != 1
        or type(field.extensions[0]) is not PermissionExtension
        or not all(_passes_through(argument.type, converter) for argument in field.arguments)
    ):
        return None
    extension: PermissionExtension = field.extensions[0]
    permissions = tuple(extension.permissions)
    names = tuple(
        (converter.config.name_converter.from_argument(argument), argument.python_name)
        for argument in field.arguments
    )
    info_class = converter.config.info_class
    takes_self = resolver.self_parameter is not None
    takes_info = resolver.info_parameter is not None
    # StrawberryResolver.__call__ calls it; taken once, as the field is built once.
    call = resolver.wrapped_func if callable(resolver.wrapped_func) else resolver.__call__

    async def resolve(_source: Any, info: GraphQLResolveInfo, **given: Any) -> Any:
        strawberry_info = info_class(_raw_info=info, _field=field)
        kwargs = {python: given[name] for name, python in names if name in given}
        for permission in permissions:
            allowed = permission.has_permission(_source, strawberry_info, **kwargs)
            if allowed is True:
                continue
            # As PermissionExtension.resolve_async judges any other answer.
            allowed = await await_maybe(allowed)
            if not isinstance(allowed, bool):
                if inspect.iscoroutine(allowed):
                    allowed.close()
                raise PermissionReturnedNonBooleanError(permission, allowed)
            if not allowed:
                return extension._on_unauthorized(permission)
        if takes_info:
            kwargs["info"] = strawberry_info
        if takes_self:
            return await call(_source, **kwargs)
        return await call(**kwargs)

    resolve._is_default = False  # type: ignore[attr-defined]  # as Strawberry marks it
    return resolve

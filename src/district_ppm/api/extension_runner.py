"""Strawberry's extension hooks, entered without rebuilding them on every operation.

For each phase of an operation (operation, parsing, validation, execution) Strawberry looks
up every extension's hook, wraps each one it finds with ``contextlib.contextmanager`` (a new
decorated function per request) and enters them on an exit stack: 16 lookups and four
stacks per request, a tenth of a ``{ __typename }`` request's Strawberry time. Which hooks a
set of extension classes defines does not change, so it is worked out once per set here, and
a phase with one hook that is a plain generator (every hook of this schema) is entered as
``contextlib.contextmanager`` would enter it, with no stack around it; a phase without hooks
enters nothing. A phase with several hooks, or a hook of another kind (async, a plain
callable), is Strawberry's own manager, unchanged.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable, Generator
from typing import Any, Literal

from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import (
    ExecutingContextManager,
    ExtensionContextManagerBase,
    OperationContextManager,
    ParsingContextManager,
    ValidationContextManager,
)
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext
from strawberry.utils.await_maybe import await_maybe

Hook = Callable[[SchemaExtension], Generator[None, None, None]]
# Per phase: (index of the extension, its hook) for each hook, or None when a hook is not a
# plain generator function (Strawberry's manager handles those).
Plan = dict[str, tuple[tuple[int, Hook], ...] | None]

_PHASES = ("on_operation", "on_parse", "on_validate", "on_execute")
_PLANS: dict[tuple[type, ...], tuple[Plan, tuple[int, ...]]] = {}


class _OneHook(contextlib._GeneratorContextManager[None]):
    """One generator hook, entered and left exactly as ``contextlib.contextmanager`` does,
    from ``async with`` too (Strawberry's async path)."""

    async def __aenter__(self) -> None:
        return self.__enter__()

    async def __aexit__(self, *exc_info: Any) -> bool | None:
        return self.__exit__(*exc_info)


class _NoHooks:
    """A phase no extension hooks into."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info: Any) -> Literal[False]:
        return False

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc_info: Any) -> Literal[False]:
        return False


_NO_HOOKS = _NoHooks()


def _plan(types: tuple[type, ...]) -> tuple[Plan, tuple[int, ...]]:
    """Each phase's hooks for extensions of ``types``, and which ones report results."""
    found = _PLANS.get(types)
    if found is not None:
        return found
    plan: Plan = {}
    for phase in _PHASES:
        default = getattr(SchemaExtension, phase)
        hooks = tuple(
            (index, getattr(type_, phase))
            for index, type_ in enumerate(types)
            if getattr(type_, phase) is not default
        )
        plain = all(inspect.isgeneratorfunction(hook) for _, hook in hooks)
        plan[phase] = hooks if plain else None
    reporting = tuple(
        index
        for index, type_ in enumerate(types)
        if type_.get_results is not SchemaExtension.get_results  # type: ignore[attr-defined]
    )
    _PLANS[types] = (plan, reporting)
    return plan, reporting


class LeanExtensionsRunner(SchemaExtensionsRunner):
    def __init__(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> None:
        super().__init__(execution_context, extensions)
        self._plan, self._reporting = _plan(tuple(map(type, self.extensions)))

    def _phase(self, phase: str, strawberry: type[ExtensionContextManagerBase]) -> Any:
        hooks = self._plan[phase]
        if hooks is None or len(hooks) > 1:
            return strawberry(self.extensions)
        if not hooks:
            return _NO_HOOKS
        index, hook = hooks[0]
        return _OneHook(hook, (self.extensions[index],), {})

    def operation(self) -> OperationContextManager:
        return self._phase("on_operation", OperationContextManager)  # type: ignore[no-any-return]

    def parsing(self) -> ParsingContextManager:
        return self._phase("on_parse", ParsingContextManager)  # type: ignore[no-any-return]

    def validation(self) -> ValidationContextManager:
        return self._phase("on_validate", ValidationContextManager)  # type: ignore[no-any-return]

    def executing(self) -> ExecutingContextManager:
        return self._phase("on_execute", ExecutingContextManager)  # type: ignore[no-any-return]

    async def get_extensions_results(self, ctx: ExecutionContext) -> dict[str, Any]:
        # An extension that does not override ``get_results`` reports ``{}``: skipped.
        data: dict[str, Any] = {}
        for index in self._reporting:
            data.update(await await_maybe(self.extensions[index].get_results()))
        data.update(ctx.extensions_results)
        return data

"""The published SDL and its comparison with the public contract.

The contract is kept inside the repository (``graphql/contract.graphql``), so a clone checks
the schema against it with nothing beside it; ``DISTRICT_PPM_CONTRACT`` points elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from district_ppm.config import PROJECT_ROOT, Settings
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
)

SCHEMA_FILE = PROJECT_ROOT / "graphql" / "schema.graphql"
CONTRACT_FILE = Path(
    os.environ.get("DISTRICT_PPM_CONTRACT", PROJECT_ROOT / "graphql" / "contract.graphql")
)


def export_sdl() -> str:
    from district_ppm.api.schema import build_schema as build_app_schema

    schema = build_app_schema(Settings(graphql_introspection=True))
    return schema.as_str() + "\n"


def compare(contract: GraphQLSchema, ours: GraphQLSchema) -> dict[str, list[str]]:
    """Contract names missing from ``ours``, and those present with another type."""
    missing: list[str] = []
    conflicting: list[str] = []
    for name, ctype in contract.type_map.items():
        if name.startswith("__"):
            continue
        otype = ours.type_map.get(name)
        if otype is None:
            missing.append(name)
            continue
        if type(otype) is not type(ctype):
            conflicting.append(f"{name}: {type(ctype).__name__} in the contract")
            continue
        if isinstance(ctype, GraphQLEnumType):
            missing += [f"{name}.{v}" for v in ctype.values if v not in otype.values]  # type: ignore[attr-defined]
        if isinstance(ctype, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            for field_name, cfield in ctype.fields.items():
                ofield = otype.fields.get(field_name)  # type: ignore[attr-defined]
                path = f"{name}.{field_name}"
                if ofield is None:
                    missing.append(path)
                    continue
                if str(ofield.type) != str(cfield.type):
                    conflicting.append(f"{path}: {ofield.type}, contract says {cfield.type}")
                for arg_name, carg in getattr(cfield, "args", {}).items():
                    oarg = ofield.args.get(arg_name)
                    if oarg is None:
                        missing.append(f"{path}({arg_name})")
                    elif str(oarg.type) != str(carg.type):
                        conflicting.append(
                            f"{path}({arg_name}): {oarg.type}, contract says {carg.type}"
                        )
    return {"missing": sorted(missing), "conflicting": sorted(conflicting)}


def contract_report() -> dict[str, Any]:
    contract = build_schema(CONTRACT_FILE.read_text())
    ours = build_schema(export_sdl())
    result = compare(contract, ours)
    return {"contract": str(CONTRACT_FILE), **result}

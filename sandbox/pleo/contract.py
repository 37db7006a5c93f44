"""The Pleo contract as data: the subset OpenAPI document and strict schema validators built from it.

`pleo-subset.openapi.yaml` here is a copy of /work/shared/pleo-api/ (the conformance tests check that the
two stay identical). Request bodies are checked against the strict reading of the contract, the same one
validate.py applies to the examples: no undeclared properties, and "One of <Enum>" strings must hold a
value of that enum.
"""
import copy
import functools
import re
from pathlib import Path

import yaml
from openapi_schema_validator import OAS30Validator, oas30_format_checker

__all__ = ["SPEC_PATH", "spec", "strict_components", "schema_errors", "response_schema_name"]

SPEC_PATH = Path(__file__).resolve().parent / "pleo-subset.openapi.yaml"
_ONE_OF = re.compile(r"^One of (\w+)\.")


@functools.cache
def spec() -> dict:
    # libyaml's loader when PyYAML has it (its wheels do): a tenth of the time, in every process that serves Pleo.
    return yaml.load(SPEC_PATH.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def strict_components(components: dict) -> dict:
    """The components with additionalProperties closed and documented enums enforced (as validate.py)."""
    comps = copy.deepcopy(components)
    schemas = comps["schemas"]

    def walk(node):
        if isinstance(node, dict):
            if "properties" in node and "additionalProperties" not in node:
                node["additionalProperties"] = False
            for prop in node.get("properties", {}).values():
                match = _ONE_OF.match(prop.get("description", "") or "")
                if match and prop.get("type") == "string" and "enum" not in prop:
                    prop["enum"] = list(schemas[match.group(1)]["enum"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schemas)
    return comps


@functools.cache
def _strict() -> dict:
    return strict_components(spec()["components"])


@functools.cache
def _lenient_batch() -> dict:
    # The batch endpoint reports too long or empty names per item (reasons[]), so lengths are left to it.
    comps = copy.deepcopy(_strict())
    for prop in comps["schemas"]["BookkeepingAccountBatchRequestItemV1"]["properties"].values():
        prop.pop("minLength", None)
        prop.pop("maxLength", None)
    return comps


@functools.cache
def _validator(target: str, strict: bool, variant: str = "") -> OAS30Validator:
    if target.startswith("[]"):
        root = {"type": "array", "items": {"$ref": "#/components/schemas/" + target[2:]}}
    else:
        root = {"$ref": "#/components/schemas/" + target}
    if variant == "batch":
        root["components"] = _lenient_batch()
    else:
        root["components"] = _strict() if strict else spec()["components"]
    return OAS30Validator(root, format_checker=oas30_format_checker)


def schema_errors(instance, target: str, *, strict: bool = True, variant: str = "") -> list[str]:
    """Readable problems of `instance` against schema `target` ("[]Name" for an array of Name)."""
    errors = sorted(_validator(target, strict, variant).iter_errors(instance), key=lambda e: list(e.path))
    return [f"/{'/'.join(str(p) for p in err.path)}: {err.message[:300]}" for err in errors]


def response_schema_name(path: str, method: str, status: int) -> str | None:
    """The schema the contract declares for this operation's response, or None when it declares no body.

    `default` applies to successful answers only; error answers without a declared body are ExceptionInfo.
    """
    op = spec()["paths"][path][method.lower()]
    responses = op["responses"]
    response = responses.get(str(status))
    if response is None and 200 <= status < 300:
        response = responses.get("default")
    if response is None:
        return "ExceptionInfo" if status >= 400 else None
    content = response.get("content") or {}
    for media in content.values():
        schema = (media or {}).get("schema") or {}
        ref = schema.get("$ref")
        if ref:
            return ref.rsplit("/", 1)[-1]
        if schema.get("type") == "array":
            return "[]" + schema["items"]["$ref"].rsplit("/", 1)[-1]
    return "ExceptionInfo" if status >= 400 else None

"""The OpenAPI 3 document, generated from the operations and their pydantic schemas."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from .framework import OPERATIONS, has_address

ERROR_STATUSES = {
    "400": "malformed request or bad query",
    "401": "no or bad token",
    "403": "role may not do this",
    "404": "unknown id in the path",
    "409": "uniqueness clash, or a change that would leave no active supervisor",
    "413": "body over 1 MiB",
    "422": "a field fails validation",
    "503": "the database is not answering; retry after the Retry-After seconds",
}
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "field"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "field": {"type": ["string", "null"]},
            },
        }
    },
}
_PATH_PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>")
REF = "#/components/schemas/{model}"
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": "the ETag of the version read: saved over only if it is still that one",
    "schema": {"type": "string"},
}
ETAG = {"ETag": {"description": "the version shown", "schema": {"type": "string"}}}
LOCATION = {
    "Location": {"description": "the address of what was created", "schema": {"type": "string"}}
}
PRECONDITION_FAILED = "If-Match names a version changed since"


def _path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    parameters = []
    for converter, name in _PATH_PARAMETER.findall(rule):
        schema = {"type": "integer", "minimum": 1} if converter == "int" else {"type": "string"}
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    return _PATH_PARAMETER.sub(r"{\2}", rule), parameters


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(mode="validation")
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": prop}
        for name, prop in schema["properties"].items()
    ]


def document(prefix: str) -> dict[str, Any]:
    """Return the OpenAPI 3.1 document of every operation under `prefix`."""
    models: set[tuple[type[BaseModel], JsonSchemaMode]] = {
        (op.body, "validation") for op in OPERATIONS if op.body
    }
    models |= {(op.returns, "serialization") for op in OPERATIONS if op.returns}
    keys, definitions = models_json_schema(
        sorted(models, key=lambda m: m[0].__name__), ref_template=REF
    )
    schemas = {"Error": ERROR_SCHEMA, **definitions.get("$defs", {})}
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        path, parameters = _path(prefix + op.rule)
        if op.query is not None:
            parameters += _query_parameters(op.query)
        responses: dict[str, Any] = {}
        if op.returns is not None:
            success_schema = keys[(op.returns, "serialization")]
            responses[str(op.status)] = {
                "description": "success",
                "content": {op.media_type: {"schema": success_schema}},
            }
        elif op.media_type != "application/json":
            responses[str(op.status)] = {
                "description": "success",
                "content": {op.media_type: {"schema": {"type": "string"}}},
            }
        else:
            responses[str(op.status)] = {"description": "done"}
        headers = ETAG if op.etag else {}
        if op.status == 201 and has_address(op.rule):
            headers = headers | LOCATION
        if headers:
            responses[str(op.status)]["headers"] = headers
        errors = dict(ERROR_STATUSES)
        if op.if_match:
            parameters.append(IF_MATCH)
            errors["412"] = PRECONDITION_FAILED
        for status, description in sorted(errors.items()):
            responses[status] = {
                "description": description,
                "content": {"application/json": {"schema": {"$ref": REF.format(model="Error")}}},
            }
        operation: dict[str, Any] = {
            "operationId": op.name,
            "summary": op.summary,
            "parameters": parameters,
            "responses": responses,
        }
        if op.access != "public":
            operation["security"] = [{"bearer": []}]
        if op.body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": keys[(op.body, "validation")]}},
            }
        paths.setdefault(path, {})[op.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "LEAD hotline API", "version": "1"},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }

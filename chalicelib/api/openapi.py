"""The API's description as an OpenAPI 3.1 document, served at ``GET /openapi.json``.

Generated from the app's registered routes: each is declared once, with chalicelib.api.http.Routes,
and carries its permission, summary, tag, query parameters, request body and answers (RouteDoc).
Request bodies are the services' own pydantic models; answers are chalicelib.api.schemas' models;
path parameters are chalicelib.api.parameters'. The guideline document is described from the
guideline's own models (its rules a discriminated union by type).

Light on purpose, like the rest of the API's imports: no image stack, no storage adapters.
"""

from __future__ import annotations

import copy
import functools
import re
from typing import Any

from pydantic import BaseModel, TypeAdapter

from chalicelib.api import schemas
from chalicelib.api.http import JSON, RouteDoc
from chalicelib.api.parameters import PATH_PARAMETERS
from chalicelib.core.auth import PERMISSIONS
from chalicelib.core.guideline import NAMED_ZONES, RULE_TYPES, Guideline

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"
REF = "#/components/schemas/{model}"

Schema = dict[str, Any]


def ref(name: str) -> Schema:
    return {"$ref": REF.format(model=name)}


# --- schemas from pydantic ------------------------------------------------------------------------


def _add(into: dict[str, Schema], name: str, schema: Schema) -> None:
    if name in into and into[name] != schema:
        raise ValueError(f"two different schemas are named {name!r}")
    into[name] = schema


def _hoist(schema: Schema, into: dict[str, Schema], name: str) -> None:
    """Put a pydantic model's schema, and the models it uses ($defs), into ``into``."""
    schema = copy.deepcopy(schema)
    for def_name, definition in schema.pop("$defs", {}).items():
        _add(into, def_name, definition)
    _add(into, name, schema)


def _tidy(node: Any) -> Any:
    """An answer's schema as the document shows it: no generated titles, no ``default: null``
    (a field that may be absent), and a component named by ``schemas.COMPONENT`` referenced."""
    if isinstance(node, list):
        return [_tidy(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: Schema = {}
    if schemas.COMPONENT in node:
        out.update(ref(node[schemas.COMPONENT]))
    for key, value in node.items():
        if key == schemas.COMPONENT or (key == "title" and isinstance(value, str)) or (key == "default" and value is None):
            continue
        out[key] = {name: _tidy(s) for name, s in value.items()} if key in ("properties", "$defs") else _tidy(value)
    return out


def _schema(declared: Any, into: dict[str, Schema], answer: bool) -> Schema:
    """The schema of a declared body or answer: a pydantic model (a component of its name), any type
    pydantic describes (inline, the models it uses as components), or a schema written out."""
    if isinstance(declared, dict):
        return copy.deepcopy(declared)
    if isinstance(declared, type) and issubclass(declared, BaseModel):
        generated = declared.model_json_schema(ref_template=REF)
        _hoist(_tidy(generated) if answer else generated, into, declared.__name__)
        return ref(declared.__name__)
    generated = TypeAdapter(declared).json_schema(ref_template=REF)
    if answer:
        generated = _tidy(generated)
    for def_name, definition in generated.pop("$defs", {}).items():
        _add(into, def_name, definition)
    return generated


def _guideline_schemas(into: dict[str, Schema]) -> None:
    """The guideline document: its header from Guideline, each rule from its type's model. A rule's
    zone is a named zone or a box (the models accept the name and store both)."""
    rule_refs = []
    for rule_type, model in RULE_TYPES.items():
        schema = model.model_json_schema(ref_template=REF)
        schema["properties"]["zone"] = {
            "anyOf": [{"type": "string", "enum": list(NAMED_ZONES)}, ref("Zone"), {"type": "null"}],
            "default": None,
            "description": "where in the photo the rule looks: a named zone or {box: [left, top, right, bottom]} "
            "(shares of the photo); answers hold the object form",
        }
        _hoist(schema, into, model.__name__)
        rule_refs.append((rule_type, model.__name__))
    guideline = Guideline.model_json_schema(ref_template=REF)
    guideline.pop("$defs", None)
    guideline["properties"]["rules"] = {
        "type": "array",
        "minItems": 1,
        "description": "rule ids are unique within a guideline",
        "items": {
            "oneOf": [ref(name) for _, name in rule_refs],
            "discriminator": {"propertyName": "type", "mapping": {t: REF.format(model=name) for t, name in rule_refs}},
        },
    }
    guideline["description"] = (
        "The guideline document (version 1): the rules a window is judged by. Answers write every default out."
    )
    _add(into, "Guideline", guideline)
    if "CampaignIn" in into:
        into["CampaignIn"]["properties"]["guideline"] = ref("Guideline")


# --- errors -----------------------------------------------------------------------------------------

ERROR_RESPONSES: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "The request is invalid; the message names the field or parameter to fix."),
    401: ("Unauthorized", "No token, or an expired or invalid one: sign in again."),
    403: ("Forbidden", "The caller's role or scope does not allow this."),
    404: ("NotFound", "No such resource, or not one the caller may see."),
    409: ("Conflict", "The resource is in a state that does not allow this now (the message says which)."),
    415: (
        "UnsupportedMediaType",
        (
            "The request declares a Content-Type this route does not accept (any request "
            "that declares one, a GET too, is checked)."
        ),
    ),
    422: ("Unprocessable", "Well-formed, but it cannot be done with the data as it is (the message says what is missing)."),
    500: ("InternalError", "Something went wrong on the service's side; the request can be retried."),
}
EVERY_ROUTE_ERRORS = (415, 500)


def _error_response(status: int) -> dict[str, Any]:
    _, description = ERROR_RESPONSES[status]
    schema = ref("Error")
    if status == 401:
        description += ' In AWS, API Gateway answers {"message": "Unauthorized"} before the function runs.'
        schema = {"anyOf": [ref("Error"), ref("GatewayError")]}
    return {"description": description, "content": {JSON: {"schema": schema}}}


# --- operations -------------------------------------------------------------------------------------

DESCRIPTION = """\
Vetrina checks photos of shop windows against a campaign's visual guideline.

JSON in and out. Errors are `{"error": {"code": "...", "message": "..."}}` with a 4xx status and a message
that says what to fix (500, in the same format, for the unexpected). A request whose Content-Type a route does
not accept is answered 415.

Sign-in: every route but the pages, this document and the local backend's signed links needs
`Authorization: Bearer <ID token>`. In AWS that is a Cognito ID token (API Gateway verifies it); locally a
token minted by `python -m chalicelib.devtools.cli token`. The role is the token's group (store, merchandiser, hq);
each operation lists the roles allowed (`x-roles`), and stores and merchandisers are further limited to their
own stores and regions.
"""

PATH_PARAMETER = re.compile(r"{([^}]+)}")
SUCCESS = {200: "OK", 201: "Created", 202: "Accepted: the job is queued"}


def route_docs(app: Any) -> list[RouteDoc]:
    """The declarations of the app's routes, in the order they were registered."""
    return [entry.view_function.doc for methods in app.routes.values() for entry in methods.values()]


def _roles(permission: str | None) -> list[str]:
    return sorted(PERMISSIONS[permission]) if permission is not None else []


def _parameters(doc: RouteDoc) -> list[dict[str, Any]]:
    out = [
        {"name": name, "in": "path", "required": True, **copy.deepcopy(PATH_PARAMETERS[name])}
        for name in PATH_PARAMETER.findall(doc.path)
    ]
    for param in doc.query:
        spec: dict[str, Any] = {
            "name": param.name,
            "in": "query",
            "required": param.required,
            "schema": copy.deepcopy(param.schema),
            "description": param.description,
        }
        if param.example is not None:
            spec["example"] = param.example
        out.append(spec)
    return out


def _responses(doc: RouteDoc, schemas_: dict[str, Schema]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for status, declared in doc.response.items():
        if isinstance(declared, dict) and ("content" in declared or "headers" in declared):  # a whole response object
            out[str(status)] = copy.deepcopy(declared)
        else:
            out[str(status)] = {
                "description": SUCCESS[status],
                "content": {JSON: {"schema": _schema(declared, schemas_, answer=True)}},
            }
    for status in sorted({*doc.errors, *EVERY_ROUTE_ERRORS}):
        out[str(status)] = {"$ref": f"#/components/responses/{ERROR_RESPONSES[status][0]}"}
    return out


def _operation(doc: RouteDoc, body: dict[str, Schema] | None, schemas_: dict[str, Schema]) -> dict[str, Any]:
    roles = _roles(doc.permission)
    who = f"Roles: {', '.join(roles)}." if roles else "Public: no sign-in."
    out: dict[str, Any] = {
        "operationId": operation_id(doc.method, doc.path),
        "summary": doc.summary,
        "description": f"{doc.description}\n\n{who}".strip(),
        "tags": [doc.tag.name],
        "security": [{"bearerAuth": []}] if doc.permission is not None else [],
        "x-permission": doc.permission,
        "x-roles": roles,
    }
    parameters = _parameters(doc)
    if parameters:
        out["parameters"] = parameters
    out["responses"] = _responses(doc, schemas_)
    if body is not None:
        content = {}
        for media, schema in body.items():
            content[media] = {"schema": schema}
            if media in doc.examples:
                content[media]["example"] = copy.deepcopy(doc.examples[media])
        out["requestBody"] = {"required": doc.body_required, "content": content}
    return out


def operation_id(method: str, path: str) -> str:
    words = [w.strip("{}") for w in re.split(r"[/.]", path) if w] or ["root"]
    return method.lower() + "".join(w[:1].upper() + w[1:] for w in ("_".join(words)).split("_"))


@functools.lru_cache(maxsize=4)
def _document(app: Any) -> dict[str, Any]:
    docs = route_docs(app)
    components: dict[str, Schema] = {}
    paths: dict[str, dict[str, Any]] = {}
    # Request bodies first: the guideline's description completes CampaignIn's.
    bodies = [
        None if doc.body is None else {media: _schema(declared, components, answer=False) for media, declared in doc.body.items()}
        for doc in docs
    ]
    _guideline_schemas(components)
    for name in ("Error", "GatewayError"):
        _schema(getattr(schemas, name), components, answer=True)
    for doc, body in zip(docs, bodies, strict=True):
        paths.setdefault(doc.path, {})[doc.method.lower()] = _operation(doc, body, components)
    tags = list({doc.tag.name: {"name": doc.tag.name, "description": doc.tag.description} for doc in docs}.values())
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Vetrina",
            "version": API_VERSION,
            "description": DESCRIPTION,
            "summary": "Visual-merchandising compliance: shop-window photos judged against a campaign's guideline",
        },
        "servers": [{"url": "/"}],
        "tags": tags,
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "In AWS a Cognito ID token; locally a token minted by `python -m chalicelib.devtools.cli token` "
                    "(claims of Cognito's shape: cognito:groups is the role, custom:stores and "
                    "custom:regions the scope).",
                }
            },
            "schemas": dict(sorted(components.items())),
            "responses": {name: _error_response(status) for status, (name, _) in ERROR_RESPONSES.items()},
        },
    }


def document(app: Any) -> dict[str, Any]:
    """The OpenAPI document of ``app``'s routes (a fresh copy: callers may change it)."""
    return copy.deepcopy(_document(app))

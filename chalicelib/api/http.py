"""HTTP glue for the API's routes: one way to declare a route, JSON in, JSON out, and one error
format everywhere.

Errors are ``{"error": {"code": ..., "message": ...}}`` with a 4xx status and a message that says
what to fix; anything unexpected is logged and answered with a 500 in the same format.

A route is declared once, with ``Routes``: its permission, and what the API's description
(chalicelib.api.openapi) says of it, which is built from these declarations.
"""

from __future__ import annotations

import functools
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chalice import Blueprint, Response

from chalicelib.api.gateway import cognito_authorizer
from chalicelib.core.auth import PERMISSIONS, authorize, request_claims
from chalicelib.core.errors import ApiError, InvalidInput
from chalicelib.wiring import services

log = logging.getLogger(__name__)

JSON_HEADERS = {"Content-Type": "application/json"}


def respond(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(body=json.dumps(body), status_code=status, headers={**JSON_HEADERS, **(headers or {})})


def error(status: int, code: str, message: str) -> Response:
    return respond({"error": {"code": code, "message": message}}, status)


def json_body(request: Any) -> Any:
    raw = request.raw_body
    if not raw:
        raise InvalidInput("the request body is empty: send a JSON object", code="invalid_json")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as err:
        raise InvalidInput(f"the request body is not valid JSON ({err})", code="invalid_json") from None
    except RecursionError:
        # json's decoder recurses per level: a body nested ~1,000 deep is hostile, not a 500.
        raise InvalidInput(
            "the request body is nested too deeply: no document of this API nests beyond a few levels", code="invalid_json"
        ) from None


def query_param(request: Any, name: str, default: str | None = None) -> str | None:
    return (request.query_params or {}).get(name, default)


def int_param(request: Any, name: str, default: int) -> int:
    value = query_param(request, name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise InvalidInput(f"query parameter {name!r} must be a whole number, not {value!r}") from None


PUBLIC = None  # the permission of a route anyone may call (pages, signed local upload links)

JSON = "application/json"
AUTH = (401, 403)  # the errors of every signed-in route


@dataclass(frozen=True)
class Tag:
    """A group of routes in the API's description (a blueprint's)."""

    name: str
    description: str


@dataclass(frozen=True)
class Param:
    """A query parameter a route reads: its name, and its JSON schema and words for the description."""

    name: str
    schema: dict[str, Any]
    description: str
    required: bool = False
    example: Any = None


CURSOR = Param("cursor", {"type": "string"}, "the cursor of the previous page, unchanged")


def paged(default: int, maximum: int) -> tuple[Param, Param]:
    """``limit`` (its default here; its maximum the service's) and ``cursor``: a page of a listing."""
    return Param("limit", {"type": "integer", "minimum": 1, "maximum": maximum, "default": default}, "page size"), CURSOR


@dataclass(frozen=True)
class RouteDoc:
    """What the API's description says of a route, declared with it.

    ``response`` and ``body`` map a status or media type to a type (a pydantic model, or any type
    pydantic describes) or to a schema written out; a response may also be a whole OpenAPI response
    object (a dict with "content" or "headers"). ``errors`` are the 4xx it answers (415 and 500 are
    every route's).
    """

    path: str
    method: str
    permission: str | None
    summary: str
    tag: Tag
    response: dict[int, Any]
    errors: tuple[int, ...] = ()
    query: tuple[Param, ...] = ()
    body: dict[str, Any] | None = None
    body_required: bool = True
    description: str = ""
    examples: dict[str, Any] = field(default_factory=dict)  # media type -> example body


class Query:
    """The query parameters a route declared, read from the request. Reading one it did not
    declare is a mistake in the route (KeyError), so the description cannot miss one."""

    def __init__(self, request: Any, declared: tuple[Param, ...]):
        self._request = request
        self._declared = {param.name: param for param in declared}

    def __getitem__(self, name: str) -> str | None:
        if name not in self._declared:
            raise KeyError(f"the route reads the query parameter {name!r} without declaring it")
        return query_param(self._request, name)

    def page(self) -> dict[str, Any]:
        """``limit`` (a whole number; the declared default when absent) and ``cursor``."""
        default = self._declared["limit"].schema["default"]
        return {"limit": int_param(self._request, "limit", default), "cursor": self["cursor"]}


class Resource(Blueprint):
    """A Chalice blueprint for one resource's routes, registrable on more than one app: the
    infrastructure imports app.py afresh for each stack (with these modules already loaded), and a
    plain blueprint consumes its routes' options on the first. The signed-in routes get the
    Cognito authorizer (chalicelib.api.gateway) read when the blueprint is registered: the stage's."""

    def register(self, app: Any, options: dict[str, Any]) -> None:
        self._stage_authorizer = cognito_authorizer(os.environ)
        super().register(app, options)

    def _register_handler(
        self,
        handler_type: str,
        name: str,
        user_handler: Any,
        wrapped_handler: Any,
        kwargs: dict[str, Any],
        options: dict[Any, Any] | None = None,
    ) -> None:
        if handler_type != "route":
            return super()._register_handler(handler_type, name, user_handler, wrapped_handler, kwargs, options)

        def register_route(app: Any, options: dict[Any, Any]) -> None:
            route_options = dict(kwargs["kwargs"])
            if getattr(user_handler, "permission", PUBLIC) is not PUBLIC and self._stage_authorizer is not None:
                route_options["authorizer"] = self._stage_authorizer
            app._register_handler("route", name, user_handler, wrapped_handler, {**kwargs, "kwargs": route_options}, options)

        self._deferred_registrations.append(register_route)


class Routes:
    """Declares a blueprint's routes so that each names its permission and its description, and
    every call is authorised (chalicelib.core.auth) before the view runs; the view gets the Caller
    first, and ``query`` (a Query) when the route declares query parameters.

    Errors become their 4xx answer; anything unexpected a logged 500, in the same format.
    """

    def __init__(self, blueprint: Resource, tag: Tag):
        self.blueprint = blueprint
        self.tag = tag

    @property
    def request(self) -> Any:
        """The request being served (the blueprint's app's)."""
        return self.blueprint.current_request

    def json_body(self) -> Any:
        return json_body(self.request)

    def __call__(
        self,
        path: str,
        method: str,
        permission: str | None,
        *,
        summary: str,
        response: dict[int, Any],
        errors: tuple[int, ...] = (),
        query: tuple[Param, ...] = (),
        body: Any = None,
        body_required: bool = True,
        content_types: list[str] | None = None,
        description: str = "",
        example: Any = None,
        examples: dict[str, Any] | None = None,
        tag: Tag | None = None,
    ) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
        if permission is not PUBLIC and permission not in PERMISSIONS:
            raise ValueError(f"unknown permission {permission!r}")
        bodies = body if isinstance(body, dict) or body is None else {JSON: body}
        examples = {**({JSON: example} if example is not None else {}), **(examples or {})}
        doc = RouteDoc(
            path,
            method,
            permission,
            summary,
            tag or self.tag,
            dict(response),
            tuple(errors),
            tuple(query),
            bodies,
            body_required,
            description,
            examples,
        )
        blueprint = self.blueprint

        def register(view: Callable[..., Response]) -> Callable[..., Response]:
            @functools.wraps(view)
            def handler(*args: Any, **kwargs: Any) -> Response:
                try:
                    if query:
                        kwargs["query"] = Query(blueprint.current_request, doc.query)
                    if permission is PUBLIC:
                        return view(*args, **kwargs)
                    claims = request_claims(blueprint.current_request, services().settings)
                    return view(authorize(claims, permission), *args, **kwargs)
                except ApiError as err:
                    return error(err.status, err.code, err.message)
                except Exception:
                    log.exception("unhandled error in %s", view.__name__)
                    return error(500, "internal_error", "something went wrong on our side; the request can be retried")

            handler.permission = permission  # type: ignore[attr-defined]
            handler.doc = doc  # type: ignore[attr-defined]
            options: dict[str, Any] = {"methods": [method]}
            if content_types:
                options["content_types"] = content_types
            return blueprint.route(path, **options)(handler)

        return register


def uniform_errors(event: Any, get_response: Callable[[Any], Response]) -> Response:
    """Middleware: give Chalice's own error answers (415, 405, ...) our error format."""
    response = get_response(event)
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and "Code" in body:
        return error(response.status_code, str(body["Code"]), str(body.get("Message", "")))
    return response

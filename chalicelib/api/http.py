"""HTTP glue for app.py's routes: JSON in, JSON out, and one error format everywhere.

Errors are ``{"error": {"code": ..., "message": ...}}`` with a 4xx status and a message that says
what to fix; anything unexpected is logged and answered with a 500 in the same format.
"""

from __future__ import annotations

import functools
import json
import logging
from typing import Any, Callable

from chalice import Response

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


class Routes:
    """Registers app.py's routes so that each names its permission, and every call is
    authorised (chalicelib.core.auth) before the view runs; the view gets the Caller first.

    Errors become their 4xx answer; anything unexpected a logged 500, in the same format.
    """

    def __init__(self, app: Any, authorizer: Any):
        self._app = app
        self._authorizer = authorizer

    def __call__(self, path: str, method: str, permission: str | None,
                 content_types: list[str] | None = None) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
        if permission is not PUBLIC and permission not in PERMISSIONS:
            raise ValueError(f"unknown permission {permission!r}")

        def register(view: Callable[..., Response]) -> Callable[..., Response]:
            @functools.wraps(view)
            def handler(*args: Any, **kwargs: Any) -> Response:
                try:
                    if permission is PUBLIC:
                        return view(*args, **kwargs)
                    claims = request_claims(self._app.current_request, services().settings)
                    return view(authorize(claims, permission), *args, **kwargs)
                except ApiError as err:
                    return error(err.status, err.code, err.message)
                except Exception:
                    log.exception("unhandled error in %s", view.__name__)
                    return error(500, "internal_error", "something went wrong on our side; the request can be retried")

            handler.permission = permission  # type: ignore[attr-defined]
            options: dict[str, Any] = {"methods": [method]}
            if content_types:
                options["content_types"] = content_types
            if permission is not PUBLIC and self._authorizer is not None:
                options["authorizer"] = self._authorizer
            return self._app.route(path, **options)(handler)

        return register


def uniform_errors(event: Any, get_response: Callable[[Any], Response]) -> Response:
    """Middleware: give Chalice's own error answers (415, 405, ...) our error format."""
    response = get_response(event)
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and "Code" in body:
        return error(response.status_code, str(body["Code"]), str(body.get("Message", "")))
    return response

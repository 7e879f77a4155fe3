"""Turning pydantic's validation errors into messages that name the offending field."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from chalicelib.core.errors import InvalidInput

M = TypeVar("M", bound=BaseModel)


def field_path(prefix: str, loc: tuple[Any, ...]) -> str:
    path = prefix
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "body"


MAX_SHOWN = 80  # characters of a rejected value echoed back: enough to recognise it, not a whole list


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= MAX_SHOWN else f"{text[: MAX_SHOWN - 1]}…"


def problems(err: ValidationError, prefix: str = "") -> list[tuple[str, str]]:
    """(field, message) for each error, e.g. ("rules[1].parameters.min", "must be >= 0 (got -3)")."""
    out = []
    for e in err.errors(include_url=False):
        loc = tuple(p for p in e["loc"] if not str(p).startswith("function-"))
        message = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            message = "unknown field"
        elif e["type"] == "missing":
            message = "required field is missing"
        elif e["type"] not in ("model_type", "dict_type", "value_error") and "input" in e:
            message = f"{message} (got {_shown(e['input'])})"
        out.append((field_path(prefix, loc), message))
    return out


def describe(found: list[tuple[str, str]]) -> str:
    return "; ".join(f"{field}: {message}" for field, message in found)


def parse_model(model: type[M], data: Any, prefix: str = "") -> M:
    """Validate request data into a model, or raise InvalidInput naming each bad field."""
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise InvalidInput(describe(problems(err, prefix))) from None

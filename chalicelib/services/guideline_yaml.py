"""A guideline written as YAML, checked against the schema with each problem at its line, so the
campaign page's editor can point at it (the API itself stores the parsed document)."""

from __future__ import annotations

import re
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from chalicelib.core.guideline import GuidelineError, parse_guideline
from chalicelib.core.validation import parse_model

MAX_TEXT = 200_000
_STEP = re.compile(r"\.?([A-Za-z_][\w-]*)|\[(\d+)\]")


class GuidelineTextIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    yaml: str = Field(max_length=MAX_TEXT)


def _line_of(root: yaml.Node | None, path: str) -> int | None:
    """The 1-based line of the deepest node of ``path`` (``rules[1].parameters.min``) the text has."""
    node, line = root, (root.start_mark.line + 1) if root is not None else None
    for name, index in _STEP.findall(path):
        if isinstance(node, yaml.MappingNode) and name:
            found = next(((k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == name), None)
            if found is None:
                break
            line, node = found[0].start_mark.line + 1, found[1]
        elif isinstance(node, yaml.SequenceNode) and index:
            position = int(index)
            if position >= len(node.value):
                break
            node = node.value[position]
            line = node.start_mark.line + 1
        else:
            break
    return line


def check_yaml(body: Any) -> dict[str, Any]:
    """The parsed document with the schema's defaults written out, or the problems with their lines."""
    text = parse_model(GuidelineTextIn, body).yaml
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        document = yaml.safe_load(text)
    except RecursionError:
        return {"valid": False, "guideline": None, "problems": [{"path": "", "message": "nested too deeply", "line": 1}]}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
        problem = " ".join(p for p in (getattr(err, "problem", None), getattr(err, "context", None)) if p) or str(err)
        return {
            "valid": False,
            "guideline": None,
            "problems": [{"path": "", "message": f"not valid YAML: {problem}", "line": mark.line + 1 if mark else None}],
        }
    try:
        guideline = parse_guideline(document).to_document()
    except GuidelineError as err:
        return {
            "valid": False,
            "guideline": None,
            "problems": [{"path": path, "message": message, "line": _line_of(root, path)} for path, message in err.problems],
        }
    return {"valid": True, "guideline": guideline, "problems": []}

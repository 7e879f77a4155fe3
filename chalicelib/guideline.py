"""The guideline document: the contract between HQ and the checks.

A guideline lists rules. Every rule has an id, a type, parameters, a weight and a message for the
store in plain words. This module validates a document (a dict parsed from JSON or YAML) and turns
it into typed rules; every error names the offending field, e.g. ``rules[1].parameters.min``.

It imports neither numpy nor the image stack: the API validates guidelines too.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from chalicelib.ids import CLIENT_ID_PATTERN
from chalicelib.validation import describe, problems as field_problems

SCHEMA_VERSION = 1


class GuidelineError(ValueError):
    """A guideline document that cannot be used, with one (field, message) entry per problem."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__(describe(problems))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- photo quality -------------------------------------------------------------------------

QUALITY_CHECKS = ("sharpness", "exposure", "clipping", "resolution", "tilt")

# Defaults used when a photo_quality rule gives neither min nor max. Units:
#   sharpness  – edge steepness 0..100 of the most detailed areas at a fixed analysis scale
#                (an ideal step scores 100, a sharp phone photo about 35-40)
#   exposure   – mean luminance, 0..255
#   clipping   – share of pixels blown to white or crushed to black, 0..1
#   resolution – megapixels of the uploaded photo
#   tilt       – degrees between the photo's dominant straight lines and the horizontal/vertical
QUALITY_DEFAULTS: dict[str, dict[str, float]] = {
    "sharpness": {"min": 27.0, "uncertain_margin": 3.0},
    "exposure": {"min": 65.0, "max": 200.0, "uncertain_margin": 8.0},
    "clipping": {"max": 0.10, "uncertain_margin": 0.03},
    "resolution": {"min": 2.0, "uncertain_margin": 0.0},
    "tilt": {"max": 5.0, "uncertain_margin": 1.5},
}


class PhotoQualityParameters(_Strict):
    check: Literal["sharpness", "exposure", "clipping", "resolution", "tilt"]
    min: float | None = Field(default=None, ge=0)
    max: float | None = Field(default=None, ge=0)
    # A measured value closer than this to a threshold is "uncertain" and goes to human review.
    uncertain_margin: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _apply_defaults(self) -> "PhotoQualityParameters":
        defaults = QUALITY_DEFAULTS[self.check]
        if self.min is None and self.max is None:
            object.__setattr__(self, "min", defaults.get("min"))
            object.__setattr__(self, "max", defaults.get("max"))
        if self.uncertain_margin is None:
            object.__setattr__(self, "uncertain_margin", defaults["uncertain_margin"])
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self


# --- rules ---------------------------------------------------------------------------------



class Rule(_Strict):
    """Fields every rule has; each rule type adds its own ``parameters``."""

    type_name: ClassVar[str]
    # A failed rule of a gating type makes the photo unusable ("retake") instead of a failure.
    gates_photo: ClassVar[bool] = False

    id: str = Field(pattern=CLIENT_ID_PATTERN)
    weight: float = Field(default=1.0, ge=0)
    message: str = Field(min_length=1, max_length=500)


class PhotoQualityRule(Rule):
    type_name: ClassVar[str] = "photo_quality"
    gates_photo: ClassVar[bool] = True

    type: Literal["photo_quality"]
    parameters: PhotoQualityParameters


RULE_TYPES: dict[str, type[Rule]] = {cls.type_name: cls for cls in (PhotoQualityRule,)}


class Guideline(_Strict):
    version: Literal[1] = SCHEMA_VERSION
    name: str | None = Field(default=None, max_length=200)
    rules: tuple[Rule, ...]

    def to_document(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "name": self.name,
            "rules": [rule.model_dump(mode="json") for rule in self.rules],
        }


# --- parsing -------------------------------------------------------------------------------


def parse_guideline(document: Any) -> Guideline:
    """Validate a guideline document; raise GuidelineError naming every bad field."""
    if not isinstance(document, dict):
        raise GuidelineError([("guideline", "must be an object with a 'rules' list")])
    raw_rules = document.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise GuidelineError([("rules", "must be a non-empty list of rules")])

    problems: list[tuple[str, str]] = []
    rules: list[Rule] = []
    seen_ids: set[str] = set()
    for index, raw in enumerate(raw_rules):
        where = f"rules[{index}]"
        if not isinstance(raw, dict):
            problems.append((where, "must be an object"))
            continue
        rule_type = raw.get("type")
        rule_cls = RULE_TYPES.get(rule_type) if isinstance(rule_type, str) else None
        if rule_cls is None:
            known = ", ".join(sorted(RULE_TYPES))
            problems.append((f"{where}.type", f"unknown rule type {rule_type!r}; known types: {known}"))
            continue
        try:
            rule = rule_cls.model_validate(raw)
        except ValidationError as err:
            problems.extend(field_problems(err, where))
            continue
        if rule.id in seen_ids:
            problems.append((f"{where}.id", f"duplicate rule id {rule.id!r}"))
        seen_ids.add(rule.id)
        rules.append(rule)

    header = {k: v for k, v in document.items() if k != "rules"}
    try:
        guideline = Guideline.model_validate({**header, "rules": []})
    except ValidationError as err:
        problems.extend(field_problems(err))
        guideline = None
    if problems:
        raise GuidelineError(problems)
    assert guideline is not None
    return guideline.model_copy(update={"rules": tuple(rules)})

"""The guideline document: the contract between HQ and the checks.

A guideline lists rules. Every rule has an id, a type, parameters, a weight and a message for the
store in plain words. This module validates a document (a dict parsed from JSON or YAML) and turns
it into typed rules; every error names the offending field, e.g. ``rules[1].parameters.min``.

It imports neither numpy nor the image stack: the API validates guidelines too.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, WithJsonSchema, model_validator

from chalicelib.core.ids import CLIENT_ID_PATTERN
from chalicelib.core.validation import describe
from chalicelib.core.validation import problems as field_problems

SCHEMA_VERSION: Literal[1] = 1


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
#   sharpness  – edge steepness 0..100 of the sharpest areas at a fixed analysis scale: 12.5 / s^2
#                for edges blurred over s analysis pixels (an ideal step scores 100, a sharp
#                phone photo 30-60, a defocused or shaken one under 10)
#   exposure   – median luminance, 0..255 (mid-grey is about 118)
#   clipping   – the larger of the shares of pixels blown to white and crushed to black, 0..1
#   resolution – megapixels of the uploaded photo
#   tilt       – degrees between the photo's dominant straight lines and the horizontal/vertical
QUALITY_DEFAULTS: dict[str, dict[str, float]] = {
    "sharpness": {"min": 14.0, "uncertain_margin": 4.0},
    "exposure": {"min": 40.0, "max": 200.0, "uncertain_margin": 10.0},
    "clipping": {"max": 0.30, "uncertain_margin": 0.05},
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
    def _apply_defaults(self) -> PhotoQualityParameters:
        defaults = QUALITY_DEFAULTS[self.check]
        if self.min is None and self.max is None:
            object.__setattr__(self, "min", defaults.get("min"))
            object.__setattr__(self, "max", defaults.get("max"))
        if self.uncertain_margin is None:
            object.__setattr__(self, "uncertain_margin", defaults["uncertain_margin"])
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self


# --- zones of the window ------------------------------------------------------------------

# Named zones, as (left, top, right, bottom) shares of the photo.
NAMED_ZONES: dict[str, tuple[float, float, float, float]] = {
    "whole": (0.0, 0.0, 1.0, 1.0),
    "upper_third": (0.0, 0.0, 1.0, 1 / 3),
    "middle_third": (0.0, 1 / 3, 1.0, 2 / 3),
    "lower_third": (0.0, 2 / 3, 1.0, 1.0),
    "upper_half": (0.0, 0.0, 1.0, 0.5),
    "lower_half": (0.0, 0.5, 1.0, 1.0),
    "left_half": (0.0, 0.0, 0.5, 1.0),
    "right_half": (0.5, 0.0, 1.0, 1.0),
    "centre": (0.2, 0.2, 0.8, 0.8),
}


class Zone(_Strict):
    """A part of the window: a name from NAMED_ZONES, or a box of shares of the photo."""

    name: str | None = None
    box: tuple[float, float, float, float]

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, value: Any) -> Any:
        if isinstance(value, str):
            if value not in NAMED_ZONES:
                raise ValueError(
                    f"unknown zone {value!r}; use one of {', '.join(NAMED_ZONES)} or {{'box': [left, top, right, bottom]}}"
                )
            return {"name": value, "box": NAMED_ZONES[value]}
        return value

    @model_validator(mode="after")
    def _check_box(self) -> Zone:
        left, top, right, bottom = self.box
        if not (0 <= left < right <= 1 and 0 <= top < bottom <= 1):
            raise ValueError("box must be [left, top, right, bottom] with 0 <= left < right <= 1 and 0 <= top < bottom <= 1")
        return self


# --- the other rule types' parameters --------------------------------------------------------

FILE_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,100}\.(jpg|jpeg|png|webp)$"
Share = Annotated[float, Field(ge=0, le=1)]


class ArtworkParameters(_Strict):
    artwork: str = Field(pattern=FILE_NAME_PATTERN)  # a file of the guideline pack
    mode: Literal["required", "forbidden"] = "required"
    min_share: Share = 0.02  # of the photo's area covered by the artwork
    min_visible: Share = 0.6  # of the artwork not hidden or cut off
    uncertain_margin: Share = 0.1


class TextParameters(_Strict):
    phrases: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(min_length=1, max_length=20)
    mode: Literal["required", "forbidden"] = "required"
    match: Literal["all", "any"] = "all"
    # Read on the rectified artwork when this artwork is found, else on the photo.
    artwork: str | None = Field(default=None, pattern=FILE_NAME_PATTERN)
    min_similarity: Share = 0.8  # 1 - normalised edit distance; tolerates OCR slips
    uncertain_margin: Share = 0.1


PERSON_DETECTOR = "person_detect_mediapipe_blazepose"
OBJECT_DETECTOR = "objects_ssd_mobilenet_v2_coco"  # the bundled COCO detector (models/README.md)


class ObjectsParameters(_Strict):
    """``label``: a COCO name of the bundled detector (``handbag``, ``bottle``, ``chair``, ...), or
    ``person`` (a living person), ``mannequin``, ``person_or_mannequin``; with ``model``, a label of
    that model (``person`` of the BlazePose detector counts any person, mannequins included)."""

    model: str = Field(default=OBJECT_DETECTOR, min_length=1, max_length=100)  # manifest name
    label: str = Field(min_length=1, max_length=100)
    min_count: int = Field(default=1, ge=0)
    max_count: int | None = Field(default=None, ge=0)
    # None: the model's own default (objects.DEFAULT_CONFIDENCE): 0.5 for the COCO detector (its
    # operating point in models/README.md), 0.75 for the others (the BlazePose person detector
    # scores some non-people, a cat, up to 0.7).
    min_confidence: Share | None = None

    @model_validator(mode="after")
    def _counts(self) -> ObjectsParameters:
        if self.max_count is not None and self.max_count < self.min_count:
            raise ValueError(f"max_count ({self.max_count}) is below min_count ({self.min_count})")
        return self


class BrandColour(_Strict):
    name: str = Field(min_length=1, max_length=60)
    hex: str = Field(pattern=r"^#[0-9A-Fa-f]{6}$")
    min_share: Share = 0.03


class PaletteParameters(_Strict):
    colours: list[BrandColour] = Field(min_length=1, max_length=12)
    max_delta_e: float = Field(default=12.0, gt=0, le=100)  # CIEDE2000 distance that still counts as the colour
    # grey_edge: divide out the illuminant estimated from the edges (robust to big brand posters).
    white_balance: Literal["grey_edge", "none"] = "grey_edge"
    uncertain_margin: Share = 0.01
    # artworks: on the guideline's posters where the matcher finds them (the zone when the guideline
    # shows none); zone: on the rule's zone whatever it shows (colours of the decor or the products).
    on: Literal["artworks", "zone"] = "artworks"


class SimilarityParameters(_Strict):
    references: list[Annotated[str, Field(pattern=FILE_NAME_PATTERN)]] = Field(min_length=1, max_length=10)
    # Share of the window's cells laid out as in the reference, once the photo is aligned on it
    # (see checks/similarity.py): a hand-held re-shoot of the same window ~1, the same window
    # dressed otherwise 0.5-0.75, another window less.
    min_similarity: Share = 0.9
    # Below this embedding cosine the photo is not of a window at all (wrong subject): retake.
    wrong_subject_below: Share = 0.3
    uncertain_margin: Share = 0.05


class LightingParameters(_Strict):
    # Window (the rule's zone, default the centre) against the rest of the photo.
    min_ratio: float = Field(default=1.15, ge=0)
    min_luminance: float = Field(default=70.0, ge=0, le=255)
    uncertain_margin: float = Field(default=0.05, ge=0)


# --- words for the store, in its language ------------------------------------------------------

# The pages' languages. A rule's ``message`` (what is wrong) and ``instruction`` (what to do) are
# a plain string or one text per language, {"it": ..., "en": ...}. Stored and returned as a plain
# ``message``/``instruction`` (English when given, else the first language: what the checks and
# older clients read) plus ``messages``/``instructions`` with every language given.
LANGUAGES = ("it", "en")
Language = Literal["it", "en"]
_TEXT = {"type": "string", "minLength": 1, "maxLength": 500}
_LOCALISED = {
    "type": "object",
    "properties": {lang: _TEXT for lang in LANGUAGES},
    "additionalProperties": False,
    "minProperties": 1,
}
Text = Annotated[str, Field(min_length=1, max_length=500), WithJsonSchema({"anyOf": [_TEXT, _LOCALISED]})]
Translations = dict[Language, Annotated[str, Field(min_length=1, max_length=500)]]


def _split_localised(raw: dict[str, Any], field: str, plural: str) -> dict[str, Any]:
    """``{field: {it, en}}`` → ``{field: en or first, plural: {it, en}}``; a string stays as it is."""
    value = raw.get(field)
    if not isinstance(value, dict):
        return raw
    texts = {**(raw.get(plural) or {}), **value}
    first = texts.get("en") or next((v for v in texts.values() if isinstance(v, str) and v), None)
    return {**raw, field: first, plural: texts}


# --- rules ---------------------------------------------------------------------------------


class Rule(_Strict):
    """Fields every rule has; each rule type adds its own ``parameters``."""

    type_name: ClassVar[str]
    # A failed rule of a gating type makes the photo unusable ("retake") instead of a failure.
    gates_photo: ClassVar[bool] = False

    id: str = Field(pattern=CLIENT_ID_PATTERN)
    weight: float = Field(default=1.0, ge=0)
    message: Text  # what is wrong, when the rule fails
    messages: Translations | None = None
    # What the store should do, as a positive checklist item; absent: the pages say it per rule type.
    instruction: Text | None = None
    instructions: Translations | None = None
    zone: Zone | None = None

    @model_validator(mode="before")
    @classmethod
    def _localised(cls, value: Any) -> Any:
        if isinstance(value, dict):
            value = _split_localised(_split_localised(value, "message", "messages"), "instruction", "instructions")
        return value


class PhotoQualityRule(Rule):
    type_name: ClassVar[str] = "photo_quality"
    gates_photo: ClassVar[bool] = True

    type: Literal["photo_quality"]
    parameters: PhotoQualityParameters


class ArtworkRule(Rule):
    type_name: ClassVar[str] = "artwork_present"
    type: Literal["artwork_present"]
    parameters: ArtworkParameters


class TextRule(Rule):
    type_name: ClassVar[str] = "text"
    type: Literal["text"]
    parameters: TextParameters


class ObjectsRule(Rule):
    type_name: ClassVar[str] = "objects"
    type: Literal["objects"]
    parameters: ObjectsParameters


class PaletteRule(Rule):
    type_name: ClassVar[str] = "palette"
    type: Literal["palette"]
    parameters: PaletteParameters


class SimilarityRule(Rule):
    type_name: ClassVar[str] = "reference_similarity"
    type: Literal["reference_similarity"]
    parameters: SimilarityParameters


class LightingRule(Rule):
    type_name: ClassVar[str] = "lighting"
    type: Literal["lighting"]
    parameters: LightingParameters


RULE_TYPES: dict[str, type[Rule]] = {
    cls.type_name: cls
    for cls in (PhotoQualityRule, ArtworkRule, TextRule, ObjectsRule, PaletteRule, SimilarityRule, LightingRule)
}


class Guideline(_Strict):
    version: Literal[1] = SCHEMA_VERSION
    name: str | None = Field(default=None, max_length=200)
    rules: tuple[Rule, ...]

    def artworks(self) -> tuple[str, ...]:
        """The pack files the rules look for in the photo (posters, stickers, banners)."""
        names = {getattr(getattr(rule, "parameters", None), "artwork", None) for rule in self.rules}
        return tuple(sorted(name for name in names if name))

    def pack_files(self) -> tuple[str, ...]:
        """Every pack file the rules read: the artworks and the reference photos."""
        references = {name for rule in self.rules for name in getattr(getattr(rule, "parameters", None), "references", ())}
        return tuple(sorted(set(self.artworks()) | references))

    def to_document(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "name": self.name,
            # Unset translations and instructions are left out: a guideline without them reads as before.
            "rules": [_without_none(rule.model_dump(mode="json")) for rule in self.rules],
        }


def _without_none(rule: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in rule.items() if not (k in ("messages", "instruction", "instructions") and v is None)}


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

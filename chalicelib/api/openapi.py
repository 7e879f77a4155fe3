"""The API's description as an OpenAPI 3.1 document, served at ``GET /openapi.json``.

Request bodies are described by the services' own pydantic models (one source of truth); the
response shapes are written here, from what the services return. Every route of app.py is in
``OPERATIONS``, keyed by (method, path), with the permission it is registered with; a test checks
the table against the app's routes both ways, and the roles against ``chalicelib.core.auth``.

Light on purpose, like the rest of the API's imports: no image stack, no storage adapters.
"""

from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from chalicelib.services import analytics
from chalicelib.services import campaigns
from chalicelib.services import review
from chalicelib.services import stores
from chalicelib.core.auth import PERMISSIONS
from chalicelib.core.vocabulary import CAMPAIGN_STATUSES, OUTCOME_STATES
from chalicelib.core.vocabulary import REVIEW_STATES as REVIEW_STATES_
from chalicelib.services.campaigns import CampaignIn, PackFileIn
from chalicelib.core.guideline import NAMED_ZONES, RULE_TYPES, Guideline
from chalicelib.core.ids import CLIENT_ID_PATTERN, SUBMISSION_ID
from chalicelib.services.jobs import ExportIn
from chalicelib.services.review import CommentIn, DecisionIn, FeatureIn, OverrideIn
from chalicelib.services.stores import StoreIn
from chalicelib.services.submissions import UPLOAD_TYPES, RetakeIn, SubmissionIn

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"
REF = "#/components/schemas/{model}"

Schema = dict[str, Any]


def ref(name: str) -> Schema:
    return {"$ref": REF.format(model=name)}


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
NUMBER: Schema = {"type": "number"}
BOOLEAN: Schema = {"type": "boolean"}
DATE: Schema = {"type": "string", "format": "date"}
TIMESTAMP: Schema = {"type": "string", "format": "date-time"}
LINK: Schema = {"type": "string", "description": "a short-lived signed link"}
CURSOR: Schema = {**nullable(STRING), "description": "pass it back as ?cursor= for the next page; null on the last page"}


def obj(required: list[str], properties: dict[str, Schema], description: str | None = None, **extra: Any) -> Schema:
    out: Schema = {"type": "object", "required": required, "properties": properties, **extra}
    if description:
        out["description"] = description
    return out


def array(items: Schema, **extra: Any) -> Schema:
    return {"type": "array", "items": items, **extra}


def page(key: str, item: Schema) -> Schema:
    return obj([key, "cursor"], {key: array(item), "cursor": CURSOR})


# --- request bodies: the services' pydantic models -------------------------------------------------

REQUEST_MODELS: tuple[type[BaseModel], ...] = (
    CampaignIn, PackFileIn, StoreIn, SubmissionIn, RetakeIn, DecisionIn, OverrideIn, CommentIn, FeatureIn, ExportIn,
)


def _hoist(schema: Schema, into: dict[str, Schema], name: str) -> None:
    """Put a pydantic model's schema, and the models it uses ($defs), into ``into``."""
    schema = copy.deepcopy(schema)
    for def_name, definition in schema.pop("$defs", {}).items():
        _add(into, def_name, definition)
    _add(into, name, schema)


def _add(into: dict[str, Schema], name: str, schema: Schema) -> None:
    if name in into and into[name] != schema:
        raise ValueError(f"two different schemas are named {name!r}")
    into[name] = schema


def _model_schemas() -> dict[str, Schema]:
    out: dict[str, Schema] = {}
    for model in REQUEST_MODELS:
        _hoist(model.model_json_schema(ref_template=REF), out, model.__name__)
    # The guideline document: its header from Guideline, each rule from its type's model. A rule's
    # zone is a named zone or a box (the models accept the name and store both).
    rule_refs = []
    for rule_type, model in RULE_TYPES.items():
        schema = model.model_json_schema(ref_template=REF)
        schema["properties"]["zone"] = {
            "anyOf": [{"type": "string", "enum": list(NAMED_ZONES)}, ref("Zone"), {"type": "null"}],
            "default": None,
            "description": "where in the photo the rule looks: a named zone or {box: [left, top, right, bottom]} "
                           "(shares of the photo); answers hold the object form",
        }
        _hoist(schema, out, model.__name__)
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
    guideline["description"] = ("The guideline document (version 1): the rules a window is judged by. "
                                "Answers write every default out.")
    _add(out, "Guideline", guideline)
    out["CampaignIn"]["properties"]["guideline"] = ref("Guideline")
    return out


# --- response shapes ------------------------------------------------------------------------------

ERROR = obj(["error"], {"error": obj(["code", "message"], {
    "code": {**STRING, "description": "machine-readable, e.g. invalid_input, campaign_not_found"},
    "message": {**STRING, "description": "what went wrong and what to fix"},
})}, "The one error format of the API.")

STATES = list(OUTCOME_STATES)
RATES = obj(
    ["targeted", "submitted", "states", "compliance_rate", "submission_rate", "on_time_rate", "mean_score"],
    {
        "targeted": INTEGER,
        "submitted": INTEGER,
        "states": obj(STATES, {s: INTEGER for s in STATES}),
        "compliance_rate": {**nullable(NUMBER), "description": "pass / (pass + fail); null with neither"},
        "submission_rate": nullable(NUMBER),
        "on_time_rate": nullable(NUMBER),
        "mean_score": nullable(NUMBER),
    },
    "Counts and shares of a set of stores' outcomes.",
)
RULE_RATE = obj(["rule_id", "statuses", "pass_rate"], {
    "rule_id": STRING,
    "statuses": {"type": "object", "additionalProperties": INTEGER, "description": "count per final rule status"},
    "pass_rate": nullable(NUMBER),
})
STORE_OUTCOME = obj(
    ["campaign_id", "store_id", "store_name", "region", "timezone", "deadline_at", "state", "submission_id", "submitted_at",
     "score", "on_time", "failed_rules"],
    {
        "campaign_id": STRING, "store_id": STRING, "store_name": STRING, "region": STRING, "timezone": STRING,
        "deadline_at": TIMESTAMP,
        "state": {"type": "string", "enum": STATES},
        "submission_id": nullable(STRING),
        "submitted_at": nullable(TIMESTAMP),
        "score": nullable(NUMBER),
        "on_time": nullable(BOOLEAN),
        "failed_rules": array(STRING),
    },
    "A store's outcome in a campaign: what its latest finished photo says, reviews included.",
)
THRESHOLD = obj(["uncertain_margin"], {"min": NUMBER, "max": NUMBER, "uncertain_margin": NUMBER})
RULE_RESULT = obj(
    ["id", "type", "status", "value", "threshold", "confidence", "message", "evidence"],
    {
        "id": STRING,
        "type": {"type": "string", "enum": list(RULE_TYPES)},
        "status": {"type": "string", "enum": ["pass", "fail", "uncertain", "error", "skipped"]},
        "value": {**nullable(NUMBER), "description": "what was measured"},
        "threshold": nullable(ref("Threshold")),
        "confidence": NUMBER,
        "message": STRING,
        "evidence": array({"type": "object"}, description="boxes, quads, zones, colour cells in the normalised image's pixels"),
        "weight": NUMBER,
        "retake": BOOLEAN,
    },
)
VERDICTS = ["pass", "fail", "review", "retake"]
RESULT = obj(["verdict", "score", "rules"], {
    "verdict": {"type": "string", "enum": VERDICTS},
    "score": {**NUMBER, "description": "the weighted share of passed rules"},
    "rules": array(ref("RuleResult")),
    "photo": obj([], {"format": STRING, "width": INTEGER, "height": INTEGER, "megapixels": NUMBER}),
    "warnings": array(STRING),
    "timings_ms": {"type": "object"},
    "guideline_version": INTEGER,
})
REVIEW_STATES = list(REVIEW_STATES_)
REVIEW = obj(["state"], {
    "state": {"type": "string", "enum": REVIEW_STATES},
    "by": STRING, "at": TIMESTAMP, "comment": STRING,
})
LABEL = {
    "model": {**STRING, "description": "the rule's status by the analysis"},
    "reviewer": {"type": "string", "enum": ["pass", "fail"]},
    "value": nullable(NUMBER),
    "by": STRING, "at": TIMESTAMP, "comment": STRING,
}
SUBMISSION_STATUSES = ["awaiting_upload", "queued", "analyzing", "done", "rejected", "error"]
UPLOAD = obj(["url", "fields"], {
    "url": {**STRING, "description": "POST a form here: the fields, then the file as the field 'file'"},
    "fields": {"type": "object", "additionalProperties": STRING},
})
CAMPAIGN_STATUS = {"type": "string", "enum": list(CAMPAIGN_STATUSES)}
TARGETS_OUT = obj(["regions", "clusters", "stores"], {k: array(STRING) for k in ("regions", "clusters", "stores")})
SUMMARY_PROPERTIES: dict[str, Schema] = {
    "campaign_id": STRING, "name": STRING, "start_date": DATE, "deadline": DATE,
    "targets": {**ref("Targets"), "description": "not shown to stores"},
    "guideline_version": INTEGER, "status": CAMPAIGN_STATUS, "target_count": INTEGER,
}
SUMMARY_REQUIRED = ["campaign_id", "name", "start_date", "deadline", "guideline_version", "status", "target_count"]
CAMPAIGN = obj(
    [*SUMMARY_REQUIRED, "guideline", "pack", "created_at", "updated_at"],
    {
        **SUMMARY_PROPERTIES,
        "guideline": ref("Guideline"),
        "pack": {**array(STRING), "description": "the names of the pack files uploaded so far"},
        "created_at": TIMESTAMP, "updated_at": TIMESTAMP,
        "pack_links": {"type": "object", "additionalProperties": LINK, "description": "GET only: a link per pack file"},
        "schedule": {
            "type": "object", "description": "GET by a store only: the store's own start and deadline, in its timezone",
            "additionalProperties": obj(["starts_at", "deadline_at", "timezone", "state"], {
                "starts_at": TIMESTAMP, "deadline_at": TIMESTAMP, "timezone": STRING, "state": {"type": "string", "enum": STATES},
            }),
        },
    },
)
SUBMISSION_CREATED = obj(["submission_id", "upload", "expires_in", "max_bytes"], {
    "submission_id": STRING, "upload": ref("Upload"),
    "expires_in": {**INTEGER, "description": "seconds the upload link lasts"},
    "max_bytes": INTEGER,
}, "The presigned POST for the photo: send the fields, then the photo as the field 'file'.")
EXPORT_KINDS = {"type": "string", "enum": ["results", "labels"]}

RESPONSE_SCHEMAS: dict[str, Schema] = {
    "Error": ERROR,
    "GatewayError": obj(["message"], {"message": STRING}, "API Gateway's own answer (AWS), before the function runs."),
    "Targets": TARGETS_OUT,
    "CampaignSummary": obj(SUMMARY_REQUIRED, {
        **SUMMARY_PROPERTIES,
        "deadline_at": {**TIMESTAMP, "description": "stores only: the deadline in the store's timezone"},
        "state": {"type": "string", "enum": STATES, "description": "stores only: the store's outcome"},
    }),
    "CampaignList": page("campaigns", ref("CampaignSummary")),
    "Campaign": CAMPAIGN,
    "Upload": UPLOAD,
    "PackUpload": obj(["name", "upload", "expires_in"], {"name": STRING, "upload": ref("Upload"), "expires_in": INTEGER}),
    "Published": obj(["campaign_id", "status", "target_count", "new_targets", "guideline_version"], {
        "campaign_id": STRING, "status": {"type": "string", "const": "published"}, "target_count": INTEGER,
        "new_targets": INTEGER, "guideline_version": INTEGER,
    }),
    "Closed": obj(["campaign_id", "status"], {"campaign_id": STRING, "status": {"type": "string", "const": "closed"}}),
    "GuidelineVersions": page("versions", obj(["version", "created_at", "rules"], {
        "version": INTEGER, "created_at": TIMESTAMP, "rules": {**INTEGER, "description": "how many rules"},
    })),
    "GuidelineVersion": obj(["version", "created_at", "guideline"], {
        "version": INTEGER, "created_at": TIMESTAMP, "guideline": ref("Guideline"),
    }),
    "RerunQueued": obj(["campaign_id", "guideline_version", "status"], {
        "campaign_id": STRING, "guideline_version": INTEGER, "status": {"type": "string", "const": "queued"},
    }),
    "StoresImported": obj(["imported"], {"imported": INTEGER}),
    "Store": obj(["store_id", "name", "region", "cluster", "timezone"], {
        "store_id": STRING, "name": STRING, "region": STRING, "cluster": STRING, "timezone": STRING,
    }),
    "StoreList": page("stores", ref("Store")),
    "SubmissionCreated": SUBMISSION_CREATED,
    "Threshold": THRESHOLD,
    "RuleResult": RULE_RESULT,
    "AnalysisResult": RESULT,
    "Review": REVIEW,
    "Submission": obj(
        ["submission_id", "campaign_id", "store_id", "status", "created_at", "updated_at", "guideline_version", "review",
         "overrides", "featured", "images"],
        {
            "submission_id": STRING, "campaign_id": STRING, "store_id": STRING,
            "status": {"type": "string", "enum": SUBMISSION_STATUSES},
            "created_at": TIMESTAMP, "updated_at": TIMESTAMP, "guideline_version": INTEGER,
            "reason": {**STRING, "description": "rejected or error: why, in words for the store"},
            "reason_code": {**STRING, "description": "rejected or error"},
            "result": {**ref("AnalysisResult"), "description": "done only"},
            "review": ref("Review"),
            "overrides": {"type": "object", "additionalProperties": obj(["model", "reviewer", "by", "at"], LABEL)},
            "featured": BOOLEAN,
            "previous_submission_id": {**STRING, "description": "a retake: the photo it replaces"},
            "retaken_by": {**STRING, "description": "the retake that replaces this photo"},
            "images": {
                "type": "object", "additionalProperties": LINK,
                "description": "links by name: original (once uploaded), normalised, thumbnail, overlay (once analysed)",
            },
        },
    ),
    "Gallery": page("submissions", obj(
        ["submission_id", "store_id", "region", "status", "verdict", "score", "failed_rules", "review_status", "created_at",
         "thumbnail"],
        {
            "submission_id": STRING, "store_id": STRING, "region": nullable(STRING),
            "status": {"type": "string", "enum": SUBMISSION_STATUSES},
            "verdict": nullable({"type": "string", "enum": VERDICTS}),
            "score": nullable(NUMBER),
            "failed_rules": array(STRING),
            "review_status": {"type": "string", "enum": REVIEW_STATES},
            "created_at": TIMESTAMP,
            "thumbnail": nullable(LINK),
        },
    )),
    "AuditEvent": obj(["action", "by", "at"], {
        "action": {**STRING, "description": "review:approve|reject|retake, override, comment, feature, unfeature"},
        "by": STRING, "at": TIMESTAMP,
        "comment": STRING, "text": STRING, "rule_id": STRING, "model": STRING, "reviewer": STRING,
    }),
    "History": page("events", ref("AuditEvent")),
    "Override": obj(["rule_id", "model", "reviewer", "value", "by", "at", "comment"], {"rule_id": STRING, **LABEL}),
    "Featured": obj(["submission_id", "featured"], {"submission_id": STRING, "featured": BOOLEAN}),
    "Showcase": page("windows", obj(["submission_id", "campaign_id", "store_id", "featured_at", "image"], {
        "submission_id": STRING, "campaign_id": STRING, "store_id": STRING, "featured_at": TIMESTAMP,
        "image": nullable(LINK),
    })),
    "Notifications": page("notifications", obj(["type", "at", "payload"], {
        "type": {**STRING, "description": "analysis.finished or review.decided"},
        "at": TIMESTAMP,
        "payload": {"type": "object"},
    })),
    "Rates": RATES,
    "RuleRate": RULE_RATE,
    "CampaignCompliance": obj(
        ["campaign_id", "name", "status", "deadline", "guideline_version", "overall", "regions", "rules"],
        {
            "campaign_id": STRING, "name": STRING, "status": CAMPAIGN_STATUS, "deadline": DATE, "guideline_version": INTEGER,
            "overall": ref("Rates"),
            "regions": array({"allOf": [ref("Rates"), obj(["region"], {"region": STRING})]}),
            "rules": array(ref("RuleRate")),
        },
    ),
    "StoreOutcome": STORE_OUTCOME,
    "StoreOutcomes": page("stores", ref("StoreOutcome")),
    "MissingStores": page("stores", {"allOf": [ref("StoreOutcome"), obj(["past_deadline"], {"past_deadline": BOOLEAN})]}),
    "Trends": obj(["region", "weeks", "total"], {
        "region": nullable(STRING),
        "weeks": array({"allOf": [ref("Rates"), obj(["week", "rules"], {
            "week": {**STRING, "description": "ISO week of the campaigns' start, e.g. 2026-W47"},
            "rules": array(ref("RuleRate")),
        })]}),
        "total": ref("Rates"),
    }),
    "StoreCompliance": obj(["store_id", "campaigns", "total"], {
        "store_id": STRING, "campaigns": array(ref("StoreOutcome")), "total": ref("Rates"),
    }),
    "Agreement": obj(["campaign_id", "rules", "min_labels"], {
        "campaign_id": nullable(STRING),
        "rules": array(obj(["rule_id", "labelled", "overridden", "override_rate", "precision", "recall", "confusion",
                            "threshold"], {
            "rule_id": STRING, "labelled": INTEGER, "overridden": INTEGER,
            "override_rate": nullable(NUMBER), "precision": nullable(NUMBER), "recall": nullable(NUMBER),
            "confusion": array(obj(["model", "reviewer", "count"], {"model": STRING, "reviewer": STRING, "count": INTEGER})),
            "threshold": obj(["suggested"], {
                "suggested": nullable(NUMBER), "reason": STRING, "bound": {"type": "string", "enum": ["min", "max"]},
                "current": nullable(NUMBER), "labelled": INTEGER,
                "agreement_at_current": nullable(NUMBER), "agreement_at_suggested": NUMBER,
            }, "a suggested bound for the rule, or the reason there is none"),
        })),
        "min_labels": INTEGER,
    }),
    "ExportStarted": obj(["export_id", "status", "kind", "campaign_id"], {
        "export_id": STRING, "status": {"type": "string", "const": "queued"}, "kind": EXPORT_KINDS, "campaign_id": STRING,
    }),
    "Export": obj(["export_id", "kind", "campaign_id", "status", "created_at"], {
        "export_id": STRING, "kind": EXPORT_KINDS, "campaign_id": STRING,
        "status": {"type": "string", "enum": ["queued", "done"]},
        "created_at": TIMESTAMP,
        "rows": {**INTEGER, "description": "done only"},
        "finished_at": {**TIMESTAMP, "description": "done only"},
        "download": {**LINK, "description": "done only: the CSV"},
    }),
}


# --- errors -----------------------------------------------------------------------------------------

ERROR_RESPONSES: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "The request is invalid; the message names the field or parameter to fix."),
    401: ("Unauthorized", "No token, or an expired or invalid one: sign in again."),
    403: ("Forbidden", "The caller's role or scope does not allow this."),
    404: ("NotFound", "No such resource, or not one the caller may see."),
    409: ("Conflict", "The resource is in a state that does not allow this now (the message says which)."),
    415: ("UnsupportedMediaType", ("The request declares a Content-Type this route does not accept (any request "
                                   "that declares one, a GET too, is checked).")),
    422: ("Unprocessable", "Well-formed, but it cannot be done with the data as it is (the message says what is missing)."),
    500: ("InternalError", "Something went wrong on the service's side; the request can be retried."),
}


def _error_response(status: int) -> dict[str, Any]:
    _, description = ERROR_RESPONSES[status]
    schema = ref("Error")
    if status == 401:
        description += " In AWS, API Gateway answers {\"message\": \"Unauthorized\"} before the function runs."
        schema = {"anyOf": [ref("Error"), ref("GatewayError")]}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


# --- parameters ---------------------------------------------------------------------------------------

EXAMPLE_SUBMISSION_ID = "sub_01JD3Q9V6KX4M2N8P5R7S0T1W2"
EXAMPLE_SIGNATURE = "9c1e4f0a" * 8

PATH_PARAMETERS: dict[str, Schema] = {
    "campaign_id": {"schema": {"type": "string", "pattern": CLIENT_ID_PATTERN}, "description": "chosen by HQ",
                    "example": "autumn-2026"},
    "submission_id": {"schema": {"type": "string", "pattern": SUBMISSION_ID.pattern}, "description": "chosen by the service",
                      "example": EXAMPLE_SUBMISSION_ID},
    "version": {"schema": {"type": "integer", "minimum": 1}, "description": "a guideline version of the campaign", "example": 1},
    "store_id": {"schema": {"type": "string"}, "example": "S001"},
    "export_id": {"schema": {"type": "string", "pattern": r"^exp_[0-9A-HJKMNP-TV-Z]{26}$"},
                  "description": "chosen by the service", "example": "exp_01JD3Q9V6KX4M2N8P5R7S0T1W2"},
    "name": {"schema": {"type": "string", "pattern": r"^[a-z0-9][a-z0-9_-]*\.(html|js|css|svg|png|json)$"},
             "description": "a file of the pages", "example": "gallery.js"},
}

QUERY_PARAMETERS: dict[str, Schema] = {
    "cursor": {"schema": STRING, "description": "the cursor of the previous page, unchanged"},
    "region": {"schema": STRING, "description": "a region id: only that region's"},
    "state": {"schema": {"type": "string", "enum": STATES}, "description": "only the stores in this state"},
    "from": {"schema": DATE, "description": "campaigns that start on or after this date"},
    "to": {"schema": DATE, "description": "campaigns that start on or before this date"},
    "campaign_id": {"schema": {"type": "string", "pattern": CLIENT_ID_PATTERN}, "description": "one campaign's"},
    "store_id": {"schema": STRING, "description": "one store's id"},
    "key": {"schema": STRING, "description": "part of the signed link",
            "example": f"derived/{EXAMPLE_SUBMISSION_ID}/thumbnail.jpg"},
    "expires": {"schema": STRING, "description": "part of the signed link (unix time)", "example": "1795600000"},
    "signature": {"schema": STRING, "description": "part of the signed link", "example": EXAMPLE_SIGNATURE},
}


def limit(default: int, maximum: int) -> tuple[str, int, int]:
    return ("limit", default, maximum)


# --- the operations -------------------------------------------------------------------------------------

JSON = "application/json"


@dataclass(frozen=True)
class Operation:
    summary: str
    permission: str | None  # as registered in app.py; None: PUBLIC
    tag: str
    responses: dict[int, Any]  # status -> schema of the JSON body, or a full response object (dict with "content")
    errors: tuple[int, ...] = ()
    query: tuple[Any, ...] = ()  # names of QUERY_PARAMETERS, or limit(default, maximum)
    body: dict[str, Any] | None = None  # media type -> schema
    body_required: bool = True
    description: str = ""
    examples: dict[str, Any] = field(default_factory=dict)  # media type -> example body


def _html(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"text/html": {"schema": STRING}}}


AUTH = (401, 403)


def paged(default: int, maximum: int) -> tuple[Any, ...]:
    return (limit(default, maximum), "cursor")


CAMPAIGN_EXAMPLE = {
    "name": "Autumn 2026 window",
    "start_date": "2026-11-01",
    "deadline": "2026-11-08",
    "targets": {"regions": ["north"], "stores": ["S001"]},
    "guideline": {
        "version": 1,
        "name": "Autumn 2026 window",
        "rules": [{"id": "photo-sharp", "type": "photo_quality", "message": "The photo is blurry: hold the phone still.",
                   "parameters": {"check": "sharpness"}},
                  {"id": "window-lit", "type": "lighting", "zone": "centre", "message": "Switch on the window lights.",
                   "parameters": {"min_ratio": 1.15}}],
    },
}

OPERATIONS: dict[tuple[str, str], Operation] = {
    # campaigns
    ("GET", "/campaigns"): Operation(
        "List campaigns, newest start first", "campaigns:read", "campaigns", {200: ref("CampaignList")},
        (400, *AUTH), ("store_id", *paged(50, campaigns.MAX_LIST)),
        description="HQ and merchandisers see every campaign; a store user the published ones its store is in, with the "
                    "store's own deadline and state (a user of several stores names one with ?store_id=, which HQ and "
                    "merchandisers need not send)."),
    ("PUT", "/campaigns/{campaign_id}"): Operation(
        "Create (201) or replace (200) a campaign", "campaigns:write", "campaigns",
        {200: ref("Campaign"), 201: ref("Campaign")}, (400, *AUTH, 409), body={JSON: ref("CampaignIn")},
        description="A changed guideline is a new version (the old ones are kept). A published campaign's targets may only "
                    "grow and its dates are fixed; a closed campaign cannot change.",
        examples={JSON: CAMPAIGN_EXAMPLE}),
    ("GET", "/campaigns/{campaign_id}"): Operation(
        "A campaign with its guideline (defaults written out) and links to its pack", "campaigns:read", "campaigns",
        {200: ref("Campaign")}, (400, *AUTH, 404),
        description="A store sees a published campaign it is in, with its own schedule instead of the targets."),
    ("POST", "/campaigns/{campaign_id}/pack"): Operation(
        "An upload link for a file of the guideline pack", "campaigns:write", "campaigns", {201: ref("PackUpload")},
        (400, *AUTH, 404, 409), body={JSON: ref("PackFileIn")},
        description="An artwork or a reference photo (JPEG, PNG or WebP), named as the rules name it; the storage key is "
                    "the service's own. A name the pack already has is replaced.",
        examples={JSON: {"name": "warm-layers.png", "content_type": "image/png"}}),
    ("POST", "/campaigns/{campaign_id}/publish"): Operation(
        "Publish a campaign to its target stores", "campaigns:write", "campaigns", {200: ref("Published")},
        (400, *AUTH, 404, 409, 422),
        description="Checks the pack, resolves the targets against the store list and opens the campaign to those stores. "
                    "Safe to repeat; publishing again after adding targets reaches the new stores."),
    ("POST", "/campaigns/{campaign_id}/close"): Operation(
        "Close a campaign: no more photos", "campaigns:write", "campaigns", {200: ref("Closed")}, (400, *AUTH, 404, 409)),
    ("GET", "/campaigns/{campaign_id}/guidelines"): Operation(
        "The guideline versions of a campaign, newest first", "campaigns:read", "campaigns", {200: ref("GuidelineVersions")},
        (400, *AUTH, 404), paged(50, campaigns.MAX_LIST)),
    ("GET", "/campaigns/{campaign_id}/guidelines/{version}"): Operation(
        "One guideline version of a campaign", "campaigns:read", "campaigns", {200: ref("GuidelineVersion")},
        (400, *AUTH, 404)),
    ("POST", "/campaigns/{campaign_id}/rerun"): Operation(
        "Judge the campaign's analysed photos again by its current guideline", "campaigns:write", "campaigns",
        {202: ref("RerunQueued")}, (400, *AUTH, 404, 409),
        description="A background job: photos judged by an older version go back to the analysis queue."),
    # stores
    ("PUT", "/stores"): Operation(
        "Import the store list (an upsert)", "stores:write", "stores", {200: ref("StoresImported")}, (400, *AUTH),
        body={
            JSON: {"type": "array", "items": ref("StoreIn"), "minItems": 1, "maxItems": stores.MAX_IMPORT},
            "text/csv": {"type": "string",
                         "description": "a header line store_id,name,region,cluster,timezone, then a store a line"},
        },
        description="Every row is checked before any is written; errors name the row and field.",
        examples={JSON: [{"store_id": "S001", "name": "Milano Duomo", "region": "north", "cluster": "flagship",
                          "timezone": "Europe/Rome"}],
                  "text/csv": "store_id,name,region,cluster,timezone\nS001,Milano Duomo,north,flagship,Europe/Rome\n"}),
    ("GET", "/stores"): Operation(
        "List stores by id, or one region's", "stores:read", "stores", {200: ref("StoreList")}, (400, *AUTH),
        ("region", *paged(100, stores.MAX_PAGE)),
        description="A merchandiser lists its own regions' stores only (?region= when it has several)."),
    # submissions
    ("POST", "/campaigns/{campaign_id}/submissions"): Operation(
        "Start a submission: an upload link for a window photo", "submissions:create", "submissions",
        {201: ref("SubmissionCreated")}, (400, *AUTH, 404, 409, 422), body={JSON: ref("SubmissionIn")},
        description=f"content_type is one of {', '.join(UPLOAD_TYPES)}. The campaign must be published and started in the "
                    "store's timezone; a store acts for its own store only.",
        examples={JSON: {"store_id": "S001", "content_type": "image/jpeg"}}),
    ("GET", "/submissions/{submission_id}"): Operation(
        "A submission: status, result when analysed, review, image links", "submissions:read", "submissions",
        {200: ref("Submission")}, (*AUTH, 404)),
    ("POST", "/submissions/{submission_id}/retake"): Operation(
        "A retake: a new submission for the same campaign and store, linked both ways", "submissions:create", "submissions",
        {201: ref("SubmissionCreated")}, (400, *AUTH, 404, 409, 422), body={JSON: ref("RetakeIn")}, body_required=False,
        examples={JSON: {"content_type": "image/jpeg"}}),
    ("GET", "/submissions/{submission_id}/history"): Operation(
        "The audit trail of a submission, oldest first", "submissions:read", "review", {200: ref("History")}, (*AUTH, 404)),
    ("GET", "/showcase"): Operation(
        "The featured windows of the whole network, most recent first", "showcase:read", "review", {200: ref("Showcase")},
        (400, *AUTH), paged(24, review.MAX_PAGE)),
    ("GET", "/notifications"): Operation(
        "The local backend's outbox of events, newest first", "submissions:read", "submissions",
        {200: ref("Notifications")}, (400, *AUTH, 404), ("store_id", "cursor"),
        description="Local backend only (404 in AWS, where the events go to the SNS topic). A store or merchandiser reads "
                    "its own store's with ?store_id=."),
    # review
    ("GET", "/campaigns/{campaign_id}/submissions"): Operation(
        "The gallery: a campaign's submissions, newest first", "submissions:review", "review", {200: ref("Gallery")},
        (400, *AUTH, 404), ("region", *paged(50, review.MAX_PAGE)),
        description="A merchandiser sees its own regions, one at a time (?region= when it has several)."),
    ("POST", "/submissions/{submission_id}/review"): Operation(
        "Decide on a submission: approve, reject or ask for a retake", "submissions:review", "review", {200: ref("Review")},
        (400, *AUTH, 404, 409), body={JSON: ref("DecisionIn")},
        description="409 while the photo is still being analysed. The store is told (review.decided).",
        examples={JSON: {"decision": "approve", "comment": "Well done."}}),
    ("POST", "/submissions/{submission_id}/overrides"): Operation(
        "Override a rule's status: a label for calibration", "submissions:review", "review", {201: ref("Override")},
        (400, *AUTH, 404, 409), body={JSON: ref("OverrideIn")},
        examples={JSON: {"rule_id": "photo-sharp", "status": "pass", "comment": "sharp enough"}}),
    ("POST", "/submissions/{submission_id}/comments"): Operation(
        "Comment on a submission", "submissions:review", "review", {201: ref("AuditEvent")}, (400, *AUTH, 404),
        body={JSON: ref("CommentIn")}, examples={JSON: {"text": "The poster is a little low."}}),
    ("POST", "/submissions/{submission_id}/feature"): Operation(
        "Put an analysed window in the showcase, or take it out", "submissions:review", "review", {200: ref("Featured")},
        (400, *AUTH, 404, 409), body={JSON: ref("FeatureIn")}, examples={JSON: {"featured": True}}),
    # compliance
    ("GET", "/compliance/campaigns/{campaign_id}"): Operation(
        "A campaign's compliance: rates overall, by region and by rule", "analytics:read", "compliance",
        {200: ref("CampaignCompliance")}, (400, *AUTH, 404)),
    ("GET", "/compliance/campaigns/{campaign_id}/stores"): Operation(
        "A campaign's stores with their outcome, by state", "analytics:read", "compliance", {200: ref("StoreOutcomes")},
        (400, *AUTH, 404), ("state", "region", *paged(100, analytics.MAX_PAGE))),
    ("GET", "/compliance/campaigns/{campaign_id}/missing"): Operation(
        "A campaign's stores with no usable photo (none yet, or the last one must be retaken)", "analytics:read",
        "compliance", {200: ref("MissingStores")}, (400, *AUTH, 404), ("region", *paged(100, analytics.MAX_PAGE))),
    ("GET", "/compliance/trends"): Operation(
        "Rates by week of campaign start, network-wide or for a region", "analytics:read", "compliance",
        {200: ref("Trends")}, (400, *AUTH), ("region", "from", "to")),
    ("GET", "/compliance/stores/{store_id}"): Operation(
        "A store's outcome in every campaign it was in, and its rates", "analytics:read", "compliance",
        {200: ref("StoreCompliance")}, (400, *AUTH), ("from", "to")),
    ("GET", "/compliance/agreement"): Operation(
        "Reviewer–model agreement per rule, with suggested thresholds", "analytics:read", "compliance",
        {200: ref("Agreement")}, (400, *AUTH, 404), ("campaign_id", "from", "to"),
        description="For one campaign, or for the campaigns that started in a date range."),
    ("POST", "/exports"): Operation(
        "Start an export (CSV) of a campaign's results or labels", "exports", "compliance", {202: ref("ExportStarted")},
        (400, *AUTH, 404), body={JSON: ref("ExportIn")},
        description="A background job; GET /exports/{export_id} until it is done, then follow the download link.",
        examples={JSON: {"kind": "results", "campaign_id": "autumn-2026"}}),
    ("GET", "/exports/{export_id}"): Operation(
        "An export: its status, and a download link once done", "exports", "compliance", {200: ref("Export")}, (*AUTH, 404)),
    # pages and this document
    ("GET", "/"): Operation("The store's page", None, "pages", {200: _html("the page")}),
    ("GET", "/gallery"): Operation("The merchandisers' gallery page", None, "pages", {200: _html("the page")}),
    ("GET", "/review"): Operation("The review page (?submission=...)", None, "pages", {200: _html("the page")}),
    ("GET", "/static/{name}"): Operation(
        "A file of the pages (HTML, JS, CSS, SVG, PNG, JSON)", None, "pages",
        {200: {"description": "the file", "content": {
            media: {"schema": STRING} for media in
            ("text/html", "text/javascript", "text/css", "image/svg+xml", "image/png", "application/json")}}},
        (404,)),
    ("GET", "/openapi.json"): Operation(
        "This document", None, "pages", {200: {"type": "object", "required": ["openapi", "info", "paths"]}}),
    # the local backend's stand-ins for S3
    ("POST", "/local/uploads"): Operation(
        "Local backend: the form upload of a presigned POST, as S3 takes it", None, "local",
        {204: {"description": "stored; Location names the key", "headers": {"Location": {"schema": STRING}}}},
        (400, 403, 404),
        body={"multipart/form-data": obj(["key", "Content-Type", "policy", "x-vetrina-signature", "file"], {
            "key": STRING, "Content-Type": STRING, "policy": STRING, "x-vetrina-signature": STRING,
            "file": {"type": "string", "format": "binary", "description": "the photo, the last field"},
        })},
        description="Send the fields the upload link came with, unchanged, then the file. The signed policy fixes the key, "
                    "content type, size and expiry (403 when a field does not match it). 404 in AWS, where the browser "
                    "posts to S3.",
        examples={"multipart/form-data": {
            "key": f"incoming/{EXAMPLE_SUBMISSION_ID}", "Content-Type": "image/jpeg",
            "policy": "eyJleHBpcmF0aW9uIjogIjIwMjYtMTEtMjVUMTA6MDA6MDBaIn0=", "x-vetrina-signature": EXAMPLE_SIGNATURE,
            "file": "(the photo)"}}),
    ("GET", "/local/blobs"): Operation(
        "Local backend: a file behind a short-lived signed link", None, "local",
        {200: {"description": "the file, with its content type",
               "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}}},
        (403, 404), ("key", "expires", "signature"),
        description="403 when the signature does not match or the link has expired; 404 when the file is not there "
                    "(or in AWS, where links point at S3)."),
}

PUBLIC_REQUIRED_QUERY = {("GET", "/local/blobs")}  # signed links always carry all three parts

TAGS = [
    {"name": "campaigns", "description": "HQ publishes campaigns: the guideline, the pack and the stores"},
    {"name": "stores", "description": "The store list"},
    {"name": "submissions", "description": "Stores photograph their windows"},
    {"name": "review", "description": "Merchandisers review the photos; the showcase"},
    {"name": "compliance", "description": "HQ's numbers and exports"},
    {"name": "pages", "description": "The pages and this document (no sign-in)"},
    {"name": "local", "description": "The local backend's stand-ins for S3's upload and download endpoints (signed, no sign-in)"},
]

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

_PATH_PARAMETER = re.compile(r"{([^}]+)}")
SUCCESS = {200: "OK", 201: "Created", 202: "Accepted: the job is queued"}


def _roles(permission: str | None) -> list[str]:
    return sorted(PERMISSIONS[permission]) if permission is not None else []


def _parameters(method: str, path: str, op: Operation) -> list[dict[str, Any]]:
    out = []
    for name in _PATH_PARAMETER.findall(path):
        spec = PATH_PARAMETERS[name]
        out.append({"name": name, "in": "path", "required": True, **copy.deepcopy(spec)})
    for item in op.query:
        if isinstance(item, tuple):
            _, default, maximum = item
            out.append({"name": "limit", "in": "query", "required": False, "description": "page size",
                        "schema": {"type": "integer", "minimum": 1, "maximum": maximum, "default": default}})
        else:
            spec = QUERY_PARAMETERS[item]
            out.append({"name": item, "in": "query", "required": (method, path) in PUBLIC_REQUIRED_QUERY,
                        **copy.deepcopy(spec)})
    return out


def _responses(op: Operation) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for status, schema in op.responses.items():
        if "content" in schema or "headers" in schema:  # a whole response object
            out[str(status)] = copy.deepcopy(schema)
        else:
            out[str(status)] = {"description": SUCCESS[status], "content": {JSON: {"schema": schema}}}
    for status in sorted({*op.errors, 415, 500}):
        out[str(status)] = {"$ref": f"#/components/responses/{ERROR_RESPONSES[status][0]}"}
    return out


def _operation(method: str, path: str, op: Operation) -> dict[str, Any]:
    roles = _roles(op.permission)
    who = f"Roles: {', '.join(roles)}." if roles else "Public: no sign-in."
    out: dict[str, Any] = {
        "operationId": _operation_id(method, path),
        "summary": op.summary,
        "description": f"{op.description}\n\n{who}".strip(),
        "tags": [op.tag],
        "security": [{"bearerAuth": []}] if op.permission is not None else [],
        "x-permission": op.permission,
        "x-roles": roles,
        "parameters": _parameters(method, path, op),
        "responses": _responses(op),
    }
    if op.body is not None:
        content = {}
        for media, schema in op.body.items():
            content[media] = {"schema": copy.deepcopy(schema)}
            if media in op.examples:
                content[media]["example"] = copy.deepcopy(op.examples[media])
        out["requestBody"] = {"required": op.body_required, "content": content}
    if not out["parameters"]:
        del out["parameters"]
    return out


def _operation_id(method: str, path: str) -> str:
    words = [w.strip("{}") for w in re.split(r"[/.]", path) if w] or ["root"]
    return method.lower() + "".join(w[:1].upper() + w[1:] for w in ("_".join(words)).split("_"))


@functools.lru_cache(maxsize=1)
def _document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for (method, path), op in OPERATIONS.items():
        paths.setdefault(path, {})[method.lower()] = _operation(method, path, op)
    schemas = _model_schemas()
    for name, schema in RESPONSE_SCHEMAS.items():
        _add(schemas, name, schema)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": "Vetrina", "version": API_VERSION, "description": DESCRIPTION,
                 "summary": "Visual-merchandising compliance: shop-window photos judged against a campaign's guideline"},
        "servers": [{"url": "/"}],
        "tags": TAGS,
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearerAuth": {
                "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                "description": "In AWS a Cognito ID token; locally a token minted by `python -m chalicelib.devtools.cli token` "
                               "(claims of Cognito's shape: cognito:groups is the role, custom:stores and "
                               "custom:regions the scope).",
            }},
            "schemas": dict(sorted(schemas.items())),
            "responses": {name: _error_response(status) for status, (name, _) in ERROR_RESPONSES.items()},
        },
    }


def document() -> dict[str, Any]:
    """The OpenAPI document of the whole API (a fresh copy: callers may change it)."""
    return copy.deepcopy(_document())

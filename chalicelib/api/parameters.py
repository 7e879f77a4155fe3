"""The parameters several routes share: path parameters by name (a route's path names them), and
the query parameters the routes declare (chalicelib.api.http.Param). The examples name the data
the schemathesis run is seeded with (tests/api/test_openapi.py)."""

from __future__ import annotations

from typing import Any

from chalicelib.api.http import Param
from chalicelib.core.ids import CLIENT_ID_PATTERN, SUBMISSION_ID, TRIAL_ID
from chalicelib.core.vocabulary import OUTCOME_STATES

EXAMPLE_SUBMISSION_ID = "sub_01JD3Q9V6KX4M2N8P5R7S0T1W2"

PATH_PARAMETERS: dict[str, dict[str, Any]] = {
    "campaign_id": {
        "schema": {"type": "string", "pattern": CLIENT_ID_PATTERN},
        "description": "chosen by HQ",
        "example": "autumn-2026",
    },
    "submission_id": {
        "schema": {"type": "string", "pattern": SUBMISSION_ID.pattern},
        "description": "chosen by the service",
        "example": EXAMPLE_SUBMISSION_ID,
    },
    "version": {"schema": {"type": "integer", "minimum": 1}, "description": "a guideline version of the campaign", "example": 1},
    "store_id": {"schema": {"type": "string"}, "example": "S001"},
    "rule_id": {
        "schema": {"type": "string", "pattern": CLIENT_ID_PATTERN},
        "description": "a rule of the guideline",
        "example": "photo-sharp",
    },
    "export_id": {
        "schema": {"type": "string", "pattern": r"^exp_[0-9A-HJKMNP-TV-Z]{26}$"},
        "description": "chosen by the service",
        "example": "exp_01JD3Q9V6KX4M2N8P5R7S0T1W2",
    },
    "trial_id": {
        "schema": {"type": "string", "pattern": TRIAL_ID.pattern},
        "description": "chosen by the service",
        "example": "trl_01JD3Q9V6KX4M2N8P5R7S0T1W2",
    },
    "name": {
        "schema": {"type": "string", "pattern": r"^[a-z0-9][a-z0-9_-]*\.(html|js|css|svg|png|json)$"},
        "description": "a file of the pages",
        "example": "gallery.js",
    },
}

DATE = {"type": "string", "format": "date"}

REGION = Param("region", {"type": "string"}, "a region id: only that region's")
STATE = Param("state", {"type": "string", "enum": list(OUTCOME_STATES)}, "only the stores in this state")
FROM = Param("from", DATE, "campaigns that start on or after this date")
TO = Param("to", DATE, "campaigns that start on or before this date")
CAMPAIGN_ID = Param("campaign_id", {"type": "string", "pattern": CLIENT_ID_PATTERN}, "one campaign's")
STORE_ID = Param("store_id", {"type": "string"}, "one store's id")
FAILED_RULE = Param(
    "rule_id", {"type": "string", "pattern": CLIENT_ID_PATTERN}, "only the stores whose latest photo fails this rule"
)
REVIEWED = Param(
    "review", {"type": "string", "enum": ["open", "reviewed"]}, "open: nobody has decided on the latest photo yet; reviewed"
)

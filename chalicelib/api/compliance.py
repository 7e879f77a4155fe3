"""Compliance: HQ's numbers (a campaign's rates, its stores' outcomes, trends, a store's record,
reviewer-model agreement) and the CSV exports."""

from __future__ import annotations

from chalice import Response

from chalicelib.api import http, schemas
from chalicelib.api.http import AUTH, paged
from chalicelib.api.parameters import CAMPAIGN_ID, FROM, REGION, STATE, TO
from chalicelib.services.analytics import MAX_PAGE
from chalicelib.services.jobs import ExportIn
from chalicelib.services.reminders import ReminderIn
from chalicelib.wiring import services

compliance = http.Resource(__name__)
route = http.Routes(compliance, http.Tag("compliance", "HQ's numbers and exports"))


@route(
    "/compliance/campaigns/{campaign_id}",
    "GET",
    "analytics:read",
    summary="A campaign's compliance: rates overall, by region and by rule",
    response={200: schemas.CampaignCompliance},
    errors=(400, *AUTH, 404),
    description="A merchandiser reads the published campaigns that reach its regions, every figure from its "
    "regions' counters only (scope names them); HQ the whole network (scope is null).",
)
def campaign_compliance(caller, campaign_id: str) -> Response:
    return http.respond(services().analytics.campaign(caller, campaign_id))


@route(
    "/compliance/campaigns/{campaign_id}/stores",
    "GET",
    "analytics:read",
    summary="A campaign's stores with their outcome, by state",
    description="A merchandiser lists one of its regions at a time (?region= when it has several).",
    query=(STATE, REGION, *paged(100, MAX_PAGE)),
    response={200: schemas.StoreOutcomes},
    errors=(400, *AUTH, 404),
)
def campaign_store_outcomes(caller, campaign_id: str, query) -> Response:
    return http.respond(
        services().analytics.stores(caller, campaign_id, state=query["state"], region=query["region"], **query.page())
    )


@route(
    "/compliance/campaigns/{campaign_id}/missing",
    "GET",
    "analytics:read",
    summary="A campaign's stores with no usable photo (none yet, or the last one must be retaken)",
    description="A merchandiser lists one of its regions at a time (?region= when it has several).",
    query=(REGION, *paged(100, MAX_PAGE)),
    response={200: schemas.MissingStores},
    errors=(400, *AUTH, 404),
)
def campaign_missing_stores(caller, campaign_id: str, query) -> Response:
    return http.respond(services().analytics.missing(caller, campaign_id, region=query["region"], **query.page()))


@route(
    "/compliance/campaigns/{campaign_id}/rules",
    "GET",
    "analytics:read",
    summary="A campaign's rules by how much their pass rates differ across regions (and stores)",
    response={200: schemas.RuleSpreads},
    errors=(400, *AUTH, 404),
    description="From the campaign's counters: per rule, the pass rate overall and per region, the range of the "
    "regional rates and the spread across stores; the rules where regions differ most first.",
)
def campaign_rule_spread(caller, campaign_id: str) -> Response:
    return http.respond(services().analytics.rule_spread(caller, campaign_id))


@route(
    "/compliance/campaigns/{campaign_id}/reminders",
    "POST",
    "reminders",
    body=ReminderIn,
    summary="Remind stores without a usable photo (missing or retake) of the campaign",
    response={200: schemas.RemindersSent},
    errors=(400, *AUTH, 404, 409),
    description="Publishes a reminder.sent event per store (the outbox locally, the SNS topic in AWS) and keeps its "
    "time, which the stores and missing lists show as reminded_at. Stores that have a photo, or are not "
    "in the campaign, are skipped.",
    example={"store_ids": ["S001"], "message": "The deadline is near: please send your window photo."},
)
def send_reminders(caller, campaign_id: str) -> Response:
    return http.respond(services().reminders.send(caller, campaign_id, route.json_body()))


@route(
    "/compliance/trends",
    "GET",
    "analytics:read",
    summary="Rates by week of campaign start, network-wide or for a region",
    description="A merchandiser reads one of its regions (?region= when it has several).",
    query=(REGION, FROM, TO),
    response={200: schemas.Trends},
    errors=(400, *AUTH),
)
def compliance_trends(caller, query) -> Response:
    return http.respond(services().analytics.trends(caller, region=query["region"], date_from=query["from"], date_to=query["to"]))


@route(
    "/compliance/stores/{store_id}",
    "GET",
    "analytics:read",
    summary="A store's outcome in every campaign it was in, and its rates",
    query=(FROM, TO),
    response={200: schemas.StoreCompliance},
    errors=(400, *AUTH),
)
def store_compliance(caller, store_id: str, query) -> Response:
    return http.respond(services().analytics.store(caller, store_id, date_from=query["from"], date_to=query["to"]))


@route(
    "/compliance/agreement",
    "GET",
    "analytics:network",
    summary="Reviewer–model agreement per rule, with suggested thresholds",
    query=(CAMPAIGN_ID, FROM, TO),
    response={200: schemas.Agreement},
    errors=(400, *AUTH, 404),
    description="For one campaign, or for the campaigns that started in a date range.",
)
def reviewer_agreement(caller, query) -> Response:
    return http.respond(
        services().analytics.agreement(campaign_id=query["campaign_id"], date_from=query["from"], date_to=query["to"])
    )


@route(
    "/exports",
    "POST",
    "exports",
    summary="Start an export (CSV) of a campaign's results or labels",
    body=ExportIn,
    response={202: schemas.ExportStarted},
    errors=(400, *AUTH, 404),
    description="A background job; GET /exports/{export_id} until it is done, then follow the download link.",
    example={"kind": "results", "campaign_id": "autumn-2026"},
)
def start_export(caller) -> Response:
    return http.respond(services().jobs.start_export(caller, route.json_body()), 202)


@route(
    "/exports/{export_id}",
    "GET",
    "exports",
    summary="An export: its status, and a download link once done",
    response={200: schemas.Export},
    errors=(*AUTH, 404),
)
def get_export(caller, export_id: str) -> Response:
    return http.respond(services().jobs.export(export_id))

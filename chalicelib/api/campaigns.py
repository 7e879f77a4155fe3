"""Campaigns: HQ publishes them (the guideline and its versions, the pack, the targets, re-runs);
stores see the campaigns they are in."""

from __future__ import annotations

from chalice import Response

from chalicelib.api import http, schemas
from chalicelib.api.http import AUTH, paged
from chalicelib.api.parameters import STORE_ID
from chalicelib.services.campaigns import MAX_LIST, CampaignIn, PackFileIn
from chalicelib.services.guideline_yaml import GuidelineTextIn, check_yaml
from chalicelib.services.trials import TrialIn
from chalicelib.wiring import services

campaigns = http.Resource(__name__)
route = http.Routes(campaigns, http.Tag("campaigns", "HQ publishes campaigns: the guideline, the pack and the stores"))

CAMPAIGN_EXAMPLE = {
    "name": "Autumn 2026 window",
    "start_date": "2026-11-01",
    "deadline": "2026-11-08",
    "targets": {"regions": ["north"], "stores": ["S001"]},
    "guideline": {
        "version": 1,
        "name": "Autumn 2026 window",
        "rules": [
            {
                "id": "photo-sharp",
                "type": "photo_quality",
                "message": "The photo is blurry: hold the phone still.",
                "parameters": {"check": "sharpness"},
            },
            {
                "id": "window-lit",
                "type": "lighting",
                "zone": "centre",
                "message": "Switch on the window lights.",
                "parameters": {"min_ratio": 1.15},
            },
        ],
    },
}


@route(
    "/campaigns",
    "GET",
    "campaigns:read",
    summary="List campaigns, newest start first",
    query=(STORE_ID, *paged(50, MAX_LIST)),
    response={200: schemas.CampaignList},
    errors=(400, *AUTH),
    description="HQ and merchandisers see every campaign; a store user the published ones its store is in, with the "
    "store's own deadline and state (a user of several stores names one with ?store_id=, which HQ and "
    "merchandisers need not send).",
)
def list_campaigns(caller, query) -> Response:
    return http.respond(services().campaigns.list(caller, store_id=query["store_id"], **query.page()))


@route(
    "/campaigns/{campaign_id}",
    "PUT",
    "campaigns:write",
    summary="Create (201) or replace (200) a campaign",
    body=CampaignIn,
    response={200: schemas.Campaign, 201: schemas.Campaign},
    errors=(400, *AUTH, 409),
    description="A changed guideline is a new version (the old ones are kept). A published campaign's targets may only "
    "grow and its dates are fixed; a closed campaign cannot change.",
    example=CAMPAIGN_EXAMPLE,
)
def put_campaign(caller, campaign_id: str) -> Response:
    campaign, created = services().campaigns.put(campaign_id, route.json_body())
    return http.respond(campaign, 201 if created else 200)


@route(
    "/campaigns/{campaign_id}",
    "GET",
    "campaigns:read",
    summary="A campaign with its guideline (defaults written out) and links to its pack",
    response={200: schemas.Campaign},
    errors=(400, *AUTH, 404),
    description="A store sees a published campaign it is in, with its own schedule instead of the targets.",
)
def get_campaign(caller, campaign_id: str) -> Response:
    return http.respond(services().campaigns.get(caller, campaign_id))


@route(
    "/campaigns/{campaign_id}/pack",
    "POST",
    "campaigns:write",
    summary="An upload link for a file of the guideline pack",
    body=PackFileIn,
    response={201: schemas.PackUpload},
    errors=(400, *AUTH, 404, 409),
    description="An artwork or a reference photo (JPEG, PNG or WebP), named as the rules name it; the storage key is "
    "the service's own. A name the pack already has is replaced.",
    example={"name": "warm-layers.png", "content_type": "image/png"},
)
def add_pack_file(caller, campaign_id: str) -> Response:
    return http.respond(services().campaigns.add_pack_file(campaign_id, route.json_body()), 201)


@route(
    "/campaigns/{campaign_id}/publish",
    "POST",
    "campaigns:write",
    summary="Publish a campaign to its target stores",
    response={200: schemas.Published},
    errors=(400, *AUTH, 404, 409, 422),
    description="Checks the pack, resolves the targets against the store list and opens the campaign to those stores. "
    "Safe to repeat; publishing again after adding targets reaches the new stores.",
)
def publish_campaign(caller, campaign_id: str) -> Response:
    return http.respond(services().campaigns.publish(campaign_id))


@route(
    "/campaigns/{campaign_id}/close",
    "POST",
    "campaigns:write",
    summary="Close a campaign: no more photos",
    response={200: schemas.Closed},
    errors=(400, *AUTH, 404, 409),
)
def close_campaign(caller, campaign_id: str) -> Response:
    return http.respond(services().campaigns.close(campaign_id))


@route(
    "/campaigns/{campaign_id}/guidelines",
    "GET",
    "campaigns:read",
    summary="The guideline versions of a campaign, newest first",
    query=paged(50, MAX_LIST),
    response={200: schemas.GuidelineVersions},
    errors=(400, *AUTH, 404),
)
def guideline_versions(caller, campaign_id: str, query) -> Response:
    return http.respond(services().campaigns.versions(caller, campaign_id, **query.page()))


@route(
    "/campaigns/{campaign_id}/guidelines/{version}",
    "GET",
    "campaigns:read",
    summary="One guideline version of a campaign",
    response={200: schemas.GuidelineVersion},
    errors=(400, *AUTH, 404),
)
def guideline_version(caller, campaign_id: str, version: str) -> Response:
    return http.respond(services().campaigns.version(caller, campaign_id, version))


@route(
    "/campaigns/{campaign_id}/rerun",
    "POST",
    "campaigns:write",
    summary="Judge the campaign's analysed photos again by its current guideline",
    response={202: schemas.RerunQueued},
    errors=(400, *AUTH, 404, 409),
    description="A background job: photos judged by an older version go back to the analysis queue.",
)
def rerun_campaign(caller, campaign_id: str) -> Response:
    return http.respond(services().jobs.start_rerun(campaign_id), 202)


@route(
    "/campaigns/{campaign_id}/trials",
    "POST",
    "campaigns:write",
    summary="Try a test photo against a draft guideline: an upload link for the photo",
    body=TrialIn,
    response={201: schemas.TrialStarted},
    errors=(400, *AUTH, 404, 422),
    description="The draft (as PUT /campaigns/{id} takes it, saved or not) is judged with the campaign's pack as it "
    "is now. Post the photo (JPEG, PNG or WebP, at most max_bytes) with the link, then POST …/run. A trial is "
    "never a submission: it is not counted, listed or shown in the gallery.",
    example={"guideline": CAMPAIGN_EXAMPLE["guideline"], "content_type": "image/jpeg"},
)
def start_trial(caller, campaign_id: str) -> Response:
    return http.respond(services().trials.start(caller.username, campaign_id, route.json_body()), 201)


@route(
    "/campaigns/{campaign_id}/trials/{trial_id}/run",
    "POST",
    "campaigns:write",
    summary="Judge the uploaded test photo (a background job)",
    response={202: schemas.Trial},
    errors=(*AUTH, 404, 409),
    description="GET the trial until its status is done (the verdict rule by rule and the overlay), rejected (not a "
    "usable photo, with the reason) or failed. Safe to repeat.",
)
def run_trial(caller, campaign_id: str, trial_id: str) -> Response:
    return http.respond(services().trials.run(campaign_id, trial_id), 202)


@route(
    "/campaigns/{campaign_id}/trials/{trial_id}",
    "GET",
    "campaigns:write",
    summary="A trial: its status, and once done the verdict rule by rule and the overlay",
    response={200: schemas.Trial},
    errors=(*AUTH, 404),
)
def get_trial(caller, campaign_id: str, trial_id: str) -> Response:
    return http.respond(services().trials.get(campaign_id, trial_id))


@route(
    "/guidelines/check",
    "POST",
    "campaigns:write",
    summary="Check a guideline written as YAML, with each problem's line",
    body=GuidelineTextIn,
    response={200: schemas.GuidelineCheck},
    errors=(400, *AUTH),
    description="Nothing is stored: the answer is the document with its defaults written out (to send in PUT "
    "/campaigns/{id}), or the schema's problems, each with the field and the line of the text.",
    example={
        "yaml": "version: 1\nname: Autumn\nrules:\n  - id: photo-sharp\n    type: photo_quality\n"
        "    message: The photo is blurry.\n    parameters: {check: sharpness}\n"
    },
)
def check_guideline(caller) -> Response:
    return http.respond(check_yaml(route.json_body()))

"""Review: merchandisers, in their regions, go through a campaign's photos (the gallery), decide on
them, override a rule's status (labels for calibration), comment, and feature the best."""

from __future__ import annotations

from chalice import Response

from chalicelib.api import http, schemas
from chalicelib.api.http import AUTH, paged
from chalicelib.api.parameters import FAILED_RULE, REGION, REVIEWED, STATE, STORE_ID
from chalicelib.services.review import MAX_PAGE, BulkDecisionIn, CommentIn, DecisionIn, FeatureIn, OverrideIn
from chalicelib.wiring import services

REVIEW = http.Tag("review", "Merchandisers review the photos; the showcase")

reviews = http.Resource(__name__)
route = http.Routes(reviews, REVIEW)


@route(
    "/campaigns/{campaign_id}/submissions",
    "GET",
    "submissions:review",
    summary="The gallery: a campaign's submissions, newest first",
    query=(REGION, *paged(50, MAX_PAGE)),
    response={200: schemas.Gallery},
    errors=(400, *AUTH, 404),
    description="A merchandiser sees its own regions, one at a time (?region= when it has several).",
)
def gallery(caller, campaign_id: str, query) -> Response:
    return http.respond(services().review.gallery(caller, campaign_id, region=query["region"], **query.page()))


@route(
    "/campaigns/{campaign_id}/windows",
    "GET",
    "submissions:review",
    summary="The gallery by store: one tile per store, its latest finished photo and earlier attempts; not reviewed first",
    query=(STATE, REVIEWED, FAILED_RULE, REGION, STORE_ID, *paged(50, MAX_PAGE)),
    response={200: schemas.Windows},
    errors=(400, *AUTH, 404),
    description="Filtered by the server over every store of the campaign (state, review, failed rule, region: index "
    "queries; store: a key read). The stores nobody has decided on come first (those the model left to a person, "
    "then fail, retake, pass), then the reviewed ones, then the stores without a photo. A merchandiser sees its own "
    "regions, one at a time; another region's is refused (403 out_of_scope).",
)
def windows(caller, campaign_id: str, query) -> Response:
    return http.respond(
        services().review.windows(
            caller,
            campaign_id,
            state=query["state"],
            region=query["region"],
            store_id=query["store_id"],
            rule_id=query["rule_id"],
            review=query["review"],
            **query.page(),
        )
    )


@route(
    "/submissions/{submission_id}/review",
    "POST",
    "submissions:review",
    summary="Decide on a submission: approve, reject or ask for a retake",
    body=DecisionIn,
    response={200: schemas.Review},
    errors=(400, *AUTH, 404, 409),
    description="409 while the photo is still being analysed; 409 not_a_photo to approve an upload that is not a "
    "photo of the window. The decision is recorded at once; the store is told (review.decided) after "
    "VETRINA_REVIEW_NOTICE_DELAY seconds, once, of the photo's latest decision, so a decision changed within that "
    "time sends one message. A featured window that is rejected or sent back leaves the showcase.",
    example={"decision": "approve", "comment": "Well done."},
)
def review_submission(caller, submission_id: str) -> Response:
    return http.respond(services().review.decide(caller, submission_id, route.json_body()))


@route(
    "/submissions/{submission_id}/overrides",
    "POST",
    "submissions:review",
    summary="Override a rule's status: a label for calibration",
    body=OverrideIn,
    response={201: schemas.Override},
    errors=(400, *AUTH, 404, 409),
    example={"rule_id": "photo-sharp", "status": "pass", "comment": "sharp enough"},
)
def override_rule(caller, submission_id: str) -> Response:
    return http.respond(services().review.override(caller, submission_id, route.json_body()), 201)


@route(
    "/submissions/{submission_id}/overrides/{rule_id}",
    "DELETE",
    "submissions:review",
    summary="Take a rule's override back: the model's status counts again",
    response={200: schemas.OverrideWithdrawn},
    errors=(400, *AUTH, 404, 409),
    description="Idempotent: a rule without an override answers the same (its model status), and nothing is written.",
)
def withdraw_override(caller, submission_id: str, rule_id: str) -> Response:
    return http.respond(services().review.withdraw_override(caller, submission_id, rule_id))


@route(
    "/reviews",
    "POST",
    "submissions:review",
    summary="The same decision on several submissions (the gallery's selected tiles), each answered on its own",
    body=BulkDecisionIn,
    response={200: schemas.BulkDecisions},
    errors=(400, *AUTH),
    description="Each submission is decided as POST /submissions/{id}/review would; one refused (an upload that is "
    "not a photo: 409 not_a_photo, out of scope: 404) does not stop the others. The answer lists each with ok, "
    "and the error in the API's format when it was refused.",
    example={"submission_ids": ["sub_01JD3Q9V6KX4M2N8P5R7S0T1W2"], "decision": "approve"},
)
def decide_many(caller) -> Response:
    return http.respond(services().review.decide_many(caller, route.json_body()))


@route(
    "/submissions/{submission_id}/comments",
    "POST",
    "submissions:review",
    summary="Comment on a submission",
    body=CommentIn,
    response={201: schemas.AuditEvent},
    errors=(400, *AUTH, 404),
    example={"text": "The poster is a little low."},
)
def comment_submission(caller, submission_id: str) -> Response:
    return http.respond(services().review.comment(caller, submission_id, route.json_body()), 201)


@route(
    "/submissions/{submission_id}/feature",
    "POST",
    "submissions:review",
    summary="Put an analysed window in the showcase, or take it out",
    body=FeatureIn,
    response={200: schemas.Featured},
    errors=(400, *AUTH, 404, 409),
    example={"featured": True},
)
def feature_submission(caller, submission_id: str) -> Response:
    return http.respond(services().review.feature(caller, submission_id, route.json_body()))

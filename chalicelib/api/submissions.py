"""Submissions: stores photograph their windows (an upload link, then the analysis), retake them,
and read what happened to them: the history, the showcase, the notifications."""

from __future__ import annotations

from chalice import Response

from chalicelib.api import http, schemas
from chalicelib.api.http import AUTH, CURSOR, paged
from chalicelib.api.parameters import STORE_ID
from chalicelib.api.review import REVIEW
from chalicelib.services import review
from chalicelib.services.submissions import UPLOAD_TYPES, RetakeIn, SubmissionIn
from chalicelib.wiring import services

submissions = http.Resource(__name__)
route = http.Routes(submissions, http.Tag("submissions", "Stores photograph their windows"))


@route(
    "/campaigns/{campaign_id}/submissions",
    "POST",
    "submissions:create",
    summary="Start a submission: an upload link for a window photo",
    body=SubmissionIn,
    response={201: schemas.SubmissionCreated},
    errors=(400, *AUTH, 404, 409, 422),
    description=f"content_type is one of {', '.join(UPLOAD_TYPES)}. The campaign must be published and started in the "
    "store's timezone; a store acts for its own store only.",
    example={"store_id": "S001", "content_type": "image/jpeg"},
)
def create_submission(caller, campaign_id: str) -> Response:
    return http.respond(services().submissions.create(caller, campaign_id, route.json_body()), 201)


@route(
    "/submissions/{submission_id}",
    "GET",
    "submissions:read",
    summary="A submission: status, result when analysed, review, image links",
    response={200: schemas.Submission},
    errors=(*AUTH, 404),
)
def get_submission(caller, submission_id: str) -> Response:
    return http.respond(services().submissions.get(caller, submission_id))


@route(
    "/submissions/{submission_id}/retake",
    "POST",
    "submissions:create",
    summary="A retake: a new submission for the same campaign and store, linked both ways",
    body=RetakeIn,
    body_required=False,
    response={201: schemas.SubmissionCreated},
    errors=(400, *AUTH, 404, 409, 422),
    example={"content_type": "image/jpeg"},
)
def retake_submission(caller, submission_id: str) -> Response:
    body = route.json_body() if route.request.raw_body else {}
    return http.respond(services().submissions.resubmit(caller, submission_id, body), 201)


@route(
    "/submissions/{submission_id}/history",
    "GET",
    "submissions:read",
    tag=REVIEW,
    summary="The audit trail of a submission, oldest first",
    response={200: schemas.History},
    errors=(*AUTH, 404),
)
def submission_history(caller, submission_id: str) -> Response:
    return http.respond(services().review.history(caller, submission_id))


@route(
    "/showcase",
    "GET",
    "showcase:read",
    tag=REVIEW,
    summary="The featured windows of the whole network, most recent first",
    query=paged(24, review.MAX_PAGE),
    response={200: schemas.Showcase},
    errors=(400, *AUTH),
)
def showcase(caller, query) -> Response:
    return http.respond(services().review.showcase(**query.page()))


@route(
    "/notifications",
    "GET",
    "submissions:read",
    summary="The local backend's outbox of events, newest first",
    query=(STORE_ID, CURSOR),
    response={200: schemas.Notifications},
    errors=(400, *AUTH, 404),
    description="Local backend only (404 in AWS, where the events go to the SNS topic). A store or merchandiser reads "
    "its own store's with ?store_id=.",
)
def notifications(caller, query) -> Response:
    return http.respond(services().notifications.recent(caller, store_id=query["store_id"], cursor=query["cursor"]))

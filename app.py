"""Vetrina's routes and event handlers: each names its permission, parses the request and calls
chalicelib. Who may call what is decided in chalicelib.core.auth (roles) and the services (scope)."""

import os

from chalice import Chalice, CognitoUserPoolAuthorizer, Response

from chalicelib.api import http
from chalicelib.core.settings import auth_mode
from chalicelib.api.http import PUBLIC
from chalicelib.wiring import services

app = Chalice(app_name="vetrina")
app.register_middleware(http.uniform_errors, "http")

# Read at import: Chalice needs the queue's name when it packages the event source.
ANALYSIS_QUEUE = os.environ.get("VETRINA_QUEUE_NAME", "vetrina-analysis")
# In AWS (VETRINA_AUTH=cognito when packaged), API Gateway verifies the Cognito ID token; the
# infrastructure puts the real pool's ARN in the deployed API (infra/). Locally there is no
# authorizer: chalicelib.core.auth verifies the local key's tokens itself.
AUTHORIZER = CognitoUserPoolAuthorizer(
    "vetrina-users",
    provider_arns=[os.environ.get("VETRINA_USER_POOL_ARN", "arn:aws:cognito-idp:eu-west-1:000000000000:userpool/eu-west-1_placeholder")],
) if auth_mode(os.environ) == "cognito" else None
route = http.Routes(app, AUTHORIZER)


def _body():
    return http.json_body(app.current_request)


def _param(name: str) -> str | None:
    return http.query_param(app.current_request, name)


def _page(default_limit: int = 50) -> dict:
    return {"limit": http.int_param(app.current_request, "limit", default_limit), "cursor": _param("cursor")}


# --- campaigns (HQ publishes; stores see the campaigns they are in) ----------------------------


@route("/campaigns", "GET", "campaigns:read")
def list_campaigns(caller) -> Response:
    return http.respond(services().campaigns.list(caller, store_id=_param("store_id"), **_page()))


@route("/campaigns/{campaign_id}", "PUT", "campaigns:write")
def put_campaign(caller, campaign_id: str) -> Response:
    campaign, created = services().campaigns.put(campaign_id, _body())
    return http.respond(campaign, 201 if created else 200)


@route("/campaigns/{campaign_id}", "GET", "campaigns:read")
def get_campaign(caller, campaign_id: str) -> Response:
    return http.respond(services().campaigns.get(caller, campaign_id))


@route("/campaigns/{campaign_id}/pack", "POST", "campaigns:write")
def add_pack_file(caller, campaign_id: str) -> Response:
    return http.respond(services().campaigns.add_pack_file(campaign_id, _body()), 201)


@route("/campaigns/{campaign_id}/publish", "POST", "campaigns:write")
def publish_campaign(caller, campaign_id: str) -> Response:
    return http.respond(services().campaigns.publish(campaign_id))


@route("/campaigns/{campaign_id}/close", "POST", "campaigns:write")
def close_campaign(caller, campaign_id: str) -> Response:
    return http.respond(services().campaigns.close(campaign_id))


@route("/campaigns/{campaign_id}/guidelines", "GET", "campaigns:read")
def guideline_versions(caller, campaign_id: str) -> Response:
    return http.respond(services().campaigns.versions(caller, campaign_id, **_page()))


@route("/campaigns/{campaign_id}/guidelines/{version}", "GET", "campaigns:read")
def guideline_version(caller, campaign_id: str, version: str) -> Response:
    return http.respond(services().campaigns.version(caller, campaign_id, version))


@route("/campaigns/{campaign_id}/rerun", "POST", "campaigns:write")
def rerun_campaign(caller, campaign_id: str) -> Response:
    return http.respond(services().jobs.start_rerun(campaign_id), 202)


# --- stores ---------------------------------------------------------------------------------


@route("/stores", "PUT", "stores:write", content_types=["application/json", "text/csv"])
def import_stores(caller) -> Response:
    request = app.current_request
    return http.respond(services().stores.import_list(request.raw_body, request.headers.get("content-type", "application/json")))


@route("/stores", "GET", "stores:read")
def list_stores(caller) -> Response:
    return http.respond(services().stores.list(caller, region=_param("region"), **_page(100)))


# --- submissions (stores photograph their windows) ---------------------------------------------


@route("/campaigns/{campaign_id}/submissions", "POST", "submissions:create")
def create_submission(caller, campaign_id: str) -> Response:
    return http.respond(services().submissions.create(caller, campaign_id, _body()), 201)


@route("/submissions/{submission_id}", "GET", "submissions:read")
def get_submission(caller, submission_id: str) -> Response:
    return http.respond(services().submissions.get(caller, submission_id))


@route("/submissions/{submission_id}/retake", "POST", "submissions:create")
def retake_submission(caller, submission_id: str) -> Response:
    body = _body() if app.current_request.raw_body else {}
    return http.respond(services().submissions.resubmit(caller, submission_id, body), 201)


@route("/submissions/{submission_id}/history", "GET", "submissions:read")
def submission_history(caller, submission_id: str) -> Response:
    return http.respond(services().review.history(caller, submission_id))


@route("/showcase", "GET", "showcase:read")
def showcase(caller) -> Response:
    return http.respond(services().review.showcase(**_page(24)))


@route("/notifications", "GET", "submissions:read")
def notifications(caller) -> Response:
    return http.respond(services().notifications.recent(caller, store_id=_param("store_id"), cursor=_param("cursor")))


# --- review (merchandisers, in their regions) ----------------------------------------------------


@route("/campaigns/{campaign_id}/submissions", "GET", "submissions:review")
def gallery(caller, campaign_id: str) -> Response:
    return http.respond(services().review.gallery(caller, campaign_id, region=_param("region"), **_page()))


@route("/submissions/{submission_id}/review", "POST", "submissions:review")
def review_submission(caller, submission_id: str) -> Response:
    return http.respond(services().review.decide(caller, submission_id, _body()))


@route("/submissions/{submission_id}/overrides", "POST", "submissions:review")
def override_rule(caller, submission_id: str) -> Response:
    return http.respond(services().review.override(caller, submission_id, _body()), 201)


@route("/submissions/{submission_id}/comments", "POST", "submissions:review")
def comment_submission(caller, submission_id: str) -> Response:
    return http.respond(services().review.comment(caller, submission_id, _body()), 201)


@route("/submissions/{submission_id}/feature", "POST", "submissions:review")
def feature_submission(caller, submission_id: str) -> Response:
    return http.respond(services().review.feature(caller, submission_id, _body()))


# --- compliance (HQ's numbers) --------------------------------------------------------------


@route("/compliance/campaigns/{campaign_id}", "GET", "analytics:read")
def campaign_compliance(caller, campaign_id: str) -> Response:
    return http.respond(services().analytics.campaign(campaign_id))


@route("/compliance/campaigns/{campaign_id}/stores", "GET", "analytics:read")
def campaign_store_outcomes(caller, campaign_id: str) -> Response:
    return http.respond(services().analytics.stores(campaign_id, state=_param("state"), region=_param("region"), **_page(100)))


@route("/compliance/campaigns/{campaign_id}/missing", "GET", "analytics:read")
def campaign_missing_stores(caller, campaign_id: str) -> Response:
    return http.respond(services().analytics.missing(campaign_id, region=_param("region"), **_page(100)))


@route("/compliance/trends", "GET", "analytics:read")
def compliance_trends(caller) -> Response:
    return http.respond(services().analytics.trends(region=_param("region"), date_from=_param("from"), date_to=_param("to")))


@route("/compliance/stores/{store_id}", "GET", "analytics:read")
def store_compliance(caller, store_id: str) -> Response:
    return http.respond(services().analytics.store(store_id, date_from=_param("from"), date_to=_param("to")))


@route("/compliance/agreement", "GET", "analytics:read")
def reviewer_agreement(caller) -> Response:
    return http.respond(services().analytics.agreement(campaign_id=_param("campaign_id"), date_from=_param("from"),
                                                       date_to=_param("to")))


@route("/exports", "POST", "exports")
def start_export(caller) -> Response:
    return http.respond(services().jobs.start_export(caller, _body()), 202)


@route("/exports/{export_id}", "GET", "exports")
def get_export(caller, export_id: str) -> Response:
    return http.respond(services().jobs.export(export_id))


# --- the worker: photo analyses and background jobs ---------------------------------------------


@app.on_sqs_message(queue=ANALYSIS_QUEUE, batch_size=1, name="analyze")
def analyze(event) -> None:
    from chalicelib.analyzer.observability import configure_for_lambda
    from chalicelib.analyzer.worker import worker_for  # the image stack loads only here

    configure_for_lambda()
    worker = worker_for(services())
    for record in event:
        worker.handle_message(record.body)


# --- pages and the API's description ------------------------------------------------------------


@route("/", "GET", PUBLIC)
def store_page() -> Response:
    return static_file("store.html")


@route("/gallery", "GET", PUBLIC)
def gallery_page() -> Response:
    return static_file("gallery.html")


@route("/review", "GET", PUBLIC)
def review_page() -> Response:
    return static_file("review.html")


@route("/static/{name}", "GET", PUBLIC)
def static_file(name: str) -> Response:
    from chalicelib.web.assets import asset

    found = asset(name)
    if found is None:
        return http.error(404, "not_found", f"there is no page asset {name!r}")
    body, content_type = found
    return Response(body=body, status_code=200, headers={"Content-Type": content_type, "Cache-Control": "no-cache"})


@route("/openapi.json", "GET", PUBLIC)
def openapi_document() -> Response:
    from chalicelib.api.openapi import document

    return http.respond(document())


# --- the local backend's stand-ins for S3's upload and download endpoints (signed links) ------


@route("/local/uploads", "POST", PUBLIC, content_types=["multipart/form-data"])
def local_upload() -> Response:
    from chalicelib.local import routes as local_routes

    return local_routes.upload(services(), app.current_request)


@route("/local/blobs", "GET", PUBLIC)
def local_blob() -> Response:
    from chalicelib.local import routes as local_routes

    return local_routes.download(services(), app.current_request)

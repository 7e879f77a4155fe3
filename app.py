"""Vetrina's routes and event handlers: each parses the request and calls chalicelib."""

import os

from chalice import Chalice, Response

from chalicelib import http
from chalicelib.wiring import services

app = Chalice(app_name="vetrina")
app.register_middleware(http.uniform_errors, "http")

# Read at import: Chalice needs the queue's name when it packages the event source.
ANALYSIS_QUEUE = os.environ.get("VETRINA_QUEUE_NAME", "vetrina-analysis")


# --- campaigns ------------------------------------------------------------------------------


@app.route("/campaigns", methods=["GET"])
@http.api
def list_campaigns() -> Response:
    request = app.current_request
    page = services().campaigns.list(limit=http.int_param(request, "limit", 50), cursor=http.query_param(request, "cursor"))
    return http.respond(page)


@app.route("/campaigns/{campaign_id}", methods=["PUT"])
@http.api
def put_campaign(campaign_id: str) -> Response:
    campaign, created = services().campaigns.put(campaign_id, http.json_body(app.current_request))
    return http.respond(campaign, 201 if created else 200)


@app.route("/campaigns/{campaign_id}", methods=["GET"])
@http.api
def get_campaign(campaign_id: str) -> Response:
    return http.respond(services().campaigns.get(campaign_id))


@app.route("/campaigns/{campaign_id}/pack", methods=["POST"])
@http.api
def add_pack_file(campaign_id: str) -> Response:
    return http.respond(services().campaigns.add_pack_file(campaign_id, http.json_body(app.current_request)), 201)


# --- stores -------------------------------------------------------------------------------


@app.route("/stores", methods=["PUT"], content_types=["application/json", "text/csv"])
@http.api
def import_stores() -> Response:
    request = app.current_request
    return http.respond(services().stores.import_list(request.raw_body, request.headers.get("content-type", "application/json")))


@app.route("/stores", methods=["GET"])
@http.api
def list_stores() -> Response:
    request = app.current_request
    return http.respond(services().stores.list(region=http.query_param(request, "region"), limit=http.int_param(request, "limit", 100),
                                               cursor=http.query_param(request, "cursor")))


# --- submissions ----------------------------------------------------------------------------


@app.route("/campaigns/{campaign_id}/submissions", methods=["POST"])
@http.api
def create_submission(campaign_id: str) -> Response:
    created = services().submissions.create(campaign_id, http.json_body(app.current_request))
    return http.respond(created, 201)


@app.route("/submissions/{submission_id}", methods=["GET"])
@http.api
def get_submission(submission_id: str) -> Response:
    return http.respond(services().submissions.get(submission_id))


# --- review (merchandisers) ----------------------------------------------------------------


@app.route("/campaigns/{campaign_id}/submissions", methods=["GET"])
@http.api
def gallery(campaign_id: str) -> Response:
    request = app.current_request
    page = services().review.gallery(campaign_id, limit=http.int_param(request, "limit", 50), cursor=http.query_param(request, "cursor"))
    return http.respond(page)


@app.route("/submissions/{submission_id}/review", methods=["POST"])
@http.api
def review_submission(submission_id: str) -> Response:
    return http.respond(services().review.decide(submission_id, http.json_body(app.current_request)))


@app.route("/submissions/{submission_id}/overrides", methods=["POST"])
@http.api
def override_rule(submission_id: str) -> Response:
    return http.respond(services().review.override(submission_id, http.json_body(app.current_request)), 201)


@app.route("/submissions/{submission_id}/comments", methods=["POST"])
@http.api
def comment_submission(submission_id: str) -> Response:
    return http.respond(services().review.comment(submission_id, http.json_body(app.current_request)), 201)


@app.route("/submissions/{submission_id}/feature", methods=["POST"])
@http.api
def feature_submission(submission_id: str) -> Response:
    return http.respond(services().review.feature(submission_id, http.json_body(app.current_request)))


@app.route("/submissions/{submission_id}/retake", methods=["POST"])
@http.api
def retake_submission(submission_id: str) -> Response:
    request = app.current_request
    return http.respond(services().submissions.resubmit(submission_id, http.json_body(request) if request.raw_body else {}), 201)


@app.route("/showcase", methods=["GET"])
@http.api
def showcase() -> Response:
    request = app.current_request
    return http.respond(services().review.showcase(limit=http.int_param(request, "limit", 24), cursor=http.query_param(request, "cursor")))


@app.route("/notifications", methods=["GET"])
@http.api
def notifications() -> Response:
    from chalicelib import local_routes

    return local_routes.notifications(services(), app.current_request)


@app.route("/submissions/{submission_id}/history", methods=["GET"])
@http.api
def submission_history(submission_id: str) -> Response:
    return http.respond(services().review.history(submission_id))


# --- the analyzer ---------------------------------------------------------------------------


@app.on_sqs_message(queue=ANALYSIS_QUEUE, batch_size=1, name="analyze")
def analyze(event) -> None:
    from chalicelib.observability import configure_for_lambda
    from chalicelib.processing import processor_for  # the image stack loads only here

    configure_for_lambda()
    processor = processor_for(services())
    for record in event:
        processor.handle_message(record.body)


# --- pages ------------------------------------------------------------------------------------


@app.route("/", methods=["GET"])
def store_page() -> Response:
    return static_file("store.html")


@app.route("/gallery", methods=["GET"])
def gallery_page() -> Response:
    return static_file("gallery.html")


@app.route("/review", methods=["GET"])
def review_page() -> Response:
    return static_file("review.html")


@app.route("/static/{name}", methods=["GET"])
def static_file(name: str) -> Response:
    from chalicelib.web.assets import asset

    found = asset(name)
    if found is None:
        return http.error(404, "not_found", f"there is no page asset {name!r}")
    body, content_type = found
    return Response(body=body, status_code=200, headers={"Content-Type": content_type, "Cache-Control": "no-cache"})


# --- the local backend's stand-ins for S3's upload and download endpoints -------------------


@app.route("/local/uploads", methods=["POST"], content_types=["multipart/form-data"])
@http.api
def local_upload() -> Response:
    from chalicelib import local_routes

    return local_routes.upload(services(), app.current_request)


@app.route("/local/blobs", methods=["GET"])
@http.api
def local_blob() -> Response:
    from chalicelib import local_routes

    return local_routes.download(services(), app.current_request)

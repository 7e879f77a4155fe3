"""The pages (the store's, the gallery, the review page, their files) and the API's description:
public, no sign-in (the pages sign in in the browser)."""

from __future__ import annotations

from chalice import Response

from chalicelib.api import http, schemas
from chalicelib.api.http import PUBLIC
from chalicelib.wiring import services

pages = http.Resource(__name__)
route = http.Routes(pages, http.Tag("pages", "The pages and this document (no sign-in)"))


def security_headers() -> dict[str, str]:
    """The pages' headers: no inline script or style runs (the pages have none: their scripts are
    files under /static/), no other site frames them, no type sniffing, no full URL in Referer.
    Images and uploads go to the bucket (S3's https URLs) or, locally, to the service's public URL."""
    from urllib.parse import urlsplit

    settings = services().settings
    parts = urlsplit(settings.public_url)
    links = "https://*.amazonaws.com" if settings.backend == "aws" else f"{parts.scheme}://{parts.netloc}"
    policy = (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        f"img-src 'self' data: blob: {links}; connect-src 'self' {links}; form-action 'self'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    )
    return {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "X-Frame-Options": "DENY",
    }


HTML_PAGE = {"description": "the page", "content": {"text/html": {"schema": {"type": "string"}}}}
PAGE_FILE_TYPES = ("text/html", "text/javascript", "text/css", "image/svg+xml", "image/png", "application/json")


@route("/", "GET", PUBLIC, summary="The store's page", response={200: HTML_PAGE})
def store_page() -> Response:
    return static_file("store.html")


@route("/gallery", "GET", PUBLIC, summary="The merchandisers' gallery page", response={200: HTML_PAGE})
def gallery_page() -> Response:
    return static_file("gallery.html")


@route("/review", "GET", PUBLIC, summary="The review page (?submission=...)", response={200: HTML_PAGE})
def review_page() -> Response:
    return static_file("review.html")


@route("/hq", "GET", PUBLIC, summary="HQ's compliance dashboard", response={200: HTML_PAGE})
def hq_page() -> Response:
    return static_file("hq.html")


@route("/hq/stores", "GET", PUBLIC, summary="HQ's store list page: import (CSV), list and search", response={200: HTML_PAGE})
def hq_stores_page() -> Response:
    return static_file("stores.html")


@route(
    "/hq/campaigns/{campaign_id}",
    "GET",
    PUBLIC,
    summary="HQ's campaign set-up page (a new id starts a new campaign)",
    response={200: HTML_PAGE},
)
def hq_campaign_page(campaign_id: str) -> Response:
    return static_file("campaign.html")


@route(
    "/static/{name}",
    "GET",
    PUBLIC,
    summary="A file of the pages (HTML, JS, CSS, SVG, PNG, JSON)",
    response={200: {"description": "the file", "content": {media: {"schema": {"type": "string"}} for media in PAGE_FILE_TYPES}}},
    errors=(404,),
)
def static_file(name: str) -> Response:
    from chalicelib.web.assets import asset

    found = asset(name)
    if found is None:
        return http.error(404, "not_found", f"there is no page asset {name!r}")
    body, content_type = found
    return Response(
        body=body, status_code=200, headers={"Content-Type": content_type, "Cache-Control": "no-cache", **security_headers()}
    )


@route("/openapi.json", "GET", PUBLIC, summary="This document", response={200: schemas.ApiDescription})
def openapi_document() -> Response:
    from chalicelib.api.openapi import document

    return http.respond(document(pages.current_app))

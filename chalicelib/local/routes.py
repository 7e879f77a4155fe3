"""The local backend's stand-ins for S3's form-upload and presigned-download endpoints, as a
blueprint app.py registers with ``VETRINA_BACKEND=local`` only: in AWS the browser talks to S3
directly, and the API's zip does not ship this package."""

from __future__ import annotations

import logging
from typing import Any, BinaryIO

from chalice import Response

from chalicelib.api import http
from chalicelib.api.http import PUBLIC, Param
from chalicelib.api.parameters import EXAMPLE_SUBMISSION_ID
from chalicelib.core.errors import ApiError, NotFound
from chalicelib.storage import layout
from chalicelib.storage.local_blobs import LocalBlobStore, UploadError
from chalicelib.storage.ports import BlobNotFound
from chalicelib.storage.signing import SignatureError
from chalicelib.wiring import services

log = logging.getLogger(__name__)

local_stand_ins = http.Resource(__name__)
route = http.Routes(
    local_stand_ins,
    http.Tag("local", "The local backend's stand-ins for S3's upload and download endpoints (signed, no sign-in)"),
)

EXAMPLE_SIGNATURE = "9c1e4f0a" * 8
FORM = "multipart/form-data"
# A signed link always carries all three parts.
LINK_PARTS = (
    Param(
        "key",
        {"type": "string"},
        "part of the signed link",
        required=True,
        example=layout.derived_key(EXAMPLE_SUBMISSION_ID, "thumbnail.jpg"),
    ),
    Param("expires", {"type": "string"}, "part of the signed link (unix time)", required=True, example="1795600000"),
    Param("signature", {"type": "string"}, "part of the signed link", required=True, example=EXAMPLE_SIGNATURE),
)
UPLOAD_FORM = {
    "type": "object",
    "required": ["key", "Content-Type", "policy", "x-vetrina-signature", "file"],
    "properties": {
        "key": {"type": "string"},
        "Content-Type": {"type": "string"},
        "policy": {"type": "string"},
        "x-vetrina-signature": {"type": "string"},
        "file": {"type": "string", "format": "binary", "description": "the photo, the last field"},
    },
}


def _local_blobs() -> LocalBlobStore:
    blobs = services().blobs
    if not isinstance(blobs, LocalBlobStore):
        raise NotFound("this route exists only on the local backend", code="not_found")
    return blobs


@route(
    "/local/uploads",
    "POST",
    PUBLIC,
    summary="Local backend: the form upload of a presigned POST, as S3 takes it",
    content_types=[FORM],
    body={FORM: UPLOAD_FORM},
    response={204: {"description": "stored; Location names the key", "headers": {"Location": {"schema": {"type": "string"}}}}},
    errors=(400, 403, 404, 409),
    description="Send the fields the upload link came with, unchanged, then the file. The signed policy fixes the key, "
    "content type, size and expiry (403 when a field does not match it). A link uploads once: 409 "
    "already_uploaded when its photo was received already.",
    examples={
        FORM: {
            "key": layout.upload_key(EXAMPLE_SUBMISSION_ID),
            "Content-Type": "image/jpeg",
            "policy": "eyJleHBpcmF0aW9uIjogIjIwMjYtMTEtMjVUMTA6MDA6MDBaIn0=",
            "x-vetrina-signature": EXAMPLE_SIGNATURE,
            "file": "(the photo)",
        }
    },
)
def upload() -> Response:
    request = route.request
    return receive_upload(request.headers.get("content-type", ""), request.raw_body or b"")


def receive_upload(content_type: str, body: bytes | BinaryIO, length: int | None = None) -> Response:
    """The upload route's work; the local server calls it with the socket's stream, so a photo
    goes to disk as it arrives (chalicelib.local.server)."""
    try:
        blobs = _local_blobs()
        key = blobs.accept_upload(content_type, body, length)
    except UploadError as err:
        return http.error(err.status, err.code, str(err))
    except ApiError as err:
        return http.error(err.status, err.code, err.message)
    try:
        services().submissions.mark_queued(key.rsplit("/", 1)[-1])
    except Exception:  # the photo is stored: the sweep queues it (chalicelib.services.recovery)
        log.exception("upload %s stored but not marked queued; the sweep will pick it up", key)
    return Response(body="", status_code=204, headers={"Location": key})


@route(
    "/local/blobs",
    "GET",
    PUBLIC,
    summary="Local backend: a file behind a short-lived signed link",
    query=LINK_PARTS,
    response={
        200: {
            "description": "the file, with its content type",
            "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
    errors=(403, 404),
    description="403 when the signature does not match or the link has expired; 404 when the file is not there "
    "(or in AWS, where links point at S3).",
)
def download(query: Any) -> Response:
    blobs = _local_blobs()
    try:
        # The whole query as it came (not only the declared parts): the signature check decides.
        data, content_type = blobs.read_signed(dict(route.request.query_params or {}))
    except SignatureError as err:
        return http.error(403, "link_refused", str(err))
    except BlobNotFound:
        return http.error(404, "not_found", "the file is not there (yet)")
    headers: dict[str, str | list[str]] = {
        "Content-Type": content_type,
        "Cache-Control": "private, max-age=300",
        "X-Content-Type-Options": "nosniff",
    }
    if str((route.request.query_params or {}).get("key", "")).startswith(layout.UPLOAD_PREFIX):
        # An original is whatever bytes were sent (HTML named .jpg, a JPEG with a ZIP tail): downloaded, never rendered.
        headers["Content-Disposition"] = "attachment"
    return Response(body=data, status_code=200, headers=headers)

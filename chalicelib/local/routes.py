"""The local backend's stand-ins for S3's form-upload and presigned-download endpoints.

They exist only with ``VETRINA_BACKEND=local``; in AWS the browser talks to S3 directly.
"""

from __future__ import annotations

from typing import Any

from chalice import Response

from chalicelib.api import http
from chalicelib.core.errors import NotFound
from chalicelib.storage.local_blobs import LocalBlobStore, UploadError
from chalicelib.storage.ports import BlobNotFound
from chalicelib.storage.signing import SignatureError


def _local_blobs(services: Any) -> LocalBlobStore:
    if not isinstance(services.blobs, LocalBlobStore):
        raise NotFound("this route exists only on the local backend", code="not_found")
    return services.blobs


def upload(services: Any, request: Any) -> Response:
    blobs = _local_blobs(services)
    try:
        key = blobs.accept_upload(request.headers.get("content-type", ""), request.raw_body)
    except UploadError as err:
        return http.error(err.status, err.code, str(err))
    services.submissions.mark_queued(key.rsplit("/", 1)[-1])
    return Response(body="", status_code=204, headers={"Location": key})


def download(services: Any, request: Any) -> Response:
    blobs = _local_blobs(services)
    try:
        data, content_type = blobs.read_signed(dict(request.query_params or {}))
    except SignatureError as err:
        return http.error(403, "link_refused", str(err))
    except BlobNotFound:
        return http.error(404, "not_found", "the file is not there (yet)")
    return Response(body=data, status_code=200, headers={"Content-Type": content_type, "Cache-Control": "private, max-age=300"})

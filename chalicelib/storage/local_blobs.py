"""Blob store adapter on a local folder, with S3-like signed URLs and form uploads.

The URLs point at the local server's own routes (``/local/blobs`` and ``/local/uploads``), which
call ``read_signed`` and ``accept_upload`` here. An accepted upload is written atomically and then
reported to ``on_created``, as S3 reports ObjectCreated to its bucket notification.
"""

from __future__ import annotations

import io
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlencode

from chalicelib.core import keyfile
from chalicelib.storage.ports import BlobNotFound, PresignedPost
from chalicelib.storage.signing import (
    SignatureError,
    UploadPolicy,
    sign_policy,
    sign_url_params,
    verify_policy,
    verify_url_params,
)

log = logging.getLogger(__name__)

_SAFE_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*(/[A-Za-z0-9][A-Za-z0-9_.-]*)*$")


class UploadError(ValueError):
    """A form upload that must be refused; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code


class LocalBlobStore:
    def __init__(self, root: Path, public_url: str, on_created: Callable[[str, int], None] | None = None):
        self._root = root / "blobs"
        self._meta = root / "blob-meta"
        self._public_url = public_url.rstrip("/")
        self._signing_key = keyfile.load_or_create(root / "signing.key")
        self.on_created = on_created

    # --- the port ---------------------------------------------------------------------------

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self._write(self._path(key), data)
        self._write(self._meta_path(key), content_type.encode())

    def put_file(self, key: str, path: Path, content_type: str) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        os.close(fd)
        try:
            shutil.copyfile(path, tmp)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._write(self._meta_path(key), content_type.encode())

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise BlobNotFound(key) from None

    def get_version(self, key: str, version_id: str | None = None) -> tuple[bytes, str | None]:
        return self.get(key), None  # uploads are write-once here (accept_upload): one version

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def copy(self, source_key: str, target_key: str) -> None:
        self.put(target_key, self.get(source_key), self.content_type(source_key))

    def delete(self, key: str) -> None:
        for path in (self._path(key), self._meta_path(key)):
            path.unlink(missing_ok=True)

    def presigned_get(self, key: str, expires_in: int, *, version_id: str | None = None, attachment: bool = False) -> str:
        # One version per key; the download route serves originals (incoming/) as attachments.
        self._path(key)  # validates the key
        return f"{self._public_url}/local/blobs?{urlencode(sign_url_params(self._signing_key, key, expires_in))}"

    def presigned_post(self, key: str, content_type: str, max_bytes: int, expires_in: int) -> PresignedPost:
        self._path(key)
        policy = UploadPolicy(key, content_type, 1, max_bytes, time.time() + expires_in)
        return PresignedPost(url=f"{self._public_url}/local/uploads", fields=sign_policy(self._signing_key, policy))

    # --- what the local server's routes call --------------------------------------------------

    def content_type(self, key: str) -> str:
        try:
            return self._meta_path(key).read_text()
        except FileNotFoundError:
            return "application/octet-stream"

    def read_signed(self, params: dict[str, str]) -> tuple[bytes, str]:
        """The blob behind a signed GET URL (raises SignatureError or BlobNotFound)."""
        key = verify_url_params(self._signing_key, params)
        try:
            self._path(key)
        except ValueError:  # signed, but not a key this store could hold (e.g. ../): refuse, never read
            raise SignatureError("the link names no file this service keeps") from None
        return self.get(key), self.content_type(key)

    def accept_upload(self, content_type_header: str, body: bytes | BinaryIO, length: int | None = None) -> str:
        """Enforce a form upload's signed policy as S3 would, store the file, return its key.

        ``body`` is the form's bytes, or a stream of ``length`` bytes (the local server passes the
        socket's): the file part is spooled to disk as it is parsed, never held whole in memory."""
        if not content_type_header.startswith("multipart/form-data"):
            raise UploadError(400, "bad_form", "send the upload as multipart/form-data")
        stream = io.BytesIO(body) if isinstance(body, bytes) else body
        size_of_body = len(body) if isinstance(body, bytes) else (length or 0)
        fields, file = _parse_form(content_type_header, stream, size_of_body)
        try:
            try:
                policy = verify_policy(self._signing_key, fields)
            except SignatureError as err:
                raise UploadError(403, "upload_refused", str(err)) from None
            if file is None:
                raise UploadError(
                    400, "missing_file", "the form has no 'file' field: add the photo as the last field, named 'file'"
                )
            size = file.seek(0, io.SEEK_END)
            file.seek(0)
            if size > policy.max_bytes:
                raise UploadError(
                    400, "file_too_large", f"the file is {size / 2**20:.1f} MB; the limit is {policy.max_bytes / 2**20:.0f} MB"
                )
            if size < policy.min_bytes:
                raise UploadError(400, "file_empty", "the file is empty: choose the photo again")
            # An upload link counts once: the photo that is judged stays the photo that was sent (a
            # form posted again, even before its policy expires, must not replace it).
            if not self._create(self._path(policy.key), file):
                raise UploadError(
                    409, "already_uploaded", "this photo was received already: to send another one, start a new photo (a retake)"
                )
        finally:
            if file is not None:
                file.close()
        self._write(self._meta_path(policy.key), policy.content_type.encode())
        if self.on_created is not None:
            try:
                self.on_created(policy.key, size)
            except Exception:
                # As S3's notifications, the queue is told after the photo is stored, and its
                # failure does not undo the upload: the sweep queues stored photos again.
                log.exception("upload %s stored, but the queue could not be told; the sweep will", policy.key)
        return policy.key

    # --- internals ---------------------------------------------------------------------------

    def _path(self, key: str) -> Path:
        # Keys are chosen by the service, but a folder store must still never leave its root.
        if not _SAFE_KEY.match(key) or ".." in key:
            raise ValueError(f"invalid blob key {key!r}")
        return self._root / key

    def _meta_path(self, key: str) -> Path:
        return self._meta / self._path(key).relative_to(self._root)

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @staticmethod
    def _create(path: Path, data: BinaryIO) -> bool:
        """Write ``path`` only if it does not exist yet (atomically: of two writers one wins)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                shutil.copyfileobj(data, f)
            os.link(tmp, path)
            return True
        except FileExistsError:
            return False
        finally:
            Path(tmp).unlink(missing_ok=True)

    def wipe(self) -> None:
        """Remove every blob (tests and the demo reset)."""
        shutil.rmtree(self._root, ignore_errors=True)
        shutil.rmtree(self._meta, ignore_errors=True)


FORM_FIELD_LIMIT = 64 * 1024  # the policy fields are small; only the file part may be large


def _parse_form(content_type_header: str, stream: BinaryIO, length: int) -> tuple[dict[str, str], BinaryIO | None]:
    """The form's fields, and its file part as an open file (spooled to disk beyond 1 MiB)."""
    from python_multipart import parse_form
    from python_multipart.exceptions import FormParserError

    fields: dict[str, str] = {}
    files: dict[str, BinaryIO] = {}

    def on_field(field) -> None:
        value = field.value or b""
        if len(value) > FORM_FIELD_LIMIT:
            raise UploadError(400, "bad_form", "a form field is too long: send the fields the upload link came with")
        fields[field.field_name.decode()] = value.decode("utf-8", "replace")

    def on_file(file) -> None:
        name = file.field_name.decode()
        if name in files:
            files[name].close()
        file.file_object.seek(0)
        files[name] = file.file_object

    headers = {"Content-Type": content_type_header.encode(), "Content-Length": str(length).encode()}
    try:
        parse_form(headers, stream, on_field, on_file)
    except (FormParserError, ValueError) as err:
        for opened in files.values():
            opened.close()
        if isinstance(err, UploadError):
            raise
        raise UploadError(400, "bad_form", f"the upload form could not be read ({err})") from None
    the_file = files.pop("file", None)
    for other in files.values():
        other.close()
    return fields, the_file

"""HMAC signatures for the local blob store's URLs and form-upload policies.

In AWS, S3 checks presigned URLs and POST policies. The local backend has to do the same itself
(and so do the tests: the S3 emulator checks neither), so the policy document has S3's shape and
the same conditions are enforced on upload.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime


class SignatureError(ValueError):
    """A URL or upload whose signature, expiry or policy does not hold; the message says which."""


def _matches(expected: str, given: str) -> bool:
    """Constant-time comparison that also takes a signature of any characters (compare_digest
    refuses non-ASCII text)."""
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "surrogatepass"))


def _sign(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def sign_url_params(key: bytes, blob_key: str, expires_in: int) -> dict[str, str]:
    expires = str(int(time.time()) + expires_in)
    return {"key": blob_key, "expires": expires, "signature": _sign(key, f"GET\n{blob_key}\n{expires}")}


def verify_url_params(key: bytes, params: dict[str, str]) -> str:
    """Return the blob key of a valid signed GET; raise SignatureError otherwise."""
    try:
        blob_key, expires, signature = params["key"], params["expires"], params["signature"]
        expires_at = int(expires)
    except (KeyError, ValueError):
        raise SignatureError("the link is incomplete: it needs key, expires and signature") from None
    if not _matches(_sign(key, f"GET\n{blob_key}\n{expires}"), signature):
        raise SignatureError("the link's signature does not match")
    if expires_at < time.time():
        raise SignatureError("the link has expired: ask for a new one")
    return blob_key


@dataclass(frozen=True)
class UploadPolicy:
    key: str
    content_type: str
    min_bytes: int
    max_bytes: int
    expires_at: float


def sign_policy(key: bytes, policy: UploadPolicy) -> dict[str, str]:
    """Form fields for a POST upload, shaped like S3's: the policy plus its signature."""
    expiration = datetime.fromtimestamp(policy.expires_at, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    document = {
        "expiration": expiration,
        "conditions": [
            {"key": policy.key},
            {"Content-Type": policy.content_type},
            ["content-length-range", policy.min_bytes, policy.max_bytes],
        ],
    }
    encoded = base64.b64encode(json.dumps(document).encode()).decode()
    return {
        "key": policy.key,
        "Content-Type": policy.content_type,
        "policy": encoded,
        "x-vetrina-signature": _sign(key, encoded),
    }


def verify_policy(key: bytes, fields: dict[str, str]) -> UploadPolicy:
    """Check a POST upload's fields against its signed policy; return the policy."""
    encoded = fields.get("policy")
    signature = fields.get("x-vetrina-signature")
    if not encoded or not signature:
        raise SignatureError("the upload form is missing its policy or signature: use the fields of the upload you were given")
    if not _matches(_sign(key, encoded), signature):
        raise SignatureError("the upload policy's signature does not match: do not change the fields you were given")
    document = json.loads(base64.b64decode(encoded))
    expires_at = datetime.strptime(document["expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
    if expires_at < time.time():
        raise SignatureError("the upload link has expired: ask for a new submission")
    conditions = document["conditions"]
    policy = UploadPolicy(
        key=conditions[0]["key"],
        content_type=conditions[1]["Content-Type"],
        min_bytes=conditions[2][1],
        max_bytes=conditions[2][2],
        expires_at=expires_at,
    )
    if fields.get("key") != policy.key:
        raise SignatureError("the key field does not match the upload policy")
    if fields.get("Content-Type") != policy.content_type:
        raise SignatureError(f"the Content-Type field must be {policy.content_type!r}, as in the upload policy")
    return policy

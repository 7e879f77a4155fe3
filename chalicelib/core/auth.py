"""Who is calling, and what they may do: the one place where roles and scopes are decided.

Identity comes from an ID token whose claims have Cognito's shape:
``cognito:username``, ``cognito:groups`` (the role), ``custom:stores`` and ``custom:regions``
(comma-separated ids: the caller's scope), ``exp``.

- ``VETRINA_AUTH=cognito`` (AWS): API Gateway's Cognito authorizer has verified the token and
  hands its claims to the function in the request context.
- ``VETRINA_AUTH=local`` (the local backend): the token is an HS256 JWT signed with the local
  key (``VETRINA_AUTH_KEY``, or ``<data dir>/auth.key`` made on first use), minted by
  ``python -m chalicelib.devtools.cli token``; it is verified here, signature and expiry.

Roles (docs/ARCHITECTURE.md): a store acts for its own store(s); a merchandiser sees and reviews every
submission of its regions and features windows; HQ may do everything.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt

from chalicelib.core import keyfile
from chalicelib.core.errors import ApiError
from chalicelib.core.settings import Settings

ROLES = ("store", "merchandiser", "hq")
ISSUER = "vetrina-local"
DEFAULT_TOKEN_HOURS = 12

# What each role may do; every route names one of these permissions (app.py), and a test checks
# that no route goes without one.
PERMISSIONS: dict[str, frozenset[str]] = {
    "campaigns:read": frozenset({"store", "merchandiser", "hq"}),  # a store: the campaigns it is in
    "campaigns:write": frozenset({"hq"}),
    "stores:read": frozenset({"merchandiser", "hq"}),
    "stores:write": frozenset({"hq"}),
    "submissions:create": frozenset({"store", "hq"}),
    "submissions:read": frozenset({"store", "merchandiser", "hq"}),  # scoped by store or region
    "submissions:review": frozenset({"merchandiser", "hq"}),  # scoped by region
    "showcase:read": frozenset({"store", "merchandiser", "hq"}),
    # a merchandiser reads the compliance of its own regions (chalicelib.services.analytics scopes it)
    "analytics:read": frozenset({"merchandiser", "hq"}),
    # the whole network's numbers only: reviewer–model agreement, the base of a guideline's thresholds
    "analytics:network": frozenset({"hq"}),
    "exports": frozenset({"hq"}),
    "reminders": frozenset({"hq"}),
}


class Unauthorized(ApiError):
    status = 401
    code = "unauthorized"


class Forbidden(ApiError):
    status = 403
    code = "forbidden"


@dataclass(frozen=True)
class Caller:
    username: str
    role: str
    stores: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()

    def may_see(self, store_id: str, region: str | None) -> bool:
        """Whether this caller's scope covers a store (whose region is ``region``)."""
        if self.role == "hq":
            return True
        if self.role == "merchandiser":
            return region is not None and region in self.regions
        return store_id in self.stores

    def require_store(self, store_id: str, region: str | None) -> None:
        if not self.may_see(store_id, region):
            raise Forbidden(f"{self.describe()} may not act for store {store_id!r}", code="out_of_scope")

    def listing_region(self, region: str | None, refusal: str) -> str | None:
        """The region a listing reads: HQ's choice (None: every region); anyone else lists one of its
        own regions at a time, the one asked for or its only one (``refusal`` says what to add)."""
        if self.role == "hq":
            return region
        region = region or (next(iter(self.regions)) if len(self.regions) == 1 else None)
        if region is None or region not in self.regions:
            raise Forbidden(f"{self.describe()} {refusal}", code="out_of_scope")
        return region

    def describe(self) -> str:
        scope = {
            "store": f"store(s) {', '.join(sorted(self.stores)) or 'none'}",
            "merchandiser": f"region(s) {', '.join(sorted(self.regions)) or 'none'}",
            "hq": "the whole network",
        }[self.role]
        return f"{self.username} ({self.role}, {scope})"


def authorize(claims: dict[str, Any], permission: str) -> Caller:
    """The caller, if its role grants ``permission``; Forbidden otherwise."""
    caller = caller_from_claims(claims)
    if caller.role not in PERMISSIONS[permission]:
        allowed = " or ".join(sorted(PERMISSIONS[permission]))
        raise Forbidden(f"{caller.describe()} may not do this: it needs the role {allowed}")
    return caller


def caller_from_claims(claims: dict[str, Any]) -> Caller:
    groups = _split(claims.get("cognito:groups"))
    roles = [r for r in ("hq", "merchandiser", "store") if r in groups]  # the broadest role wins
    if not roles:
        raise Forbidden("the signed-in user is in none of the groups store, merchandiser, hq: ask HQ to add it to one")
    return Caller(
        # A pool that signs in by email names its users by a UUID: the email is the readable name.
        username=str(claims.get("email") or claims.get("cognito:username") or claims.get("sub") or "unknown"),
        role=roles[0],
        stores=frozenset(_split(claims.get("custom:stores"))),
        regions=frozenset(_split(claims.get("custom:regions"))),
    )


def _split(value: Any) -> list[str]:
    """A claim list: a JSON list, or API Gateway's rendering of one ("[a b]" or "a,b")."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [part for part in str(value).strip("[]").replace(",", " ").split() if part]


# --- the claims of a request --------------------------------------------------------------------


def request_claims(request: Any, settings: Settings) -> dict[str, Any]:
    if settings.auth == "cognito":
        claims = ((request.context or {}).get("authorizer") or {}).get("claims")
        if not claims:
            raise Unauthorized("sign in first: this route needs a Cognito ID token in the Authorization header")
        return claims
    header = (request.headers or {}).get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(
            "sign in first: send 'Authorization: Bearer <token>' (python -m chalicelib.devtools.cli token mints one)"
        )
    return verify(token.strip(), settings)


def verify(token: str, settings: Settings) -> dict[str, Any]:
    try:
        return jwt.decode(
            token, local_key(settings), algorithms=["HS256"], issuer=ISSUER, options={"require": ["exp", "cognito:groups"]}
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("the token has expired: sign in again (mint a new token)", code="token_expired") from None
    except jwt.PyJWTError:
        raise Unauthorized(
            "the token is not valid here (tampered, or signed with another key): sign in again", code="invalid_token"
        ) from None


def mint(
    settings: Settings,
    role: str,
    *,
    username: str | None = None,
    stores: tuple[str, ...] = (),
    regions: tuple[str, ...] = (),
    hours: float = DEFAULT_TOKEN_HOURS,
) -> str:
    """A local token, with the claims a Cognito ID token of that user would carry."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if role == "store" and not stores:
        raise ValueError("a store token needs at least one store (--store)")
    if role == "merchandiser" and not regions:
        raise ValueError("a merchandiser token needs at least one region (--region)")
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "token_use": "id",
        "cognito:username": username or f"{role}-{'-'.join(stores or regions) or 'user'}",
        "cognito:groups": [role],
        "custom:stores": ",".join(stores),
        "custom:regions": ",".join(regions),
        "iat": now,
        "exp": now + int(hours * 3600),
    }
    return jwt.encode(claims, local_key(settings), algorithm="HS256")


def local_key(settings: Settings) -> bytes:
    """The local signing key: VETRINA_AUTH_KEY, or a random key kept in the data folder."""
    configured = os.environ.get("VETRINA_AUTH_KEY")
    if configured:
        return configured.encode()
    return keyfile.load_or_create(Path(settings.data_dir) / "auth.key").strip()

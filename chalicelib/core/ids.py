"""Identifiers chosen by the service (never taken from client text)."""

from __future__ import annotations

import re
import secrets
import time

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

# Ids that clients choose (campaigns, stores, rules) are restricted to this shape so that they
# are safe in record keys; they never go into S3 keys.
CLIENT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
SUBMISSION_ID = re.compile(r"^sub_[0-9A-HJKMNP-TV-Z]{26}$")


def _ulid() -> str:
    """A ULID: 48 bits of milliseconds then 80 random bits, so ids sort by creation time."""
    value = (int(time.time() * 1000) << 80) | secrets.randbits(80)
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def new_submission_id() -> str:
    return "sub_" + _ulid()


def new_export_id() -> str:
    return "exp_" + _ulid()


def new_pack_file_id() -> str:
    return "pf_" + _ulid()


TRIAL_ID = re.compile(r"^trl_[0-9A-HJKMNP-TV-Z]{26}$")


def new_trial_id() -> str:
    return "trl_" + _ulid()


def is_trial_id(text: str) -> bool:
    return bool(TRIAL_ID.match(text))


def is_submission_id(text: str) -> bool:
    return bool(SUBMISSION_ID.match(text))

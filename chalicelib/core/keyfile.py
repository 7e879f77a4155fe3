"""Secrets the local backend keeps in its data folder (the token and link signing keys)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def load_or_create(path: Path) -> bytes:
    """The key in ``path``, created once (random, owner-only) and kept with the data so tokens and
    links survive restarts. Two processes starting at once agree: one creates it, both read it."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as file:
                file.write(secrets.token_hex(32))
    return path.read_bytes()

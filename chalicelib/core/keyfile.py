"""Secrets the local backend keeps in its data folder (the token and link signing keys)."""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path


def load_or_create(path: Path) -> bytes:
    """The key in ``path``, created once (random, owner-only) and kept with the data so tokens and
    links survive restarts. Threads or processes starting at once agree: the key is written whole
    to a file of its own and then linked into place, so a reader never sees a half-written key."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, draft = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # owner-only
        try:
            with os.fdopen(fd, "w") as file:
                file.write(secrets.token_hex(32))
            os.link(draft, path)  # atomic; fails if another one got there first
        except FileExistsError:
            pass
        finally:
            os.unlink(draft)
    return path.read_bytes()

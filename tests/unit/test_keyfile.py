"""The local signing keys: created once, whole, whoever asks first."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor

from chalicelib.core import keyfile


def test_threads_asking_at_once_all_get_the_same_whole_key(tmp_path):
    # `make run` mints its sign-in links while the demo seeds itself on another thread: one of them
    # used to read the key file between its creation and its write, and got an empty key.
    for attempt in range(20):
        path = tmp_path / f"run{attempt}" / "auth.key"
        with ThreadPoolExecutor(8) as pool:
            keys = set(pool.map(keyfile.load_or_create, [path] * 16))
        assert len(keys) == 1 and len(keys.pop()) == 64
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert [p.name for p in path.parent.iterdir()] == ["auth.key"]  # no draft left behind

"""The same photo and guideline give the same result, whatever the process analysed before and in
whichever process it runs: no per-process cache changes a verdict, and the randomised steps
(RANSAC sampling, FLANN's trees) are seeded.

Once, a photo holding two posters analysed for one, then the other, then the first again turned
the first from pass (1.0) to fail (0), and a repeated call alone alternated 1.0 / 0.863 / 1.0.
"""

from __future__ import annotations

import functools
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib.core.guideline import Guideline, parse_guideline
from chalicelib.devtools import scenes
from chalicelib.vision.analysis import analyse
from chalicelib.vision.context import DictPack

SUMMER, SEASON = "summer-sale.png", "new-season.png"  # one template: the hard case
HEADLINES = {SUMMER: "Summer Sale", SEASON: "New Season"}
SIZE = (1600, 1200)
ROOT = Path(__file__).resolve().parents[2]

# (seed, posters present, defects): two posters of one template side by side, one behind a person
# (the occluder path of the artwork check), one with glare and a reflection.
PHOTOS = (
    (26, (SUMMER, SEASON), ()),
    (32, (SUMMER,), ("person",)),
    (35, (SEASON, SUMMER), ("glare", "reflection")),
)


@functools.cache
def _photo(index: int) -> bytes:
    seed, present, defects = PHOTOS[index]
    return scenes.window_scene(seed, scenes.campaign_pack(), list(present), defects=defects, size=SIZE).jpeg


@functools.cache
def _guideline(artwork: str) -> Guideline:
    return parse_guideline(
        {
            "rules": [
                {"id": "sharp", "type": "photo_quality", "message": "Blurry.", "parameters": {"check": "sharpness"}},
                {"id": "poster", "type": "artwork_present", "message": "Put up the poster.", "parameters": {"artwork": artwork}},
                {
                    "id": "promo",
                    "type": "text",
                    "message": "Show the promotion.",
                    "parameters": {"phrases": [HEADLINES[artwork]], "artwork": artwork},
                },
            ]
        }
    )


def _outcome(photo: int, artwork: str) -> list[tuple[str, str, float | None]]:
    result = analyse(_photo(photo), _guideline(artwork), DictPack(scenes.campaign_pack())).result
    return [(rule["id"], rule["status"], rule["value"]) for rule in result["rules"]]


def _outcomes(order: list[tuple[int, str]]) -> dict[str, list]:
    """Each (photo, artwork) of ``order`` analysed in that order; the last result of each."""
    return {f"{photo}:{artwork}": _outcome(photo, artwork) for photo, artwork in order}


def _all_pairs() -> list[tuple[int, str]]:
    return [(photo, artwork) for photo in range(len(PHOTOS)) for artwork in (SUMMER, SEASON)]


def _as_json(outcomes: dict[str, list]) -> dict[str, list]:
    return json.loads(json.dumps(outcomes))


def test_one_poster_then_the_other_then_the_first_again():
    first = _outcome(0, SUMMER)
    _outcome(0, SEASON)
    assert _outcome(0, SUMMER) == first
    assert [_outcome(0, SUMMER) for _ in range(3)] == [first] * 3


@pytest.mark.e2e  # a fresh interpreter loads the models (~14 s)
def test_shuffled_orders_and_a_fresh_process_agree_exactly():
    pairs = _all_pairs()
    reference = _outcomes(pairs)
    for seed in (1, 2):
        shuffled = pairs[:]
        random.Random(seed).shuffle(shuffled)
        assert _outcomes(shuffled) == reference, seed
    assert _outcomes(pairs[::-1]) == reference

    # A fresh interpreter that has analysed nothing before, in another order again.
    child = (
        f"import json, sys; sys.path[:0] = [{str(ROOT)!r}, {str(Path(__file__).parent)!r}]\n"
        "import test_determinism as t\n"
        "print(json.dumps(t._outcomes([tuple(p) for p in json.loads(sys.argv[1])])))"
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-c", child, json.dumps(pairs[::-1])], capture_output=True, text=True, cwd=ROOT, env=env, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == _as_json(reference)

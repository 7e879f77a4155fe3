"""Reference similarity on real pixels: the same synthetic window re-shot by hand (rotated, closer,
noisier, at an angle, another exposure), the same window dressed otherwise, other windows, and
unrelated scikit-image photos (a cat, a coffee cup, an astronaut, a rocket)."""

from __future__ import annotations

import functools

import cv2
import numpy as np
import pytest
import skimage.data

from chalicelib.core.guideline import parse_guideline
from chalicelib.devtools import synthetic
from chalicelib.vision import embedding
from chalicelib.vision.checks import similarity
from chalicelib.vision.context import DictPack, PhotoContext
from chalicelib.vision.evidence import Note, Quad
from chalicelib.vision.inference import Models
from chalicelib.vision.intake import IntakeResult

SIZE = (1600, 1200)
WINDOWS = (1, 2, 3, 4, 5)
UNRELATED = ("chelsea", "coffee", "astronaut", "rocket")


@functools.cache
def models() -> Models:
    return Models(threads=1)


def context_of(rgb: np.ndarray, pack: DictPack | None = None) -> PhotoContext:
    height, width = rgb.shape[:2]
    return PhotoContext(IntakeResult("jpeg", (width, height), rgb, b"", b"", ()), pack, models())


def reference_name(seed: int) -> str:
    return f"reference-{seed}.jpg"


@functools.cache
def reference_jpeg(seed: int) -> bytes:
    return synthetic.to_jpeg(synthetic.window_photo(seed, size=SIZE))


@functools.cache
def reshot(seed: int) -> np.ndarray:
    """The same window photographed again: another stance, exposure and sensor noise."""
    rng = np.random.default_rng(1000 + seed)
    rgb = synthetic.window_photo(seed, size=SIZE, noise_sigma=0)
    height, width = rgb.shape[:2]
    corners = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    moved = corners + rng.uniform(-0.03, 0.03, (4, 2)).astype(np.float32) * width
    warped = cv2.warpPerspective(rgb, cv2.getPerspectiveTransform(corners, moved), (width, height), borderMode=cv2.BORDER_REFLECT)
    exposed = warped.astype(np.float32) * rng.uniform(0.8, 1.2) + rng.normal(0, 3, warped.shape)
    return np.clip(exposed, 0, 255).astype(np.uint8)


@functools.cache
def unrelated(name: str) -> np.ndarray:
    return getattr(skimage.data, name)()


def similarity_rule(references, **parameters):
    rule = {
        "id": "like-reference",
        "type": "reference_similarity",
        "message": "The window does not look like the reference photo.",
        "parameters": {"references": list(references), **parameters},
    }
    return parse_guideline({"rules": [rule]}).rules[0]


def pack_of(seeds) -> DictPack:
    return DictPack({reference_name(s): reference_jpeg(s) for s in seeds})


def score(rgb: np.ndarray, seed: int) -> float:
    return embedding.similarity(embedding.embed(models(), rgb), embedding.reference_embedding(models(), reference_jpeg(seed)))


def test_the_same_window_reshot_is_more_similar_than_any_other_window_and_unrelated_photos_are_far():
    same = [score(reshot(s), s) for s in WINDOWS]
    other = [score(reshot(s), r) for s in WINDOWS for r in WINDOWS if r != s]
    far = [max(score(unrelated(n), r) for r in WINDOWS) for n in UNRELATED]
    # Measured (fixed seeds): same >= 0.944, other windows <= 0.923, unrelated <= 0.28.
    assert min(same) > max(other)
    assert min(same) >= 0.92
    assert max(far) < 0.3 < 0.8 < min(other)


@pytest.mark.parametrize("seed", WINDOWS[:3])
def test_a_reshot_window_passes_against_its_references(seed):
    rule = similarity_rule([reference_name(s) for s in (seed, seed % 5 + 1)])
    result = similarity.evaluate(rule, context_of(reshot(seed), pack_of((seed, seed % 5 + 1))))
    assert result.status == "pass" and not result.retake
    assert result.message == "The window looks like the reference photo."
    assert result.value >= 0.92
    note = result.evidence[0]
    assert isinstance(note, Note) and reference_name(seed) in note.text


def test_a_different_window_fails_a_strict_threshold():
    rule = similarity_rule([reference_name(1)], min_similarity=0.935, uncertain_margin=0.005)
    result = similarity.evaluate(rule, context_of(reshot(2), pack_of((1,))))
    assert result.status == "fail" and not result.retake
    assert result.message == "The window does not look like the reference photo."


@pytest.mark.parametrize("name", UNRELATED)
def test_an_unrelated_photo_is_a_retake(name):
    rule = similarity_rule([reference_name(s) for s in WINDOWS[:2]])
    result = similarity.evaluate(rule, context_of(unrelated(name), pack_of(WINDOWS[:2])))
    assert result.status == "fail" and result.retake
    assert "does not seem to show the shop window" in result.message
    assert result.value < 0.3


def test_the_photo_embedding_is_computed_once_per_photo(monkeypatch):
    calls = []
    real_embed = embedding.embed
    monkeypatch.setattr(embedding, "embed", lambda *a, **k: calls.append(1) or real_embed(*a, **k))
    context = context_of(reshot(1), pack_of((1,)))
    rule = similarity_rule([reference_name(1)])
    embedding.reference_embedding(models(), reference_jpeg(1))  # references are cached per process
    calls.clear()
    similarity.evaluate(rule, context)
    similarity.evaluate(rule, context)
    assert len(calls) == 1


def test_another_arrangement_is_the_same_window_dressed_otherwise():
    default, other = (synthetic.window_photo(2, size=(800, 600), noise_sigma=0, arrangement=a) for a in (0, 1))
    assert np.array_equal(default[:100], other[:100])  # the sign band and the facade above it
    assert np.abs(default[250:450].astype(int) - other[250:450]).mean() > 20  # the display


def hand_reshot(
    seed: int, *, rotate=0.0, zoom=1.0, perspective=0.0, gain=1.0, noise=0.0, arrangement=0, rng_seed=0
) -> np.ndarray:
    """The window (or the same window dressed otherwise) photographed again by a person."""
    rng = np.random.default_rng(rng_seed)
    rgb = synthetic.window_photo(seed, size=SIZE, noise_sigma=0, arrangement=arrangement)
    height, width = rgb.shape[:2]
    camera = np.vstack([cv2.getRotationMatrix2D((width / 2, height / 2), rotate, zoom), [0, 0, 1]])
    if perspective:
        corners = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
        moved = corners + rng.uniform(-perspective, perspective, (4, 2)).astype(np.float32) * width
        camera = cv2.getPerspectiveTransform(corners, moved) @ camera
    shot = cv2.warpPerspective(rgb, camera, (width, height), borderMode=cv2.BORDER_REFLECT).astype(np.float32)
    shot = shot * gain + (rng.normal(0, noise, shot.shape) if noise else 0.0)
    return np.clip(shot, 0, 255).astype(np.uint8)


RESHOOTS = {
    "rotated +3 degrees": dict(rotate=3),
    "rotated -3 degrees": dict(rotate=-3),
    "4 % closer": dict(zoom=1.04),
    "8 % closer": dict(zoom=1.08),
    "sensor noise": dict(noise=8),
    "at a slight angle": dict(perspective=0.03),
    "darker": dict(gain=0.7),
    "brighter": dict(gain=1.3),
    "all at once": dict(rotate=-3, zoom=1.06, perspective=0.02, gain=0.8, noise=6),
}


def judged_against(seed: int, rgb: np.ndarray, **parameters):
    rule = similarity_rule([reference_name(seed)], **parameters)
    return similarity.evaluate(rule, context_of(rgb, pack_of((seed,))))


@pytest.mark.parametrize("seed", (1, 3))
@pytest.mark.parametrize("reshoot", RESHOOTS)
def test_the_same_window_reshot_by_hand_passes(seed, reshoot):
    result = judged_against(seed, hand_reshot(seed, rng_seed=seed, **RESHOOTS[reshoot]))
    # Measured: every cell agrees (1.0) for each of these; the default passes from 0.95.
    assert result.status == "pass", result.evidence
    assert result.value >= 0.95
    assert not [e for e in result.evidence if isinstance(e, Quad)]


@pytest.mark.parametrize("seed", (1, 3))
@pytest.mark.parametrize("arrangement", (1, 2))
@pytest.mark.parametrize("reshoot", ("as the reference", "all at once"))
def test_the_same_window_dressed_otherwise_fails(seed, arrangement, reshoot):
    camera = RESHOOTS.get(reshoot, {})
    result = judged_against(seed, hand_reshot(seed, arrangement=arrangement, rng_seed=seed, **camera))
    # Measured: 0.54-0.75 of the cells agree (the facade, the sign, the frame); the default fails under 0.85.
    assert result.status == "fail" and not result.retake
    assert result.value <= 0.8
    assert result.message == "The window does not look like the reference photo."
    # The cells that differ are drawn on the photo, inside it.
    quads = [e for e in result.evidence if isinstance(e, Quad)]
    assert quads
    points = np.array([p for q in quads for p in q.points], float)
    assert points.min() >= -0.1 * SIZE[0] and points[:, 0].max() <= 1.1 * SIZE[0] and points[:, 1].max() <= 1.1 * SIZE[1]


@pytest.mark.parametrize("seed", WINDOWS)
def test_another_window_fails(seed):
    other = seed % 5 + 1
    result = judged_against(seed, hand_reshot(other, rng_seed=seed, **RESHOOTS["all at once"]))
    assert result.status == "fail" and not result.retake
    assert result.value <= 0.6


def test_a_zoned_rule_judges_only_the_cells_of_its_zone():
    # Arrangement 2 moves the poster and the mannequins, and leaves the sign band above alone.
    moved = hand_reshot(1, arrangement=2, **RESHOOTS["all at once"])
    rule = parse_guideline(
        {
            "rules": [
                {
                    "id": "sign",
                    "type": "reference_similarity",
                    "zone": "upper_third",
                    "message": "The sign is not as in the reference.",
                    "parameters": {"references": [reference_name(1)]},
                }
            ]
        }
    ).rules[0]
    assert similarity.evaluate(rule, context_of(moved, pack_of((1,)))).status == "pass"
    assert judged_against(1, moved).status == "fail"

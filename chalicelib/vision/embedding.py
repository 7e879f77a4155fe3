"""Image embeddings for "is this photo of a shop window like the reference at all?"
(EfficientNet-Lite0). Whether the window is dressed like the reference is judged on its layout
(chalicelib.vision.checks.similarity): an embedding moves more with a re-shoot's framing, noise
and exposure than with the display's arrangement.

A photo is described by two views, its left and right 60% (they overlap by a fifth), each
squashed to the model's 224 x 224 input so nothing at the edges of the window is cropped away.
The similarity of two photos is the mean cosine similarity of their matching views. Measured on
synthetic windows re-shot with perspective, exposure and noise changes against other windows of
the same template and unrelated photos, this split separated the same window from a different
one better than the model's own centre crop, the whole frame, or whole + 2x2 grid (which also
costs 5 model runs, over the 40 ms budget); see tests/vision/test_similarity.py.
"""

from __future__ import annotations

import numpy as np

from chalicelib.vision.context import FrozenCache, PhotoContext, digest
from chalicelib.vision.inference import Models
from chalicelib.vision.intake import intake
from chalicelib.vision.resample import shrink

EMBEDDING_MODEL = "embed_efficientnet_lite0"
INPUT_SIDE = 224
# (left, right) shares of the photo's width for each view; every view keeps the full height.
VIEWS: tuple[tuple[float, float], ...] = ((0.0, 0.6), (0.4, 1.0))
# reference photos of the campaigns a warm Lambda sees in a row
_reference_embeddings = FrozenCache(64)


def _normalisation(models: Models, model: str) -> tuple[float, float, float]:
    """(scale, mean, std) of the model's input, from its manifest entry."""
    norm = models.spec(model)["input"]["normalisation"]
    return float(norm["scale"]), float(norm["mean"][0]), float(norm["std"][0])


def _view_batch(rgb: np.ndarray, scale: float, mean: float, std: float) -> np.ndarray:
    """The photo's views as one N x 3 x 224 x 224 float32 batch."""
    height, width = rgb.shape[:2]
    views = []
    for left, right in VIEWS:
        part = rgb[:, round(left * width) : max(round(left * width) + 1, round(right * width))]
        views.append(shrink(part, (INPUT_SIDE, INPUT_SIDE)))
    batch = np.stack(views).astype(np.float32)
    batch = (batch * scale - mean) / std
    return np.ascontiguousarray(batch.transpose(0, 3, 1, 2))


def embed(models: Models, rgb: np.ndarray, model: str = EMBEDDING_MODEL) -> np.ndarray:
    """The photo's embedding: one L2-normalised row per view, shape (len(VIEWS), D)."""
    session = models.session(model)
    input_name = session.get_inputs()[0].name
    features = session.run(["embedding"], {input_name: _view_batch(rgb, *_normalisation(models, model))})[0]
    norms = np.linalg.norm(features, axis=1, keepdims=True)
    return features / np.maximum(norms, 1e-12)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Mean cosine similarity of matching views, -1..1 (0..1 in practice: the features are >= 0)."""
    return float(np.mean(np.sum(a * b, axis=1)))


def reference_embedding(models: Models, data: bytes, model: str = EMBEDDING_MODEL) -> np.ndarray:
    """Embedding of a pack's reference photo (encoded bytes), cached per process by content."""
    return _reference_embeddings.get((model, digest(data)), lambda: embed(models, intake(data).working, model))


def photo_embedding(context: PhotoContext, model: str = EMBEDDING_MODEL) -> np.ndarray:
    """The submitted photo's embedding, computed once per photo whatever rules need it."""
    key = "embedding" if model == EMBEDDING_MODEL else f"embedding:{model}"
    return context.shared(key, lambda: embed(context.models, context.rgb, model))

"""Text: a required or forbidden phrase (promo line, price, legal text) in the window, read by OCR.

Where: on the rectified artwork when the rule names one and it is found (the poster warped to an
upright rectangle, so its text reads as if scanned; matched words are mapped back to the photo
through the homography), else on the rule's zone of the photo (the whole photo by default). The
OCR of one region is done once per photo, however many text rules read it. When part of the found
artwork is hidden (a person in front), a required phrase printed on the artwork is judged on its
letters in view: where they sit comes from the artwork file's own text; a letter near the hidden
part is in view only if the photo shows the artwork's glyph there (pixel correlation with the
artwork file), and the poster is read again with the hidden part and the hidden letters painted
out, so the recogniser reads neither the occluder's texture nor a cut letter's fragment.

Matching forgives what a shop-window photo and the OCR model do to text:
- case and accents ("Già" = "GIA"; the recognition model knows few accented letters anyway);
- spaces: PP-OCR often drops the space between Latin words ("SALDIDIFINE"), so phrase and words
  are compared with spaces removed, over windows of consecutive words;
- prices: currency signs and words are dropped (the model has no "€" at all) and decimal commas
  and thousands separators are unified, so "€ 29,90" matches "29.90€" and "EUR 29.90";
- letter/digit confusions (O/0, l/I/1, S/5) where a character sits among the other kind
  ("sc0ntato" → "scontato", "5O%" → "50%");
- other misreadings: similarity = 1 − normalised Levenshtein distance of the phrase against the
  best window, judged against ``min_similarity``.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from PIL import Image
from rapidfuzz.distance import Levenshtein

from chalicelib.core.guideline import TextRule
from chalicelib.vision import ocr
from chalicelib.vision.context import PhotoContext
from chalicelib.vision.evidence import Evidence, Note, Quad, ZoneBox
from chalicelib.vision.verdict import RuleResult, Threshold

# The artwork is read upright at this long side, whatever its size in the photo: a poster's legal
# line still reads, at 2/3 of the cost of the detector's own 960, and smaller text would fall
# below what the detector finds.
RECTIFIED_LONG_SIDE = 640
EXTRA_WORDS = 2  # a window may hold this many more words than the phrase (split words, noise)
EXCERPT_CHARS = 160

_CURRENCY = re.compile(r"[€$£¥]|\b(?:eur|euro|euros|usd|gbp|chf)\b")
_NUMBER = re.compile(r"\d[\d.,']*\d|\d")
_NOT_KEPT = re.compile(r"[^0-9a-z%.]+")  # anything else separates words
_TO_DIGIT = {"o": "0", "l": "1", "i": "1", "s": "5"}
_TO_LETTER = {"0": "o", "1": "l", "5": "s"}
# Measured on 40 rendered images (93 phrases present): exact matches 0.97 → 0.98 with the fold,
# and the best score of an absent phrase unchanged (0.667). Folding i/l everywhere gained nothing.
FOLD_CONFUSIONS = True


# --- normalisation --------------------------------------------------------------------------


def _plain(text: str) -> str:
    """Casefolded, without accents, ligatures expanded (NFKD), currency marks removed."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return _CURRENCY.sub(" ", stripped)


def _number(match: re.Match[str]) -> str:
    """One spelling per amount: the last separator followed by 1-2 digits is the decimal point,
    every other separator is grouping ("1.299,00" and "1,299.00" → "1299.00")."""
    digits = match.group(0)
    decimal = re.search(r"[.,](\d{1,2})$", digits)
    whole = digits[: decimal.start()] if decimal else digits
    whole = re.sub(r"[.,']", "", whole)
    return f"{whole}.{decimal.group(1)}" if decimal else whole


def _fold_confusions(token: str) -> str:
    """Swap O/0, l/I/1, S/5 when the character is of the token's minority kind and every
    neighbour is of the other kind: "sc0ntato" → "scontato", "5O%" → "50%", "promo3x2" and "il"
    stay as they are."""
    kinds = ["L" if ch.isalpha() else "D" if ch.isdigit() or ch in ".%" else "" for ch in token]
    letters, digits = kinds.count("L"), kinds.count("D")
    if letters == digits or not letters or not digits:
        return token
    minority, table = ("D", _TO_LETTER) if digits < letters else ("L", _TO_DIGIT)
    out = list(token)
    for i, ch in enumerate(token):
        around = {kinds[j] for j in (i - 1, i + 1) if 0 <= j < len(token)}
        if kinds[i] == minority and ch in table and around and minority not in around and "" not in around:
            out[i] = table[ch]
    return "".join(out)


def normalise(text: str) -> list[str]:
    """The comparable tokens of a text (see the module notes)."""
    plain = _NUMBER.sub(_number, _plain(text))
    tokens = []
    for token in _NOT_KEPT.sub(" ", plain).split():
        token = re.sub(r"(?<!\d)\.|\.(?!\d)", "", token)  # a full stop, not a decimal point
        if token:
            tokens.append(_fold_confusions(token) if FOLD_CONFUSIONS else token)
    return tokens


# --- where to read --------------------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """The OCR of one region of a photo, in working-image pixels."""

    lines: tuple[ocr.TextLine, ...]
    where: str  # for the reviewer: "artwork poster.jpg", "zone lower_third", "photo"
    region: ZoneBox | Quad | None  # the region read: the rule's zone, or the artwork's outline
    # On a partly hidden artwork: its name, the rectified size read, and what is hidden.
    artwork: str | None = None
    rectified: tuple[int, int] | None = None
    hidden: np.ndarray | None = None
    image: np.ndarray | None = None  # the rectified poster (RGB), kept to read its part in view again
    to_working: np.ndarray | None = None  # rectified pixels -> working pixels


def _mapped(lines: Sequence[ocr.TextLine], to_working: Callable[[np.ndarray], np.ndarray]) -> tuple[ocr.TextLine, ...]:
    def move(quad: np.ndarray) -> np.ndarray:
        return to_working(quad).astype(np.float32)

    return tuple(
        ocr.TextLine(
            line.text, line.confidence, move(line.quad), tuple(ocr.Word(w.text, w.confidence, move(w.quad)) for w in line.words)
        )
        for line in lines
    )


def _read_zone(context: PhotoContext, rule: TextRule) -> Reading:
    x, y, w, h = context.zone_pixels(rule.zone)

    def compute() -> Reading:
        lines = ocr.read_text(context.rgb[y : y + h, x : x + w], context.models)
        offset = np.array([x, y], np.float32)
        region = None
        if rule.zone is not None:
            region = ZoneBox((x, y, w, h), f"zone {rule.zone.name or 'read'}")
        return Reading(
            _mapped(lines, lambda q: q + offset), f"zone {rule.zone.name or ''}".strip() if rule.zone else "photo", region
        )

    return context.shared(f"text:ocr:zone:{x},{y},{w},{h}", compute)


def rectified_size(match: Any) -> tuple[int, int]:
    """(w, h) to read the artwork at: its own aspect, long side RECTIFIED_LONG_SIDE."""
    art_w, art_h = match.artwork_size
    scale = RECTIFIED_LONG_SIDE / max(art_w, art_h)
    return max(1, round(art_w * scale)), max(1, round(art_h * scale))


# The artwork file's own text, read once per process (by content and reading size): where each
# phrase sits on the poster, to tell which of its letters a person in front hides.
_artwork_text_cache: dict[tuple[str, tuple[int, int]], tuple[tuple[ocr.TextLine, ...], np.ndarray]] = {}
_ARTWORK_TEXT_CACHE_LIMIT = 64
HIDDEN_LETTER = 0.5  # a letter whose piece of the poster is hidden at least this much is not expected
MIN_VISIBLE_LETTERS = 0.5  # below this share of the phrase in view, the phrase is judged whole
GAP_SEARCH = 0.35  # a letter boundary moves at most this share of a letter to the gap between glyphs
FILL_BANDS = 32  # the painted-out part takes the colour around it in this many bands of rows
LETTER_BLUR = 1.5  # both the photo and the artwork, so a rectification a few pixels off still agrees
LETTER_AGREES = 0.8  # correlation with the artwork's glyph above which a letter near the hidden part is in view
EDGE_MARGIN = 1.0  # the hidden part is grown by this many pieces of the hidden map (see _hidden_mask)


def _artwork_printed(context: PhotoContext, name: str, size: tuple[int, int]) -> tuple[tuple[ocr.TextLine, ...], np.ndarray]:
    """The artwork file upright at ``size`` (grey, read-only) and its text read as the rectified
    poster is read; once per process by content and size."""
    data, content = context.pack_file(name)
    key = (content, size)
    cached = _artwork_text_cache.get(key)
    if cached is None:
        rgb = cv2.resize(np.asarray(Image.open(io.BytesIO(data)).convert("RGB")), size, interpolation=cv2.INTER_AREA)
        grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        grey.setflags(write=False)
        cached = (tuple(ocr.read_text(rgb, context.models)), grey)
        if len(_artwork_text_cache) >= _ARTWORK_TEXT_CACHE_LIMIT:
            _artwork_text_cache.pop(next(iter(_artwork_text_cache)))
        _artwork_text_cache[key] = cached
    return cached


def _artwork_text(context: PhotoContext, name: str, size: tuple[int, int]) -> tuple[ocr.TextLine, ...]:
    """The artwork file's text read upright at ``size``, as the rectified poster is read."""
    return _artwork_printed(context, name, size)[0]


def _hidden_mask(hidden: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The hidden part in rectified pixels, and the part within EDGE_MARGIN pieces of it.

    The map is judged in pieces (quarters of the artwork match's cells), and its edge may run up
    to a piece off the occluder's true outline, either way: the letters near it are judged on
    their own pixels (see _hidden_letters). Holes of a piece inside the hidden part (a plain
    patch of the occluder over the poster's plain background) are closed: one thing in front
    hides one region.
    """
    width, height = size
    rows, cols = hidden.shape
    grid = (hidden >= HIDDEN_LETTER).astype(np.uint8)
    grid = cv2.morphologyEx(grid, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    coarse = cv2.resize(grid, (width, height), interpolation=cv2.INTER_NEAREST)
    reach = (max(1, round(EDGE_MARGIN * width / cols)), max(1, round(EDGE_MARGIN * height / rows)))
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (2 * reach[0] + 1, 2 * reach[1] + 1))
    return coarse.astype(bool), cv2.dilate(coarse, kernel).astype(bool)


def _masked(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The rectified poster with its hidden part painted flat: the recogniser reads letters into
    an occluder's texture (a face, a print) and its edge, never into a plain patch. Each band of
    rows takes the colour around the mask in that band, so a line's painted part continues its
    own background (a dark text box stays dark) instead of drawing a stroke beside the last
    letter shown."""
    ring = cv2.dilate(mask.astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool) & ~mask
    fallback = np.median(image[ring] if ring.any() else image.reshape(-1, 3), axis=0)
    out = image.copy()
    band = max(4, image.shape[0] // FILL_BANDS)
    for top in range(0, image.shape[0], band):
        rows = slice(top, top + band)
        around = image[rows][ring[rows]]
        out[rows][mask[rows]] = (np.median(around, axis=0) if len(around) else fallback).astype(np.uint8)
    return out


def _letter_boxes(word: ocr.Word, grey: np.ndarray) -> list[tuple[slice, slice]]:
    """Where each letter of a word printed on the artwork lies on the rectified poster (rows,
    columns). The artwork's own text is upright; its letters are spread evenly over the word's
    box, then each boundary moves to the clearest column nearby (the gap between two glyphs in
    the artwork file), since proportional letters are not evenly spaced ("I" beside "O")."""
    height, width = grey.shape
    left, right = float(word.quad[:, 0].min()), float(word.quad[:, 0].max())
    top = max(0, int(word.quad[:, 1].min()))
    bottom = min(height, int(np.ceil(word.quad[:, 1].max())))
    step = (right - left) / max(1, len(word.text))
    edges = [min(width, max(0, round(left + i * step))) for i in range(len(word.text) + 1)]
    if bottom - top >= 2 and step >= 3:
        band = grey[top:bottom].astype(np.float32)
        ink = np.abs(band - np.median(band)).mean(axis=0)  # how much of each column is glyph
        # Smoothed, so the boundary lands mid-gap, clear of both glyphs (the photo is a few
        # pixels off the artwork after rectification).
        span = max(3, round(step * 0.25)) | 1
        ink = np.convolve(ink, np.ones(span) / span, mode="same")
        reach = max(1, round(step * GAP_SEARCH))
        for i in range(1, len(edges) - 1):
            lo, hi = max(edges[i - 1] + 1, edges[i] - reach), min(edges[i + 1] - 1, edges[i] + reach)
            if lo < hi:
                edges[i] = lo + int(np.argmin(ink[lo : hi + 1]))
    return [(slice(top, bottom), slice(edges[i], edges[i + 1])) for i in range(len(word.text))]


def _printed_key(word: ocr.Word) -> tuple[str, float, float]:
    """A word of the artwork's own text by what it says and where: the same after the text is
    read again (a cache entry evicted and rebuilt), unlike the object's identity."""
    return word.text, round(float(word.quad[0, 0]), 1), round(float(word.quad[0, 1]), 1)


def _agreement(art: np.ndarray, seen: np.ndarray) -> float:
    """Zero-mean normalised correlation of two equally sized grey patches (0 when either is plain)."""
    a, b = art - art.mean(), seen - seen.mean()
    norm = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum()) / norm if norm > 1e-6 else 0.0


@dataclass(frozen=True)
class _InView:
    """What of a partly hidden artwork's printed text can be seen (rectified pixels)."""

    mask: np.ndarray  # bool: painted out before reading (the hidden part and its hidden letters)
    painted: np.ndarray  # the rectified poster as read: ``mask`` painted out
    hidden: dict[tuple[str, float, float], tuple[bool, ...]]  # a printed word (see _printed_key) -> its letters hidden
    keyed: list[tuple[str, ocr.Word]]  # the words read on the part in view, in working pixels


def _hidden_letters(
    printed: Sequence[ocr.TextLine], art: np.ndarray, seen: np.ndarray, coarse: np.ndarray, near: np.ndarray
) -> tuple[np.ndarray, dict[tuple[str, float, float], tuple[bool, ...]]]:
    """Which printed letters are hidden, and the mask to paint out before reading.

    The hidden map is coarse (pieces of the artwork match's grid), and a letter at its edge is
    either cut by the occluder (read as a fragment: a cut "O" reads "C") or wholly in view. A
    letter within reach of the hidden part (``near``) is therefore judged on its own pixels: in
    view when the photo shows the artwork's glyph there (correlation with the artwork file at
    the letter's box), hidden otherwise, and then painted out whole. A letter away from the
    hidden part is in view and is read as it is, so a poster printed with other words still
    fails. The mask is the hidden part with the hidden letters added and the letters in view
    taken out, so each letter is shown whole or not at all.
    """
    art_s = cv2.GaussianBlur(art.astype(np.float32), (0, 0), LETTER_BLUR)
    seen_s = cv2.GaussianBlur(seen.astype(np.float32), (0, 0), LETTER_BLUR)
    mask = coarse.copy()
    shown = np.zeros_like(coarse)
    hidden: dict[tuple[str, float, float], tuple[bool, ...]] = {}
    for line in printed:
        for word in line.words:
            states = []
            for box in _letter_boxes(word, art):
                out = bool(near[box].any()) and _agreement(art_s[box], seen_s[box]) < LETTER_AGREES
                (mask if out else shown)[box] = True
                states.append(out)
            hidden[_printed_key(word)] = tuple(states)
    return mask & ~shown, hidden


def _letters_in_view(phrase: str, printed: PhraseMatch, view: _InView) -> str | None:
    """The phrase as it can be seen: its hidden letters as spaces; None when the poster's own
    text does not show where the phrase is (not printed on it, or read poorly), when none of its
    letters is hidden, or when fewer than MIN_VISIBLE_LETTERS of the phrase are in view (too
    little to tell it from another)."""
    if printed.similarity < 0.9 or not printed.words:
        return None
    text, hidden_any = "", False
    for word in printed.words:
        states = view.hidden.get(_printed_key(word), (False,) * len(word.text))
        hidden_any |= any(states)
        text += "".join(" " if out else ch for ch, out in zip(word.text, states, strict=True)) + " "
    if not hidden_any or len("".join(normalise(text))) < MIN_VISIBLE_LETTERS * len("".join(normalise(phrase))):
        return None
    return text


def _read_artwork(context: PhotoContext, name: str) -> Reading | None:
    from chalicelib.vision.checks import (
        artwork,  # concurrent module; imported only when needed
    )

    match = artwork.find(context, name)
    if match is None:
        return None

    def compute() -> Reading:
        width, height = rectified_size(match)
        art_w, art_h = match.artwork_size
        # Rectified pixels → artwork pixels → working pixels.
        to_artwork = np.diag([art_w / width, art_h / height, 1.0])
        to_working = np.asarray(match.homography, np.float64) @ to_artwork
        rectified = cv2.warpPerspective(
            np.ascontiguousarray(context.rgb),
            to_working,
            (width, height),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_CONSTANT,
        )
        lines = ocr.read_text(rectified, context.models)

        def move(quad: np.ndarray) -> np.ndarray:
            return cv2.perspectiveTransform(quad.reshape(1, -1, 2).astype(np.float64), to_working)[0]

        region = Quad(np.asarray(match.quad).round(1).tolist(), f"artwork {name}")
        hidden = getattr(match, "hidden", None)
        partly_hidden = hidden is not None and bool((hidden >= HIDDEN_LETTER).any())
        if not partly_hidden:
            return Reading(_mapped(lines, move), f"artwork {name}", region, name, (width, height))
        return Reading(_mapped(lines, move), f"artwork {name}", region, name, (width, height), hidden, rectified, to_working)

    # Keyed by where the poster is, not only its name: another guideline on the same photo may
    # place it elsewhere (other rivals).
    where = hashlib.sha256(np.asarray(match.homography, np.float64).tobytes()).hexdigest()[:16]
    return context.shared(f"text:ocr:artwork:{name}:{where}", compute)


# --- matching -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhraseMatch:
    phrase: str
    similarity: float
    words: tuple[ocr.Word, ...]  # the window of read words that matched best


def _word_keys(lines: Sequence[ocr.TextLine]) -> list[tuple[str, ocr.Word]]:
    """Read words in reading order with their comparison keys; punctuation-only words dropped.
    Lines follow each other, so a phrase that wraps onto the next line is still one window."""
    keyed = []
    for line in lines:
        for word in line.words:
            key = "".join(normalise(word.text))
            if key:
                keyed.append((key, word))
    return keyed


def best_match(phrase: str, keyed: Sequence[tuple[str, ocr.Word]]) -> PhraseMatch:
    tokens = normalise(phrase)
    target = "".join(tokens)
    if not target:
        return PhraseMatch(phrase, 0.0, ())
    best, span = 0.0, (0, 0)
    longest = len(tokens) + EXTRA_WORDS
    for start in range(len(keyed)):
        candidate = ""
        for end in range(start, min(len(keyed), start + longest)):
            candidate += keyed[end][0]
            score = Levenshtein.normalized_similarity(target, candidate)
            if score > best:
                best, span = score, (start, end + 1)
            if len(candidate) > 2 * len(target):
                break  # longer windows only get worse
    return PhraseMatch(phrase, round(best, 3), tuple(word for _, word in keyed[span[0] : span[1]]))


# --- the rule -------------------------------------------------------------------------------


def _word_evidence(match: PhraseMatch) -> list[Evidence]:
    return [Quad(w.quad.round(1).tolist(), f"{w.text} ({match.phrase}: {match.similarity:.2f})") for w in match.words]


def _excerpt(reading: Reading) -> str:
    text = " / ".join(line.text for line in reading.lines)
    if not text:
        return f"read on the {reading.where}: nothing"
    return f"read on the {reading.where}: " + (text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…")


def _in_view_reading(context: PhotoContext, reading: Reading) -> _InView:
    """What of a partly hidden artwork's text is in view, and the words read there (the
    rectified poster read again with its hidden part painted out), once per photo and poster."""
    assert reading.image is not None and reading.hidden is not None and reading.to_working is not None
    assert reading.artwork is not None
    image, to_working, hidden, name = reading.image, reading.to_working, reading.hidden, reading.artwork

    def compute() -> _InView:
        size = (image.shape[1], image.shape[0])
        printed, art = _artwork_printed(context, name, size)
        coarse, near = _hidden_mask(hidden, size)
        mask, letters = _hidden_letters(printed, art, cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), coarse, near)
        painted = _masked(image, mask)
        lines = ocr.read_text(painted, context.models)

        def move(quad: np.ndarray) -> np.ndarray:
            return cv2.perspectiveTransform(quad.reshape(1, -1, 2).astype(np.float64), to_working)[0]

        return _InView(mask, painted, letters, _word_keys(_mapped(lines, move)))

    where = hashlib.sha256(to_working.tobytes()).hexdigest()[:16]
    return context.shared(f"text:ocr:in_view:{name}:{where}", compute)


def _in_view(context: PhotoContext, reading: Reading, match: PhraseMatch, notes: list[Evidence]) -> PhraseMatch:
    """A required phrase on a partly hidden artwork, judged on its letters in view.

    The artwork is verified and part of it is hidden (a person in front): the letters of the
    phrase that lie under the hidden part, or at its edge, cannot be read and are not asked for.
    Where they lie comes from the artwork file's own text; at least MIN_VISIBLE_LETTERS of the
    phrase must be in view. What is read is the poster with those letters and the hidden part
    painted out, so the recogniser reads neither the occluder's texture nor letter fragments.
    """
    assert reading.artwork is not None and reading.rectified is not None and reading.hidden is not None
    printed = best_match(match.phrase, _word_keys(_artwork_text(context, reading.artwork, reading.rectified)))
    if printed.similarity < 0.9 or not printed.words:
        return match
    view = _in_view_reading(context, reading)
    in_view = _letters_in_view(match.phrase, printed, view)
    if in_view is None:
        return match
    partial = best_match(in_view, view.keyed)
    if partial.similarity <= match.similarity:
        return match
    notes.append(
        Note(f"\u201c{match.phrase}\u201d partly hidden on the artwork: judged on \u201c{' '.join(in_view.split())}\u201d")
    )
    return PhraseMatch(match.phrase, partial.similarity, partial.words)


def evaluate(rule: TextRule, context: PhotoContext) -> RuleResult:
    params = rule.parameters
    notes: list[Evidence] = []
    reading = _read_artwork(context, params.artwork) if params.artwork else None
    if params.artwork and reading is None:
        notes.append(Note(f"Artwork {params.artwork} not found: the photo was read instead."))
    if reading is None:
        reading = _read_zone(context, rule)

    keyed = _word_keys(reading.lines)
    matches = [best_match(phrase, keyed) for phrase in params.phrases]
    if params.mode == "required" and reading.hidden is not None:
        # Only a phrase not clearly read whole asks where its letters are (the artwork's own OCR).
        clear = round(params.min_similarity + params.uncertain_margin, 9)
        matches = [m if m.similarity >= clear else _in_view(context, reading, m, notes) for m in matches]
    similarities = [m.similarity for m in matches]
    near = params.min_similarity - params.uncertain_margin  # matches worth showing a reviewer
    if params.mode == "required":
        value = min(similarities) if params.match == "all" else max(similarities)
        threshold = Threshold(min=params.min_similarity, uncertain_margin=params.uncertain_margin)
    else:
        value = max(similarities)
        threshold = Threshold(max=params.min_similarity, uncertain_margin=params.uncertain_margin)
    status, confidence = threshold.judge(value)

    evidence: list[Evidence] = [reading.region] if reading.region else []
    for match in matches:
        if match.similarity >= near:
            evidence.extend(_word_evidence(match))
        elif params.mode == "required":
            closest = " ".join(w.text for w in match.words) or "nothing"
            notes.append(Note(f'not found: "{match.phrase}" (closest: "{closest}", {match.similarity:.2f})'))
    evidence.extend(notes)
    evidence.append(Note(_excerpt(reading)))

    if params.mode == "required":
        found = [m.phrase for m in matches if m.similarity >= params.min_similarity]
        passed = "The required text is in the window: " + ", ".join(f"\u201c{p}\u201d" for p in found) + "."
    else:
        passed = "None of the forbidden text is in the window."
    return RuleResult.judged(rule, status, value, threshold, confidence, evidence, passed=passed)

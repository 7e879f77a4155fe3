"""Text: a required or forbidden phrase (promo line, price, legal text) in the window, read by OCR.

Where: on the rectified artwork when the rule names one and it is found (the poster warped to an
upright rectangle, so its text reads as if scanned; matched words are mapped back to the photo
through the homography), else on the rule's zone of the photo (the whole photo by default). The
OCR of one region is done once per photo, however many text rules read it. When part of the found
artwork is hidden (a person in front), a required phrase printed on the artwork is judged on its
letters in view: where they sit comes from the artwork file's own text.

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
import itertools
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


def _mapped(lines: Sequence[ocr.TextLine], to_working: Callable[[np.ndarray], np.ndarray]) -> tuple[ocr.TextLine, ...]:
    def move(quad: np.ndarray) -> np.ndarray:
        return to_working(quad).astype(np.float32)

    return tuple(
        ocr.TextLine(line.text, line.confidence, move(line.quad), tuple(ocr.Word(w.text, w.confidence, move(w.quad)) for w in line.words))
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
        return Reading(_mapped(lines, lambda q: q + offset), f"zone {rule.zone.name or ''}".strip() if rule.zone else "photo", region)

    return context.shared(f"text:ocr:zone:{x},{y},{w},{h}", compute)


def rectified_size(match: Any) -> tuple[int, int]:
    """(w, h) to read the artwork at: its own aspect, long side RECTIFIED_LONG_SIDE."""
    art_w, art_h = match.artwork_size
    scale = RECTIFIED_LONG_SIDE / max(art_w, art_h)
    return max(1, round(art_w * scale)), max(1, round(art_h * scale))


# The artwork file's own text, read once per process (by content and reading size): where each
# phrase sits on the poster, to tell which of its letters a person in front hides.
_artwork_text_cache: dict[tuple[str, tuple[int, int]], tuple[ocr.TextLine, ...]] = {}
_ARTWORK_TEXT_CACHE_LIMIT = 64
HIDDEN_LETTER = 0.5  # a letter whose piece of the poster is hidden at least this much is not expected
MIN_VISIBLE_LETTERS = 0.5  # below this share of the phrase in view, the phrase is judged whole
MAX_CHOICES = 64  # readings of the letters at the hidden part's edges tried per phrase


def _artwork_text(context: PhotoContext, name: str, size: tuple[int, int]) -> tuple[ocr.TextLine, ...]:
    """The artwork file read upright at ``size``, as the rectified poster is read."""
    data, content = context.pack_file(name)
    key = (content, size)
    cached = _artwork_text_cache.get(key)
    if cached is None:
        rgb = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
        cached = tuple(ocr.read_text(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), context.models))
        if len(_artwork_text_cache) >= _ARTWORK_TEXT_CACHE_LIMIT:
            _artwork_text_cache.pop(next(iter(_artwork_text_cache)))
        _artwork_text_cache[key] = cached
    return cached


def _letters_in_view(phrase: str, printed: PhraseMatch, hidden: np.ndarray, size: tuple[int, int]) -> list[str]:
    """The phrase as it can be seen: without the letters hidden on the poster; empty when the
    poster's own text does not show where the phrase is (not printed on it, or read poorly).

    The letters of each printed word are spread evenly over the word's box; a letter is hidden
    when its piece of the poster (``hidden``: the artwork match's grid) is. Letters at the edge
    of the hidden part (hidden on one side of them, not on the other) may be read or not: a
    variant is returned for each place the edge may run.
    """
    if printed.similarity < 0.9 or not printed.words:
        return []
    width, height = size
    rows, cols = hidden.shape

    def hidden_at(x: float, y: float) -> bool:
        row = min(rows - 1, max(0, int(y / height * rows)))
        col = min(cols - 1, max(0, int(x / width * cols)))
        return bool(hidden[row, col] >= HIDDEN_LETTER)

    letters: list[tuple[str, bool | None]] = []  # (letter, hidden); None: at the hidden part's edge
    for word in printed.words:
        left, right = float(word.quad[:, 0].min()), float(word.quad[:, 0].max())
        middle = float(word.quad[:, 1].mean())
        step = (right - left) / max(1, len(word.text))
        for i, ch in enumerate(word.text):
            x = left + (i + 0.5) * step
            sides = {hidden_at(x - step, middle), hidden_at(x, middle), hidden_at(x + step, middle)}
            letters.append((ch, sides.pop() if len(sides) == 1 else None))
        letters.append((" ", False))
    # Runs of edge letters lie between a seen and a hidden part: the hidden part reaches some way
    # into the run from its hidden side, so each run's choices are how many letters it covers.
    runs: list[list[tuple[int, ...]]] = []
    i = 0
    while i < len(letters):
        if letters[i][1] is not None:
            i += 1
            continue
        start = i
        while i < len(letters) and letters[i][1] is None:
            i += 1
        run = list(range(start, i))
        before = letters[start - 1][1] if start > 0 else None
        after = letters[i][1] if i < len(letters) else None
        options = {tuple(run[:k]) for k in range(len(run) + 1)} if before is not False else set()
        options |= {tuple(run[len(run) - k :]) for k in range(len(run) + 1)} if after is not False else set()
        runs.append(sorted(options or {()}))
    choices = {tuple(i for part in combo for i in part) for combo in itertools.product(*runs)}
    edges = [i for i, (_, state) in enumerate(letters) if state is None]
    if 2 ** len(edges) <= MAX_CHOICES:  # few edge letters: each may be read or not
        choices |= {tuple(i for i, keep in zip(edges, pick) if keep) for pick in itertools.product((False, True), repeat=len(edges))}
    needed = MIN_VISIBLE_LETTERS * len("".join(normalise(phrase)))
    variants = []
    for covered in sorted(choices)[:MAX_CHOICES]:
        text = "".join(" " if i in covered or hid else ch for i, (ch, hid) in enumerate(letters))
        if len("".join(normalise(text))) >= needed:
            variants.append(text)
    return variants


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
            np.ascontiguousarray(context.rgb), to_working, (width, height),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_CONSTANT,
        )
        lines = ocr.read_text(rectified, context.models)

        def move(quad: np.ndarray) -> np.ndarray:
            return cv2.perspectiveTransform(quad.reshape(1, -1, 2).astype(np.float64), to_working)[0]

        region = Quad(np.asarray(match.quad).round(1).tolist(), f"artwork {name}")
        hidden = getattr(match, "hidden", None)
        partly_hidden = hidden is not None and bool((hidden >= HIDDEN_LETTER).any())
        return Reading(_mapped(lines, move), f"artwork {name}", region, name, (width, height), hidden if partly_hidden else None)

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


def _in_view(
    context: PhotoContext, reading: Reading, match: PhraseMatch, keyed: Sequence[tuple[str, ocr.Word]], notes: list[Evidence]
) -> PhraseMatch:
    """A required phrase on a partly hidden artwork, judged on its letters in view.

    The artwork is verified and part of it is hidden (a person in front): the letters of the
    phrase that lie under the hidden part cannot be read and are not asked for. Where they lie
    comes from the artwork file's own text; at least MIN_VISIBLE_LETTERS of the phrase must be
    in view.
    """
    assert reading.artwork is not None and reading.rectified is not None and reading.hidden is not None
    printed = best_match(match.phrase, _word_keys(_artwork_text(context, reading.artwork, reading.rectified)))
    whole = "".join(normalise(match.phrase))
    best = match
    for in_view in _letters_in_view(match.phrase, printed, reading.hidden, reading.rectified):
        if "".join(normalise(in_view)) == whole:
            continue
        partial = best_match(in_view, keyed)
        if partial.similarity > best.similarity:
            best, shown = PhraseMatch(match.phrase, partial.similarity, partial.words), " ".join(in_view.split())
    if best is not match:
        notes.append(Note(f"\u201c{match.phrase}\u201d partly hidden on the artwork: judged on \u201c{shown}\u201d"))
    return best


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
        matches = [m if m.similarity >= clear else _in_view(context, reading, m, keyed, notes) for m in matches]
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
            notes.append(Note(f"not found: \"{match.phrase}\" (closest: \"{closest}\", {match.similarity:.2f})"))
    evidence.extend(notes)
    evidence.append(Note(_excerpt(reading)))

    if params.mode == "required":
        found = [m.phrase for m in matches if m.similarity >= params.min_similarity]
        passed = "The required text is in the window: " + ", ".join(f"\u201c{p}\u201d" for p in found) + "."
    else:
        passed = "None of the forbidden text is in the window."
    return RuleResult.judged(rule, status, value, threshold, confidence, evidence, passed=passed)

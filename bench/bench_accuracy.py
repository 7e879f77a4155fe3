"""Accuracy on a labelled set of window photos the project did not make (``truth.json`` format,
see ../shared/devset/README.md), with the figures defined there.

    .venv/bin/python bench/bench_accuracy.py [--set DIR] [--json OUT]

The set becomes the project's own guidelines: one per artwork (so a sister poster of the same
template is a negative), each with the photo-quality rules at their default parameters, an
artwork-present rule and a text rule requiring that artwork's promo text on the poster. The pack is
the set's ``artworks/`` folder. Every photo goes through the real analysis
(``chalicelib.vision.analysis``), one thread, decoded once and judged against every guideline on
one photo context (work that depends on the photo alone is shared; work that depends on a
guideline is keyed by it).

Every rule is judged on every photo (the quality gate does not skip the others), so each rule's
own accuracy is measured; the figures as a store sees them, behind the gate, are printed beside.

Printed: artwork recall/precision, promo-text recall/precision, blurry/dark/overexposed F1
(``fail`` or ``uncertain`` = flagged), the share of good photos a quality rule sends to review or
failure, time per photo (all guidelines) and per first analysis (one guideline, cold photo), and
every miss (file, artwork, expected, got, value).

Also measured, for the labels the set has beyond the official figures (not in the time):

- tilted: F1 of the tilt rule flagging the photo (``fail`` or ``uncertain``), and how far the
  measured angle is from ``tilt_degrees``;
- low_res: F1 of the resolution rule flagging the photo;
- brand colours: per (photo, artwork) pair, a palette rule (default parameters: each colour over
  3 %, within 12 dE00, grey-edge white balance) listing that artwork's brand colours, in a
  guideline that puts up that artwork (so the rule measures the colours on the poster the artwork
  matcher finds); a pass is scored against "all of them are in ``brand_colours_present``". An
  artwork's brand colours are those of its ``colours`` the set labels present in every photo it
  is in (the set labels two of the three; the third, an accent, never). The set labels them
  present exactly when the poster is (at any size, visibility or photo quality), so a pass for an
  absent poster is a false pass however much of its colours the window shows elsewhere. Also
  printed: the same rule in a guideline without artworks (it measures the whole photo), at the
  default share and at 0.5 %.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from measure import ROOT, percentile, single_thread

QUALITY = ("sharpness", "exposure", "clipping", "resolution", "tilt")
# truth flag -> the quality checks whose fail/uncertain flags it. Exposure and clipping flag a photo
# too dark or too bright: which one is the side of the exposure range its median brightness is on
# (the retake reason the store is given), so an overexposed photo is not counted as a dark one.
FLAG_CHECKS = {
    "blurry": ("sharpness",),
    "dark": ("exposure", "clipping"),
    "overexposed": ("exposure", "clipping"),
    "tilted": ("tilt",),
    "low_res": ("resolution",),
}
QUALITY_FLAGS = ("blurry", "dark", "overexposed", "tilted", "low_res")


def guideline_document(artwork_file: str, promo_text: str) -> dict[str, Any]:
    rules: list[dict[str, Any]] = [
        {"id": f"quality-{check}", "type": "photo_quality", "message": f"Photo {check}.", "parameters": {"check": check}}
        for check in QUALITY
    ]
    rules.append(
        {
            "id": "artwork",
            "type": "artwork_present",
            "message": f"Put up {artwork_file}.",
            "parameters": {"artwork": artwork_file},
        }
    )
    rules.append(
        {
            "id": "promo",
            "type": "text",
            "message": "The poster's promotion must be readable.",
            "parameters": {"phrases": [promo_text], "artwork": artwork_file},
        }
    )
    return {"name": f"artwork {artwork_file}", "rules": rules}


# The set labels a colour present at any size, while the palette rule asks for a minimum share of
# the photo (default 3 %): a poster's second colour covers about 0.5-3 % of these photos. So the
# rule is also judged with a share a guideline asking "is the colour there at all" would set.
ANY_SHARE = 0.005


def palette_document(artwork_file: str, colours: list[str]) -> dict[str, Any]:
    """The brand colours of one artwork as a palette rule at its default parameters (judged with
    the artwork in the guideline: on the poster), and, judged without it (on the whole photo), at
    its default parameters and with a minimum share of ANY_SHARE."""
    listed = [{"name": hex_colour, "hex": hex_colour} for hex_colour in colours]
    rules: list[dict[str, Any]] = [
        {"id": "palette", "type": "palette", "message": "Show the brand colours.", "parameters": {"colours": listed}},
        {"id": "palette-window", "type": "palette", "message": "Show the brand colours.", "parameters": {"colours": listed}},
        {
            "id": "palette-any",
            "type": "palette",
            "message": "Show the brand colours.",
            "parameters": {"colours": [{**colour, "min_share": ANY_SHARE} for colour in listed]},
        },
    ]
    return {"name": f"colours of {artwork_file}", "rules": rules}


def brand_colours(truth: dict[str, Any]) -> dict[str, list[str]]:
    """Per artwork, those of its colours the set labels present in every photo the artwork is in."""
    out = {}
    for name, spec in truth["artworks"].items():
        labelled = [
            {c.upper() for c in photo["brand_colours_present"]}
            for photo in truth["photos"]
            if any(a["artwork"] == name for a in photo["artworks_present"])
        ]
        common = set.intersection(*labelled) if labelled else set()
        out[name] = [c for c in spec["colours"] if c.upper() in common] or list(spec["colours"])
    return out


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    def f1(self) -> float:
        p, r = self.precision(), self.recall()
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "recall": round(self.recall(), 3),
            "precision": round(self.precision(), 3),
            "f1": round(self.f1(), 3),
        }


@dataclass
class Figures:
    artwork: Tally = field(default_factory=Tally)
    promo: Tally = field(default_factory=Tally)
    # The same, as a store sees it: a photo the quality gate sends back is judged no further.
    artwork_gated: Tally = field(default_factory=Tally)
    promo_gated: Tally = field(default_factory=Tally)
    flags: dict[str, Tally] = field(default_factory=lambda: {flag: Tally() for flag in FLAG_CHECKS})
    good: int = 0
    good_flagged: int = 0
    photo_ms: list[float] = field(default_factory=list)
    first_ms: list[float] = field(default_factory=list)
    photo_cpu_ms: list[float] = field(default_factory=list)  # the process's CPU time: steadier on a busy machine
    palette: Tally = field(default_factory=Tally)
    palette_window: Tally = field(default_factory=Tally)
    palette_any: Tally = field(default_factory=Tally)
    tilt_errors: list[float] = field(default_factory=list)  # tilted photos: |measured| - |tilt_degrees|
    level_tilts: list[float] = field(default_factory=list)  # level photos: the measured tilt
    misses: list[dict[str, Any]] = field(default_factory=list)
    visible_errors: list[float] = field(default_factory=list)  # found posters: estimated - true visible share


def _progress(done: int, total: int, started: float) -> None:
    width = 30
    filled = int(width * done / total) if total else width
    rate = done / (time.perf_counter() - started) if done else 0.0
    eta = (total - done) / rate if rate else 0.0
    end = "\n" if done == total else "\r"
    if sys.stderr.isatty() or done == total or done % 10 == 0:
        print(
            f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total}  {rate:.2f} photo/s  eta {eta:.0f}s",
            end=end,
            file=sys.stderr,
            flush=True,
        )


def _miss(figures: Figures, photo: str, artwork: str, rule: str, expected: str, result: dict[str, Any], retake: bool) -> None:
    value = result["value"]
    figures.misses.append(
        {
            "file": photo,
            "artwork": artwork,
            "rule": rule,
            "expected": expected,
            "got": result["status"],
            "value": None if value is None else round(float(value), 3),
            "photo_retake": retake,
        }
    )


# (index, photo's truth, its bytes) -> (bytes to judge, truth to score them by): a perturbed copy
# (bench_robustness.py). The truth may name pairs and flags the perturbation leaves undecided:
# ``unscored_artworks`` and ``unscored_flags`` are left out of every figure.
Perturb = Callable[[int, dict[str, Any], bytes], tuple[bytes, dict[str, Any]]]


def evaluate(folder: Path, limit: int | None = None, perturb: Perturb | None = None) -> Figures:
    from chalicelib.core.guideline import parse_guideline
    from chalicelib.vision.analysis import judge_rules
    from chalicelib.vision.context import DictPack, PhotoContext
    from chalicelib.vision.intake import IntakeRejected, intake

    truth = json.loads((folder / "truth.json").read_text())
    files = {f"{name}.png": (folder / "artworks" / f"{name}.png").read_bytes() for name in truth["artworks"]}
    pack = DictPack(files)
    guidelines = {
        name: parse_guideline(guideline_document(f"{name}.png", spec["promo_text"]))
        for name, spec in sorted(truth["artworks"].items())
    }
    colours = brand_colours(truth)
    palettes = {name: parse_guideline(palette_document(f"{name}.png", colours[name])) for name in sorted(truth["artworks"])}
    figures = Figures()
    started = time.perf_counter()
    photos = truth["photos"][:limit]
    for done, photo in enumerate(photos, start=1):
        data = (folder / photo["file"]).read_bytes()
        if perturb is not None:
            data, photo = perturb(done - 1, photo, data)
        began, began_cpu = time.perf_counter(), time.process_time()
        try:
            image = intake(data)
        except IntakeRejected as rejected:
            print(f"{photo['file']}: rejected by intake ({rejected.code})", file=sys.stderr)
            continue
        base = PhotoContext(image)
        results: dict[str, dict[str, Any]] = {}
        for index, (name, guideline) in enumerate(guidelines.items()):
            ordered, _ = judge_rules(guideline, base.for_guideline(pack, guideline.artworks()), gate=False)
            results[name] = {r.id: r.to_dict() for r in ordered}
            if index == 0:
                figures.first_ms.append((time.perf_counter() - began) * 1000)
        figures.photo_ms.append((time.perf_counter() - began) * 1000)
        figures.photo_cpu_ms.append((time.process_time() - began_cpu) * 1000)
        for name, palette in palettes.items():  # not a figure of the official set: outside the time
            # The palette rule in the artwork's guideline (its artworks: this one) and in one without.
            on_poster, _ = judge_rules(palette, base.for_guideline(pack, (f"{name}.png",)), gate=False)
            on_window, _ = judge_rules(palette, base.for_guideline(pack, ()), gate=False)
            results[name]["palette"] = next(r.to_dict() for r in on_poster if r.id == "palette")
            results[name].update({r.id: r.to_dict() for r in on_window if r.id != "palette"})
        _score(figures, photo, results, {name: spec["promo_text"] for name, spec in truth["artworks"].items()}, colours)
        _progress(done, len(photos), started)
    return figures


def _score(
    figures: Figures,
    photo: dict[str, Any],
    results: dict[str, dict[str, Any]],
    phrases: dict[str, str],
    colours: dict[str, list[str]],
) -> None:
    present = {a["artwork"] for a in photo["artworks_present"]}
    truly_visible = {a["artwork"]: a["visible_fraction"] for a in photo["artworks_present"]}
    visible_texts = set(photo["promo_texts_visible"])
    quality = next(iter(results.values()))  # the same rules and photo in every guideline
    retake = any(quality[f"quality-{check}"]["retake"] for check in QUALITY)
    unscored, unscored_flags = set(photo.get("unscored_artworks", ())), set(photo.get("unscored_flags", ()))
    for name, rules in results.items():
        if name in unscored:
            continue
        art, promo = rules["artwork"], rules["promo"]
        found = art["status"] == "pass"
        read = promo["status"] == "pass"
        for tally, passed in ((figures.artwork, found), (figures.artwork_gated, found and not retake)):
            tally.tp += name in present and passed
            tally.fn += name in present and not passed
            tally.fp += name not in present and passed
        if name in present and art["value"] is not None and art["status"] != "skipped" and art["value"] > 0:
            figures.visible_errors.append(float(art["value"]) - truly_visible[name])
        if name in present and not found:
            _miss(figures, photo["file"], name, "artwork", "pass", art, retake)
        elif name not in present and found:
            _miss(figures, photo["file"], name, "artwork", "absent", art, retake)
        for tally, passed in ((figures.promo, read), (figures.promo_gated, read and not retake)):
            if phrases[name] in visible_texts:
                tally.tp += passed
                tally.fn += not passed
            elif name not in present:
                tally.fp += passed
        if phrases[name] in visible_texts and not read:
            _miss(figures, photo["file"], name, "promo", "pass", promo, retake)
        elif name not in present and read:
            _miss(figures, photo["file"], name, "promo", "absent", promo, retake)
        labelled = {c.upper() for c in photo["brand_colours_present"]}
        truly_coloured = all(c.upper() in labelled for c in colours[name])
        for rule, tally in (
            ("palette", figures.palette),
            ("palette-window", figures.palette_window),
            ("palette-any", figures.palette_any),
        ):
            coloured = rules[rule]["status"] == "pass"
            tally.tp += truly_coloured and coloured
            tally.fn += truly_coloured and not coloured
            tally.fp += coloured and not truly_coloured
            if truly_coloured != coloured:
                _miss(figures, photo["file"], name, rule, "pass" if truly_coloured else "absent", rules[rule], retake)
    flagged_by = {check: quality[f"quality-{check}"]["status"] in ("fail", "uncertain") for check in QUALITY}
    side = _exposure_side(quality["quality-exposure"])
    for flag, checks in FLAG_CHECKS.items():
        if flag in unscored_flags:
            continue
        said = any(flagged_by[c] for c in checks)
        if flag in ("dark", "overexposed"):
            said = said and side == flag
        tally, truly = figures.flags[flag], bool(photo[flag])
        tally.tp += truly and said
        tally.fp += said and not truly
        tally.fn += truly and not said
        if said != truly:
            deciding = next((c for c in checks if flagged_by[c]), checks[0]) if said else checks[0]
            _miss(figures, photo["file"], "-", f"q-{flag}", "flag" if truly else "none", quality[f"quality-{deciding}"], retake)
    tilt = quality["quality-tilt"]["value"]
    if tilt is not None:
        if photo["tilted"] and photo.get("tilt_degrees") is not None:
            figures.tilt_errors.append(float(tilt) - abs(float(photo["tilt_degrees"])))
        elif not photo["tilted"]:
            figures.level_tilts.append(float(tilt))
    if not any(photo.get(flag) for flag in QUALITY_FLAGS):
        figures.good += 1
        undecided = {check for flag in unscored_flags for check in FLAG_CHECKS[flag]}
        figures.good_flagged += any(said for check, said in flagged_by.items() if check not in undecided)


def _exposure_side(exposure: dict[str, Any]) -> str | None:
    """ "dark" or "overexposed": the side of the exposure rule's range the photo's brightness is on."""
    threshold, value = exposure.get("threshold") or {}, exposure.get("value")
    if value is None or threshold.get("min") is None or threshold.get("max") is None:
        return None
    return "dark" if value < (threshold["min"] + threshold["max"]) / 2 else "overexposed"


def report(figures: Figures, out=sys.stdout) -> dict[str, Any]:
    a, t = figures.artwork, figures.promo
    print(
        f"artwork present  recall {a.recall():.2f}  precision {a.precision():.2f}   (found {a.tp}, missed {a.fn}, false {a.fp})",
        file=out,
    )
    print(
        f"promo text       recall {t.recall():.2f}  precision {t.precision():.2f}   (read {t.tp}, missed {t.fn}, false {t.fp})",
        file=out,
    )
    errors = [abs(e) for e in figures.visible_errors]
    close = sum(e <= 0.1 for e in errors)
    mae = sum(errors) / len(errors) if errors else 0.0
    print(
        f"  visible share of the posters found: mean abs error {mae:.3f}, within ±0.1 of the truth {close} of {len(errors)}",
        file=out,
    )
    ag, tg = figures.artwork_gated, figures.promo_gated
    print(
        f"  behind the quality gate (a photo to retake is judged no further): artwork recall {ag.recall():.2f} "
        f"precision {ag.precision():.2f}, promo text recall {tg.recall():.2f} precision {tg.precision():.2f}",
        file=out,
    )
    for flag, tally in figures.flags.items():
        none = "   no photo of the set has the flag: only false flags can be counted" if tally.tp + tally.fn == 0 else ""
        print(f"{flag:16} F1 {tally.f1():.2f}   (tp {tally.tp}, fp {tally.fp}, fn {tally.fn}){none}", file=out)
    tilt_mae = sum(abs(e) for e in figures.tilt_errors) / len(figures.tilt_errors) if figures.tilt_errors else 0.0
    level_max = max(figures.level_tilts, default=0.0)
    print(
        f"  tilt measured on the tilted photos: mean abs error {tilt_mae:.2f} degrees ({len(figures.tilt_errors)} photos); "
        f"on the level ones at most {level_max:.2f} degrees ({len(figures.level_tilts)} photos)",
        file=out,
    )
    c, cw, ca = figures.palette, figures.palette_window, figures.palette_any
    for label, tally in (("brand colours", c), ("  whole photo", cw), (f"  ... min share {ANY_SHARE}", ca)):
        print(
            f"{label:16} recall {tally.recall():.2f}  precision {tally.precision():.2f}  F1 {tally.f1():.2f}   "
            f"(per photo and artwork: tp {tally.tp}, fp {tally.fp}, fn {tally.fn})",
            file=out,
        )
    good_share = figures.good_flagged / figures.good if figures.good else 0.0
    print(
        f"good photos sent to review/fail by a quality rule: {good_share:.2f} ({figures.good_flagged} of {figures.good})",
        file=out,
    )
    p50, p95 = percentile(figures.photo_ms, 0.5), percentile(figures.photo_ms, 0.95)
    f50, f95 = percentile(figures.first_ms, 0.5), percentile(figures.first_ms, 0.95)
    print(f"time per photo, all guidelines, one thread: p50 {p50:.0f} ms, p95 {p95:.0f} ms", file=out)
    print(f"time per photo, first guideline (decode + every rule, cold photo): p50 {f50:.0f} ms, p95 {f95:.0f} ms", file=out)
    c50, c95 = percentile(figures.photo_cpu_ms, 0.5), percentile(figures.photo_cpu_ms, 0.95)
    print(f"CPU time per photo, all guidelines: p50 {c50:.0f} ms, p95 {c95:.0f} ms", file=out)
    print(f"misses ({len(figures.misses)}):", file=out)
    for miss in figures.misses:
        gated = "  (photo sent back by the quality gate)" if miss["photo_retake"] else ""
        print(
            f"  {miss['file']:18} {miss['artwork']:8} {miss['rule']:13} expected {miss['expected']:6} got {miss['got']:9} value {miss['value']}{gated}",
            file=out,
        )
    return {
        "artwork": a.as_dict(),
        "promo_text": t.as_dict(),
        "visible_share": {"mean_abs_error": round(mae, 3), "within_0.1": close, "found": len(errors)},
        "artwork_behind_gate": figures.artwork_gated.as_dict(),
        "promo_text_behind_gate": figures.promo_gated.as_dict(),
        **{f"{flag}": tally.as_dict() for flag, tally in figures.flags.items()},
        "tilt_degrees": {
            "tilted_mean_abs_error": round(tilt_mae, 2),
            "tilted": len(figures.tilt_errors),
            "level_max": round(level_max, 2),
            "level_min": round(min(figures.level_tilts, default=0.0), 2),
            "level": len(figures.level_tilts),
        },
        "brand_colours": c.as_dict(),
        "brand_colours_whole_photo": cw.as_dict(),
        "brand_colours_min_share_any": ca.as_dict(),
        "good_photos_flagged": {"share": round(good_share, 3), "flagged": figures.good_flagged, "good": figures.good},
        "time_per_photo_ms": {"p50": round(p50), "p95": round(p95)},
        "time_first_guideline_ms": {"p50": round(f50), "p95": round(f95)},
        "cpu_per_photo_ms": {"p50": round(c50), "p95": round(c95)},
        "misses": figures.misses,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=ROOT.parent / "shared" / "devset", help="folder with truth.json")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--limit", type=int, help="only the first N photos (a quick look while developing)")
    args = parser.parse_args()
    single_thread()
    figures = evaluate(args.set, args.limit)
    summary = report(figures)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()

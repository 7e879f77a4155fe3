"""Benchmark: full analysis of 12 MP window photos with a guideline of every rule type, against a
naive pipeline in the same run.

    .venv/bin/python bench/bench_analysis.py [-n 12] [--seed 500]

Photos: labelled synthetic windows (chalicelib.devtools.scenes) at 4032 x 3024, the campaign poster
in place in most of them, other posters and defects mixed in. Each variant runs in its own fresh
process, one thread (onnxruntime and OpenCV included), warms up on one photo (imports, model
sessions: cold start is measured elsewhere), then times every photo.

- real:  chalicelib.vision.analysis.analyse — JPEG decoded at reduced size, every rule on the
         <= 2048 px working image, work shared between rules (the poster found once serves the
         artwork and text rules; OCR on the rectified poster), normalised JPEG, thumbnail, overlay.
- naive: full-resolution decode; every rule with a fresh context (nothing shared between rules);
         the text rules read the whole photo instead of the rectified poster.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from measure import current_rss_mb, peak_rss_mb, percentile, run_fresh, single_thread

VARIANTS = ("real", "naive")
SIZE = (4032, 3024)
POSTER = "summer-sale.png"
REFERENCE = "reference.jpg"

GUIDELINE = {
    "name": "every rule type",
    "rules": [
        {"id": "sharp", "type": "photo_quality", "message": "Blurry.", "parameters": {"check": "sharpness"}},
        {"id": "exposure", "type": "photo_quality", "message": "Too dark or bright.", "parameters": {"check": "exposure"}},
        {"id": "level", "type": "photo_quality", "message": "Tilted.", "parameters": {"check": "tilt"}},
        {
            "id": "poster",
            "type": "artwork_present",
            "message": "Put up the Summer Sale poster.",
            "parameters": {"artwork": POSTER},
        },
        {
            "id": "promo",
            "type": "text",
            "message": "The poster must show the promotion.",
            "parameters": {"phrases": ["Summer Sale", "-30%"], "artwork": POSTER},
        },
        {
            "id": "people",
            "type": "objects",
            "message": "No people in front of the window.",
            "parameters": {"label": "person", "min_count": 0, "max_count": 0},
        },
        {
            "id": "brand-colours",
            "type": "palette",
            "message": "Brand colours missing.",
            "parameters": {
                "colours": [
                    {"name": "navy", "hex": "#12346E", "min_share": 0.01},
                    {"name": "red", "hex": "#E64632", "min_share": 0.002},
                ]
            },
        },
        # Each photo is a different window: the similarity is timed, not used to send photos back.
        {
            "id": "like-reference",
            "type": "reference_similarity",
            "message": "Not like the reference.",
            "parameters": {"references": [REFERENCE], "min_similarity": 0.5, "wrong_subject_below": 0.0},
        },
        {"id": "lit", "type": "lighting", "message": "Turn on the lights.", "parameters": {}},
    ],
}


def generate(count: int, first_seed: int, folder: Path) -> None:
    from chalicelib.devtools import scenes

    pack = scenes.campaign_pack()
    others = [data for name, data in pack.items() if name != POSTER]
    (folder / POSTER).write_bytes(pack[POSTER])
    (folder / REFERENCE).write_bytes(scenes.window_scene(first_seed - 1, pack, [POSTER], size=SIZE).jpeg)
    defects = [(), (), ("reflection",), ("occlusion",), (), ("colour_cast",), ("glare",), ()]
    for index in range(count):
        present = [] if index % 6 == 5 else [POSTER]
        distractors = others[:1] if index % 4 == 3 else []
        scene = scenes.window_scene(first_seed + index, pack, present, distractors, defects[index % len(defects)], SIZE)
        (folder / f"{index:03d}.jpg").write_bytes(scene.jpeg)


def _naive(photo: bytes, guideline, pack, models) -> dict:
    """Full-resolution decode, no sharing between rules, OCR on the whole photo."""
    import io

    import numpy as np
    from PIL import Image, ImageOps

    from chalicelib.vision import overlay
    from chalicelib.vision.analysis import CHECKS
    from chalicelib.vision.context import PhotoContext
    from chalicelib.vision.intake import IntakeResult
    from chalicelib.vision.verdict import score_and_verdict

    image = ImageOps.exif_transpose(Image.open(io.BytesIO(photo))).convert("RGB")  # the full 12 MP
    full = IntakeResult("jpeg", image.size, np.asarray(image), b"", b"", ())
    results, rule_ms = [], {}
    for rule in guideline.rules:
        if rule.type_name == "text":
            rule = rule.model_copy(update={"parameters": rule.parameters.model_copy(update={"artwork": None})})
        began = time.perf_counter()
        results.append(CHECKS[rule.type_name](rule, PhotoContext(full, pack, models, guideline.artworks())))
        rule_ms[rule.id] = (time.perf_counter() - began) * 1000
    score, verdict = score_and_verdict(results)
    for long_side in (2048, 400):
        factor = long_side / max(image.size)
        image.resize((round(image.width * factor), round(image.height * factor)), Image.Resampling.LANCZOS).save(
            io.BytesIO(), "JPEG"
        )
    overlay.render(full.working, {"verdict": verdict, "score": score, "rules": [r.to_dict() for r in results]})
    return {"verdict": verdict, "rules": {r.id: r.status for r in results}, "timings_ms": {"rules": rule_ms}}


def run_worker(variant: str, folder: Path) -> None:
    single_thread()
    from chalicelib.core.guideline import parse_guideline
    from chalicelib.vision.analysis import analyse
    from chalicelib.vision.context import FolderPack
    from chalicelib.vision.inference import default_models

    guideline, pack, models = parse_guideline(GUIDELINE), FolderPack(folder), default_models()

    def real(photo: bytes) -> dict:
        result = analyse(photo, guideline, pack, models).result
        return {**result, "rules": {r["id"]: r["status"] for r in result["rules"]}}

    run = real if variant == "real" else (lambda photo: _naive(photo, guideline, pack, models))
    photos = [p.read_bytes() for p in sorted(folder.glob("[0-9]*.jpg"))]
    run(photos[0])  # warm-up: imports and model sessions are cold start, measured elsewhere
    rss_after_warmup = current_rss_mb()
    totals, per_rule, statuses = [], defaultdict(list), []
    for photo in photos:
        began = time.perf_counter()
        result = run(photo)
        totals.append((time.perf_counter() - began) * 1000)
        for rule_id, ms in result["timings_ms"]["rules"].items():
            per_rule[rule_id].append(ms)
        statuses.append(result["rules"])
    print(
        json.dumps(
            {
                "totals": totals,
                "per_rule": per_rule,
                "statuses": statuses,
                "peak_rss_mb": peak_rss_mb(),
                "rss_after_warmup_mb": rss_after_warmup,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--photos", type=int, default=12)
    parser.add_argument("--seed", type=int, default=500)
    parser.add_argument("--worker", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--generate", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return run_worker(args.worker, args.folder)
    if args.generate:
        generate(args.photos, args.seed, args.folder)
        print("{}")
        return

    with tempfile.TemporaryDirectory(prefix="vetrina-bench-") as tmp:
        began = time.perf_counter()
        run_fresh(__file__, "--generate", "-n", str(args.photos), "--seed", str(args.seed), "--folder", tmp)
        print(
            f"{args.photos} labelled 12 MP window photos generated in {time.perf_counter() - began:.0f} s; "
            "one thread; each variant in a fresh process"
        )
        reports = {v: json.loads(run_fresh(__file__, "--worker", v, "--folder", tmp)) for v in VARIANTS}

    print(f"\n{'variant':8} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8} {'peak RSS MB':>12}")
    for variant, r in reports.items():
        t = r["totals"]
        print(
            f"{variant:8} {percentile(t, 0.5):8.0f} {percentile(t, 0.95):8.0f} {statistics.mean(t):8.0f} {r['peak_rss_mb']:12.0f}"
        )
    real, naive = reports["real"], reports["naive"]
    print(
        f"naive/real  p50 x{percentile(naive['totals'], 0.5) / percentile(real['totals'], 0.5):.2f}   "
        f"p95 x{percentile(naive['totals'], 0.95) / percentile(real['totals'], 0.95):.2f}   "
        f"peak RSS x{naive['peak_rss_mb'] / real['peak_rss_mb']:.2f}"
    )

    photos = len(real["statuses"])
    print(f"\nper rule: p50 ms (real / naive), and on how many photos both gave the same status (of {photos})")
    for rule in GUIDELINE["rules"]:
        rid = rule["id"]
        r_ms = real["per_rule"].get(rid) or [0.0]
        n_ms = naive["per_rule"].get(rid) or [0.0]
        same = sum(a.get(rid) == b.get(rid) for a, b in zip(real["statuses"], naive["statuses"]))
        print(f"  {rid:16} {rule['type']:22} {percentile(r_ms, 0.5):7.0f} / {percentile(n_ms, 0.5):7.0f}   same {same}/{photos}")
    p50, p95, rss = percentile(real["totals"], 0.5), percentile(real["totals"], 0.95), real["peak_rss_mb"]
    print(
        f"target (docs/ARCHITECTURE.md): p50 <= 500 ms, p95 <= 1000 ms, peak <= 1024 MB -> p50 {p50:.0f} ms, p95 {p95:.0f} ms, "
        f"peak {rss:.0f} MB: {'met' if p50 <= 500 and p95 <= 1000 and rss <= 1024 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()

"""Benchmark: intake + photo-quality verdict of 12 MP phone JPEGs, against a naive baseline.

    .venv/bin/python bench/bench_intake_quality.py [-n 20] [--seed 1000]

Generates N synthetic 12 MP phone JPEGs (chalicelib.devtools.synthetic; varied seeds and defects,
some stored sideways with EXIF orientation 6 as a phone held upright does), then runs each
variant in its own fresh subprocess, one thread, and reports per-photo latency and the
process's peak RSS (which, unlike tracemalloc, counts the C buffers of libjpeg, Pillow and
OpenCV):

- real:  chalicelib.vision.analysis.analyse(photo, guideline with all five quality checks):
         JPEG decoded at reduced size (DCT scaling), checks on the <= 2048 px working image,
         normalised JPEG and thumbnail.
- naive: what a straightforward implementation does: decode the full 12 MP image, apply
         exif_transpose and convert to RGB at full size, run the same measure/evaluate on the
         full-resolution array (measure scales it down internally), then Lanczos-resize the
         full image to 2048 px and to 400 px for the normalised JPEG and the thumbnail.

Each worker warms up on the first photo (imports, first-call costs) and then times every photo.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from measure import current_rss_mb, peak_rss_mb, percentile, run_fresh, single_thread

# Defects cycled over the photos: (name, window_photo options, EXIF orientation).
DEFECTS = [
    ("clean", {}, None),
    ("blurred", {"blur_sigma": 2.5}, None),
    ("tilted", {"tilt_deg": 7.0}, 6),
    ("dark", {"brightness": 0.3}, None),
    ("blown", {"brightness": 1.7}, None),
    ("shaken", {"motion_blur_px": 14}, 6),
    ("clean", {}, 6),
    ("slight tilt", {"tilt_deg": -3.0}, None),
]
VARIANTS = ("real", "naive")


# --- workers (each runs in a fresh process) ------------------------------------------------


def _quality_guideline():
    from chalicelib.core.guideline import QUALITY_CHECKS, parse_guideline

    return parse_guideline(
        {
            "rules": [
                {"id": check, "type": "photo_quality", "message": f"{check} not good enough", "parameters": {"check": check}}
                for check in QUALITY_CHECKS
            ]
        }
    )


def _naive_analyse(photo: bytes, guideline) -> dict:
    import io

    import numpy as np
    from PIL import Image, ImageOps

    from chalicelib.vision.checks import photo_quality
    from chalicelib.vision.intake import IntakeResult
    from chalicelib.vision.verdict import score_and_verdict

    image = Image.open(io.BytesIO(photo))
    image.load()  # the full 12 MP
    image = ImageOps.exif_transpose(image).convert("RGB")
    full = IntakeResult("jpeg", image.size, np.asarray(image), b"", b"", ())
    measures = photo_quality.measure(full)
    results = [photo_quality.judge(rule, measures) for rule in guideline.rules]
    score, verdict = score_and_verdict(results)
    for long_side, quality in ((2048, 88), (400, 80)):
        factor = long_side / max(image.size)
        resized = image.resize((round(image.width * factor), round(image.height * factor)), Image.Resampling.LANCZOS)
        resized.save(io.BytesIO(), "JPEG", quality=quality)
    return {"verdict": verdict, "timings_ms": {}}


def run_worker(variant: str, photo_dir: Path) -> None:
    single_thread()
    from chalicelib.vision.analysis import analyse

    guideline = _quality_guideline()
    run = (
        (lambda photo: analyse(photo, guideline).result)
        if variant == "real"
        else (lambda photo: _naive_analyse(photo, guideline))
    )
    photos = [path.read_bytes() for path in sorted(photo_dir.glob("*.jpg"))]
    run(photos[0])  # warm-up: first-call costs are cold start, not per-photo latency
    rss_before = current_rss_mb()
    timings, verdicts, stages = [], [], {"intake": [], "measure": []}
    for photo in photos:
        started = time.perf_counter()
        result = run(photo)
        timings.append((time.perf_counter() - started) * 1000)
        verdicts.append(result["verdict"])
        if "intake" in result["timings_ms"]:
            stages["intake"].append(result["timings_ms"]["intake"])
            stages["measure"].append(sum(result["timings_ms"]["rules"].values()))
    print(
        json.dumps(
            {
                "timings_ms": timings,
                "verdicts": verdicts,
                "stages": stages,
                "peak_rss_mb": peak_rss_mb(),
                "rss_after_warmup_mb": rss_before,
            }
        )
    )


# --- the parent: generate, run each variant in a fresh process, report ----------------------


def generate(count: int, first_seed: int, folder: Path) -> list[str]:
    import numpy as np

    from chalicelib.devtools import synthetic

    names = []
    for index in range(count):
        name, defects, orientation = DEFECTS[index % len(DEFECTS)]
        rgb = synthetic.window_photo(first_seed + index, **defects)
        if orientation == 6:
            rgb = np.rot90(rgb)  # stored as the sensor saw it; the viewer turns it 90 degrees clockwise
        (folder / f"{index:03d}.jpg").write_bytes(synthetic.to_jpeg(rgb, exif_orientation=orientation))
        names.append(name + (" (EXIF 6)" if orientation == 6 else ""))
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--photos", type=int, default=20, help="number of 12 MP photos (default 20)")
    parser.add_argument("--seed", type=int, default=1000, help="first synthetic seed")
    parser.add_argument("--worker", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--photo-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--generate", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        run_worker(args.worker, args.photo_dir)
        return
    if args.generate:
        print(json.dumps(generate(args.photos, args.seed, args.photo_dir)))
        return

    with tempfile.TemporaryDirectory(prefix="vetrina-bench-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        names = json.loads(
            run_fresh(__file__, "--generate", "-n", str(args.photos), "--seed", str(args.seed), "--photo-dir", str(folder))
        )
        sizes = [p.stat().st_size / 1e6 for p in folder.glob("*.jpg")]
        print(
            f"{len(names)} synthetic 12 MP phone JPEGs (4032x3024, {min(sizes):.1f}-{max(sizes):.1f} MB) "
            f"generated in {time.perf_counter() - started:.1f} s; one thread; each variant in a fresh process"
        )
        reports = {}
        for variant in VARIANTS:
            reports[variant] = json.loads(run_fresh(__file__, "--worker", variant, "--photo-dir", str(folder)))

    print(
        f"\n{'variant':8} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8} {'max ms':>8} {'peak RSS MB':>12} {'RSS after warm-up':>18}"
    )
    for variant, report in reports.items():
        t = report["timings_ms"]
        print(
            f"{variant:8} {percentile(t, 0.5):8.1f} {percentile(t, 0.95):8.1f} {statistics.mean(t):8.1f} "
            f"{max(t):8.1f} {report['peak_rss_mb']:12.0f} {report['rss_after_warmup_mb']:18.0f}"
        )
    real, naive = reports["real"], reports["naive"]
    ratio = {
        "p50": percentile(naive["timings_ms"], 0.5) / percentile(real["timings_ms"], 0.5),
        "p95": percentile(naive["timings_ms"], 0.95) / percentile(real["timings_ms"], 0.95),
        "rss": naive["peak_rss_mb"] / real["peak_rss_mb"],
    }
    print(f"{'naive/real':10} p50 x{ratio['p50']:.2f}   p95 x{ratio['p95']:.2f}   peak RSS x{ratio['rss']:.2f}")

    stages = real["stages"]
    print(
        f"\nreal, per stage (p50): intake {percentile(stages['intake'], 0.5):.1f} ms, "
        f"measure {percentile(stages['measure'], 0.5):.1f} ms"
    )
    agree = sum(a == b for a, b in zip(real["verdicts"], naive["verdicts"]))
    print(f"verdicts, real vs naive: {agree}/{len(names)} agree")
    for name, verdict in zip(names, real["verdicts"]):
        print(f"  {name:22} {verdict}")
    p50, p95 = percentile(real["timings_ms"], 0.5), percentile(real["timings_ms"], 0.95)
    met = "met" if p95 <= 100 else ("met at p50 only" if p50 <= 100 else "NOT met")
    print(
        f"\ntarget (docs/ARCHITECTURE.md): photo-quality verdict alone <= 100 ms -> real p50 {p50:.0f} ms, p95 {p95:.0f} ms: {met}"
    )


if __name__ == "__main__":
    main()

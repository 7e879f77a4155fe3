"""Benchmark: the bundled COCO detector (objects rule) — latency at one thread against the BlazePose
person detector in the same run, and accuracy per label on real photographs and composed windows.

    .venv/bin/python bench/bench_detector.py [-n 40] [--ultralytics-wheel PATH] [--json out.json]

- Latency: p50 / p90 of 30 runs, one thread, on a 2048 x 1536 working image (the analysis' size):
  the whole detect() (resize + ONNX + decode + NMS), the second pass on a small zone, the
  people/mannequin look at one figure; baseline: the BlazePose person detector's detect().
  Session creation (the cold-start cost the detector adds) is timed once.
- Real photographs: the scikit-image photos (and bus.jpg / zidane.jpg from an ultralytics wheel
  if one is given; nothing is downloaded), counted by hand in tests/vision/object_labels.py.
  Precision and recall per label from counts: tp = min(found, true), fp = found - tp, fn = true - tp.
- Composed windows (chalicelib.devtools.object_scenes): n seeds with random numbers of people,
  mannequins (white, black, beige plastic), passers-by and cups on a shelf; a found box matches a
  true one of its label when its centre lies in it (each true box matched once).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import zipfile
from collections import Counter, defaultdict

from measure import ROOT, percentile, single_thread

sys.path.insert(0, str(ROOT / "tests" / "vision"))

MODEL = "objects_ssd_mobilenet_v2_coco"
BASELINE = "person_detect_mediapipe_blazepose"
CONFIDENCES = (0.4, 0.5, 0.6)


def _figure_passes() -> dict:
    from chalicelib.vision import detection

    return {"whole photo": detection.detect, "figure pass": detection.detect_figures}


FIGURE_PASSES = _figure_passes()


def _timed(fn, runs: int = 30) -> dict:
    """Wall-clock p50/p90 and the CPU time's p50 (one thread: on a shared machine the CPU time is
    what the function costs, the wall clock also counts the other processes' turns)."""
    fn()
    times, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return {
        "p50_ms": round(percentile(times, 0.5), 1),
        "p90_ms": round(percentile(times, 0.9), 1),
        "cpu_p50_ms": round(percentile(cpu, 0.5), 1),
    }


def latency() -> dict:
    import cv2
    import numpy as np

    from chalicelib.devtools import object_scenes
    from chalicelib.vision import detection, figures
    from chalicelib.vision.inference import Models

    scene = object_scenes.window(7, people=1, mannequins=2, cups=2, size=(2048, 1536))
    rgb = scene.rgb
    models = Models(threads=1)
    start = time.perf_counter()
    models.session(MODEL)
    session_ms = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    models.session(BASELINE)
    baseline_session_ms = (time.perf_counter() - start) * 1000
    zone = (int(0.5 * 2048), 0, int(0.5 * 2048), int(0.5 * 1536))  # upper_right quarter
    found = [d for d in detection.detect(models, MODEL, rgb) if d.label == "person" and d.score >= 0.5]
    out = {
        "image": f"{rgb.shape[1]}x{rgb.shape[0]}",
        "session_create_ms": round(session_ms, 1),
        "baseline_session_create_ms": round(baseline_session_ms, 1),
        "detect": _timed(lambda: detection.detect(models, MODEL, rgb)),
        "detect_with_zone_pass": _timed(lambda: detection.detect_region(models, MODEL, rgb, zone)),
        "detect_with_figure_pass": _timed(lambda: detection.detect_figures(models, MODEL, rgb)),
        "baseline_blazepose_detect": _timed(lambda: detection.detect(models, BASELINE, rgb)),
        "onnx_only": _timed(lambda: models.session(MODEL).run(None, {"image": np.zeros((1, 300, 300, 3), np.uint8)})),
        "resize_only": _timed(lambda: detection._ssd_input(rgb, 300)),
    }
    if found:
        out["figure_look_per_box"] = _timed(lambda: figures._face_cues(models, rgb, found[0].box))
    del cv2
    return out


def analysis_cost(runs: int = 20) -> dict:
    """p50 of analyse() on a composed 2048 x 1536 window: one cheap rule alone (the baseline), and
    with an objects rule of each kind added; the difference is what the detector adds."""
    import cv2

    from chalicelib.core.guideline import parse_guideline
    from chalicelib.devtools import object_scenes
    from chalicelib.vision.analysis import analyse
    from chalicelib.vision.inference import Models

    scene = object_scenes.window(6, people=1, mannequins=1, passers_by=1, cups=2, size=(2048, 1536))
    jpeg = cv2.imencode(".jpg", cv2.cvtColor(scene.rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 92])[1].tobytes()
    base = {"id": "sharp", "type": "photo_quality", "message": "Blurry.", "parameters": {"check": "sharpness"}}
    extra = {
        "baseline (sharpness rule only)": [],
        "+ handbag, lower half": [
            {"id": "bags", "type": "objects", "message": "Bags.", "zone": "lower_half", "parameters": {"label": "handbag"}}
        ],
        "+ cup, upper-right quarter (zone pass)": [
            {
                "id": "cups",
                "type": "objects",
                "message": "Cups.",
                "zone": {"box": [0.5, 0, 1, 0.5]},
                "parameters": {"label": "cup"},
            }
        ],
        "+ person_or_mannequin": [
            {
                "id": "fig",
                "type": "objects",
                "message": "Figures.",
                "parameters": {"label": "person_or_mannequin", "min_count": 2},
            }
        ],
        "+ mannequin and person (figure looks)": [
            {"id": "man", "type": "objects", "message": "Mannequins.", "parameters": {"label": "mannequin", "min_count": 2}},
            {
                "id": "nobody",
                "type": "objects",
                "message": "Nobody.",
                "parameters": {"label": "person", "max_count": 0, "min_count": 0},
            },
        ],
        "+ the issue's guideline (figures, nobody in front of the poster, handbag)": object_scenes.EXAMPLE_RULES,
    }
    models = Models(threads=1)
    out = {}
    for name, rules in extra.items():
        guideline = parse_guideline({"rules": [base, *rules]})
        out[name] = _timed(lambda g=guideline: analyse(jpeg, g, models=models), runs)
    baseline = out["baseline (sharpness rule only)"]
    for name in extra:
        out[name]["added_p50_ms"] = round(out[name]["p50_ms"] - baseline["p50_ms"], 1)
        out[name]["added_cpu_p50_ms"] = round(out[name]["cpu_p50_ms"] - baseline["cpu_p50_ms"], 1)
    return out


def cup_sizes() -> dict:
    """Recall of the cup (the coffee photo, 8 sizes) in a 1600 x 1200 grey photo: whole photo vs
    the second pass on its upper-left quarter zone, at min_confidence 0.5."""
    import cv2
    import numpy as np
    import skimage.data

    from chalicelib.vision import detection
    from chalicelib.vision.inference import Models

    models = Models(threads=1)
    coffee = skimage.data.coffee()
    out = {}
    for share in (0.05, 0.08, 0.12, 0.17, 0.22, 0.3, 0.4, 0.5):  # the photo's height share of the pasted coffee photo
        hits = {"whole": 0, "zone_pass": 0}
        for shift in range(6):
            canvas = np.full((1200, 1600, 3), 200, np.uint8)
            h = int(share * 1200)
            patch = cv2.resize(coffee, (int(h * 1.5), h), interpolation=cv2.INTER_AREA)
            x, y = 60 + shift * 40, 50 + shift * 25
            canvas[y : y + h, x : x + patch.shape[1]] = patch
            whole = detection.detect(models, MODEL, canvas)
            zoned = detection.detect_region(models, MODEL, canvas, (0, 0, 800, 600))
            hits["whole"] += any(d.label == "cup" and d.score >= 0.5 for d in whole)
            hits["zone_pass"] += any(d.label == "cup" and d.score >= 0.5 for d in zoned)
        out[f"{share:.2f}"] = {k: f"{v}/6" for k, v in hits.items()}
    return out


def _pr(tp: Counter, fp: Counter, fn: Counter) -> dict:
    table = {}
    for label in sorted(set(tp) | set(fp) | set(fn)):
        p = tp[label] / (tp[label] + fp[label]) if tp[label] + fp[label] else None
        r = tp[label] / (tp[label] + fn[label]) if tp[label] + fn[label] else None
        table[label] = {
            "precision": None if p is None else round(p, 3),
            "recall": None if r is None else round(r, 3),
            "tp": tp[label],
            "fp": fp[label],
            "fn": fn[label],
        }
    return table


def real_photos(wheel: str | None) -> dict:
    import cv2
    import numpy as np
    import object_labels
    import skimage.data

    from chalicelib.vision import detection
    from chalicelib.vision.inference import Models

    models = Models(threads=1)
    photos = {}
    for name in object_labels.SKIMAGE:
        rgb = getattr(skimage.data, name)()
        if rgb.dtype != np.uint8:
            rgb = (np.asarray(rgb, np.float32) * (255 if rgb.max() <= 1 else 1)).astype(np.uint8)
        if rgb.ndim == 2:
            rgb = np.stack([rgb] * 3, axis=-1)
        photos[name] = (rgb[..., :3], object_labels.SKIMAGE[name])
    if wheel:
        with zipfile.ZipFile(wheel) as z:
            for name, truth in object_labels.ULTRALYTICS.items():
                data = np.frombuffer(z.read(f"ultralytics/assets/{name}"), np.uint8)
                photos[name] = (cv2.cvtColor(cv2.imdecode(data, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB), truth)
    result = {}
    for confidence in CONFIDENCES:
        tp, fp, fn = Counter(), Counter(), Counter()
        seen = {}
        for name, (rgb, truth) in photos.items():
            found = Counter(d.label for d in detection.detect(models, MODEL, rgb) if d.score >= confidence)
            ignore = set(truth.get("ignore", []))
            counts = {k: v for k, v in truth.items() if k != "ignore"}
            for label in set(found) | set(counts):
                if label in ignore:
                    continue
                hit = min(found[label], counts.get(label, 0))
                tp[label] += hit
                fp[label] += found[label] - hit
                fn[label] += counts.get(label, 0) - hit
            seen[name] = dict(found)
        result[str(confidence)] = {"per_label": _pr(tp, fp, fn), "found": seen}
    result["figures_0.5"] = _real_figures(models, photos)
    result["photos"] = sorted(photos)
    return result


def _real_figures(models, photos: dict) -> dict:
    """The figure labels on the real photos at 0.5: every person in them is a living one, so a
    ``mannequin`` is a wrong call; whole photo against the figure pass (proportions kept)."""
    from chalicelib.vision import figures

    out = {}
    for mode, passes in FIGURE_PASSES.items():
        tp, fp, fn = Counter(), Counter(), Counter()
        for rgb, truth in photos.values():
            kept = [d for d in passes(models, MODEL, rgb) if d.label == "person" and d.score >= 0.5]
            calls = Counter(f.detection.label for f in figures.classify(models, rgb, kept))
            true_people = truth.get("person", 0)
            for label, found, true in (
                ("person_or_mannequin", len(kept), true_people),
                ("person", calls["person"], true_people),
                ("mannequin", calls["mannequin"], 0),
            ):
                hit = min(found, true)
                tp[label] += hit
                fp[label] += found - hit
                fn[label] += true - hit
        out[mode] = _pr(tp, fp, fn)
    return out


def _match(
    found: list[tuple[str, tuple]], truth: list[tuple[str, tuple]], labels: tuple[str, ...]
) -> tuple[Counter, Counter, Counter]:
    tp, fp, fn = Counter(), Counter(), Counter()
    for label in labels:
        boxes = [box for name, box in truth if name == label]
        used = [False] * len(boxes)
        for name, (x, y, w, h) in found:
            if name != label:
                continue
            cx, cy = x + w / 2, y + h / 2
            hit = next(
                (i for i, (bx, by, bw, bh) in enumerate(boxes) if not used[i] and bx <= cx < bx + bw and by <= cy < by + bh), None
            )
            if hit is None:
                fp[label] += 1
            else:
                used[hit] = True
                tp[label] += 1
        fn[label] += used.count(False)
    return tp, fp, fn


def composed(n: int, backdrop: bool = False) -> dict:
    import numpy as np

    from chalicelib.devtools import object_scenes
    from chalicelib.vision import detection, figures
    from chalicelib.vision.inference import Models

    models = Models(threads=1)
    rng = np.random.default_rng(2026)
    totals = {(mode, c): [Counter(), Counter(), Counter()] for mode in FIGURE_PASSES for c in CONFIDENCES}
    zone_totals = {"full": [Counter(), Counter(), Counter()], "zone_pass": [Counter(), Counter(), Counter()]}
    reasons = defaultdict(Counter)
    for seed in range(n):
        people, mannequins = int(rng.integers(0, 3)), int(rng.integers(0, 3))
        people = min(people, 3 - mannequins)
        passers = int(rng.random() < 0.35)
        cups = int(rng.integers(0, 4))
        scene = object_scenes.window(
            1000 + seed, people=people, mannequins=mannequins, passers_by=passers, cups=cups, backdrop=backdrop
        )
        truth = list(scene.objects) + [
            ("person_or_mannequin", box) for name, box in scene.objects if name in ("person", "mannequin")
        ]
        raw = detection.detect(models, MODEL, scene.rgb)
        for mode, passes in FIGURE_PASSES.items():
            dets = raw if mode == "whole photo" else passes(models, MODEL, scene.rgb)
            for confidence in CONFIDENCES:
                kept = [d for d in dets if d.score >= confidence]
                figs = figures.classify(models, scene.rgb, kept)
                found = [(f.detection.label, f.detection.box) for f in figs]
                found += [("person_or_mannequin", d.box) for d in kept if d.label == "person"]
                found += [(d.label, d.box) for d in kept if d.label == "cup"]
                matched = _match(found, truth, ("person", "mannequin", "person_or_mannequin", "cup"))
                for total, part in zip(totals[(mode, confidence)], matched, strict=True):
                    total.update(part)
                if confidence == 0.5 and mode == "figure pass":
                    for f in figs:
                        reasons[f.detection.label][f.reason.split(" (")[0].split(",")[0]] += 1
        # Small products: the shelf zone (upper right quarter) with and without the second pass.
        h, w = scene.rgb.shape[:2]
        zone = (w // 2, 0, w // 2, h // 2)
        shelf_truth = [(name, box) for name, box in scene.objects if name == "cup"]
        for key, dets in (("full", raw), ("zone_pass", detection.detect_region(models, MODEL, scene.rgb, zone))):
            found = [(d.label, d.box) for d in dets if d.score >= 0.5 and d.label == "cup"]
            for total, part in zip(zone_totals[key], _match(found, shelf_truth, ("cup",)), strict=True):
                total.update(part)
    return {
        "windows": n,
        "per_label": {f"{mode} {c}": _pr(*totals[(mode, c)]) for mode in FIGURE_PASSES for c in CONFIDENCES},
        "cups_in_shelf_zone_at_0.5": {k: _pr(*v).get("cup") for k, v in zone_totals.items()},
        "figure_reasons_at_0.5": {k: dict(v) for k, v in reasons.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=40, help="composed windows")
    parser.add_argument("--ultralytics-wheel", help="an ultralytics wheel, for bus.jpg and zidane.jpg")
    parser.add_argument("--json", help="write the figures here too")
    args = parser.parse_args()
    single_thread()
    report = {
        "latency": latency(),
        "analysis_cost": analysis_cost(),
        "cup_sizes": cup_sizes(),
        "real_photos": real_photos(args.ultralytics_wheel),
        "composed_windows": composed(args.n),
        "composed_windows_figures_on_their_backdrop": composed(args.n, backdrop=True),
    }
    text = json.dumps(report, indent=1)
    if args.json:
        open(args.json, "w").write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()

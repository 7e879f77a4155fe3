"""Trying a guideline before publishing it: ``check`` one photo, ``eval`` a labelled folder.

A guideline file is the guideline document in YAML or JSON; the pack files it names (artworks,
reference photos) are looked up beside it. A labelled folder holds photos and ``labels.json``:
``{"photo.jpg": {"<rule id>": "pass" | "fail", ...}, ...}``; rules a photo has no label for are
not scored on it. Evaluation treats "fail" (a window that breaks the rule) as the class to catch.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from chalicelib.core.guideline import Guideline, parse_guideline

if TYPE_CHECKING:  # the image stack loads only when a photo is analysed
    from chalicelib.vision.analysis import Analysis
    from chalicelib.vision.verdict import AnalysisResult

PREDICTED = ("pass", "fail", "uncertain", "error", "skipped")


def load_guideline(path: Path) -> Guideline:
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        document = yaml.safe_load(text)
    else:
        document = json.loads(text)
    return parse_guideline(document)


def _analyser(guideline_path: Path) -> tuple[Guideline, Callable[[Path], Analysis]]:
    """The guideline and a function analysing a photo file with the pack beside the guideline."""
    from chalicelib.vision.analysis import analyse
    from chalicelib.vision.context import FolderPack

    guideline = load_guideline(guideline_path)
    pack = FolderPack(guideline_path.parent)
    return guideline, lambda photo: analyse(photo.read_bytes(), guideline, pack)


def rule_table(result: AnalysisResult) -> str:
    """One row per rule; "#" is the number the overlay marks the rule's evidence with (the
    overlay draws no legend)."""
    rows = [("#", "rule", "type", "status", "value", "threshold", "message")]
    for number, r in enumerate(result.rules, start=1):
        threshold = r.threshold.to_dict() if r.threshold else {}
        bounds = " ".join(f"{k}={v:g}" for k, v in threshold.items() if k in ("min", "max"))
        value = r.value
        rows.append((str(number), r.id, r.type, r.status, "" if value is None else f"{value:g}", bounds, r.message))
    widths = [max(len(row[i]) for row in rows) for i in range(6)]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:6])) + "  " + row[6] for row in rows]
    lines.insert(1, "-" * min(120, len(lines[0])))
    return "\n".join(lines)


def check(photo: Path, guideline_path: Path, overlay_path: Path | None, out: TextIO = sys.stdout) -> int:
    """Print the rule table of one photo and write its overlay; exit status 0 pass, 1 otherwise."""
    from chalicelib.vision.intake import IntakeRejected

    _, analyse = _analyser(guideline_path)
    try:
        analysis = analyse(photo)
    except IntakeRejected as rejected:
        print(f"{photo}: rejected ({rejected.code}): {rejected.reason}", file=out)
        return 2
    result = analysis.outcome
    print(f"{photo}: {result.verdict.upper()}  score {result.score:.0%}  ({result.timings.total:.0f} ms)", file=out)
    print(rule_table(result), file=out)
    for warning in result.warnings:
        print(f"warning: {warning}", file=out)
    target = overlay_path or photo.with_name(photo.stem + ".overlay.jpg")
    target.write_bytes(analysis.overlay_jpeg)
    print(f"overlay: {target}", file=out)
    return 0 if result.verdict == "pass" else 1


@dataclass
class RuleScore:
    confusion: Counter = field(default_factory=Counter)  # (expected, predicted) -> count

    def add(self, expected: str, predicted: str) -> None:
        self.confusion[(expected, predicted)] += 1

    def metrics(self) -> dict[str, float]:
        # "fail" is the class to catch; an uncertain answer (sent to a person) is not a catch.
        tp = self.confusion[("fail", "fail")]
        fp = self.confusion[("pass", "fail")]
        fn = sum(n for (e, p), n in self.confusion.items() if e == "fail" and p != "fail")
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        total = sum(self.confusion.values())
        accuracy = sum(n for (e, p), n in self.confusion.items() if e == p) / total if total else 0.0
        return {"precision": precision, "recall": recall, "f1": f1, "accuracy": accuracy, "n": total}


def _progress(done: int, total: int, started: float, err: TextIO) -> None:
    if not err.isatty() and done not in (total,) and done % 10:
        return
    width = 30
    filled = int(width * done / total) if total else width
    rate = done / (time.perf_counter() - started) if done else 0.0
    eta = (total - done) / rate if rate else 0.0
    end = "\n" if done == total else "\r"
    print(
        f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total}  {rate:.1f} photo/s  eta {eta:.0f}s",
        end=end,
        file=err,
        flush=True,
    )


def evaluate_folder(folder: Path, guideline_path: Path, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> dict[str, Any]:
    """Run every labelled photo of a folder; print per-rule precision, recall, F1, confusion, latency."""
    from chalicelib.vision.intake import IntakeRejected

    guideline, analyse = _analyser(guideline_path)
    labels: dict[str, dict[str, str]] = json.loads((folder / "labels.json").read_text())
    scores: dict[str, RuleScore] = defaultdict(RuleScore)
    latencies: list[float] = []
    rule_latencies: dict[str, list[float]] = defaultdict(list)
    rejected = 0
    started = time.perf_counter()
    for done, (name, expected) in enumerate(sorted(labels.items()), start=1):
        began = time.perf_counter()
        try:
            result = analyse(folder / name).outcome
        except IntakeRejected:
            rejected += 1
            _progress(done, len(labels), started, err)
            continue
        latencies.append((time.perf_counter() - began) * 1000)
        for rule_id, ms in result.timings.rules.items():
            rule_latencies[rule_id].append(ms)
        predicted = {r.id: r.status for r in result.rules}
        for rule_id, label in expected.items():
            if rule_id in predicted:
                scores[rule_id].add(label, predicted[rule_id])
        _progress(done, len(labels), started, err)

    report: dict[str, Any] = {"photos": len(labels), "rejected": rejected, "rules": {}}
    print(f"{len(labels)} photos, {rejected} rejected by intake", file=out)
    print(
        f"{'rule':24} {'n':>4} {'precision':>9} {'recall':>6} {'F1':>6} {'acc':>6} {'p50 ms':>7}   confusion (expected→predicted)",
        file=out,
    )
    for rule in guideline.rules:
        if rule.id not in scores:
            continue
        m = scores[rule.id].metrics()
        p50 = statistics.median(rule_latencies[rule.id]) if rule_latencies[rule.id] else 0.0
        confusion = ", ".join(f"{e}→{p}: {n}" for (e, p), n in sorted(scores[rule.id].confusion.items()))
        print(
            f"{rule.id:24} {m['n']:>4} {m['precision']:>9.2f} {m['recall']:>6.2f} {m['f1']:>6.2f} {m['accuracy']:>6.2f} {p50:>7.0f}   {confusion}",
            file=out,
        )
        report["rules"][rule.id] = {
            **m,
            "p50_ms": p50,
            "confusion": {f"{e}->{p}": n for (e, p), n in scores[rule.id].confusion.items()},
        }
    if latencies:
        ordered = sorted(latencies)
        p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
        report["latency_ms"] = {"p50": statistics.median(ordered), "p95": p95}
        print(f"latency per photo: p50 {report['latency_ms']['p50']:.0f} ms, p95 {p95:.0f} ms", file=out)
    return report

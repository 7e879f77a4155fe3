"""The sizing case of docs/ARCHITECTURE.md as data, for the HQ query benchmark (bench/bench_hq_queries.py).

5,000 stores in 10 regions (with clusters and timezones), 52 weekly campaigns of a six-rule
guideline, each for all stores or most of them, and about 400,000 finished photos: 1-4 per store
and campaign (retakes linked to the photo they replace), a tenth of them reviewed, some with rule
overrides. ``--scale`` scales the number of stores; there are always 52 campaigns.

What goes through the real code, on whichever record store the services use:

- the store list: ``Stores.import_list``;
- each campaign: ``Campaigns.put`` (a few are edited once, so their guideline is at version 2),
  ``add_pack_file`` + the poster written to the blob store, ``Campaigns.publish`` (which resolves
  the targets and counts them with ``Analytics.add_targets``);
- each photo: its finished submission record (the shape ``Submissions.create`` and the analyzer's
  ``_finish`` leave, result built with ``RuleResult.judged``/``to_dict`` and
  ``score_and_verdict``), written in batches with ``put_many``, then ``Analytics.record`` for
  each in upload order, as the analyzer does after writing a result;
- each review: the review and overrides written on the submission (as ``Review`` does), an audit
  item per action, then ``Analytics.record`` again.

Only the analysis itself is not run (no photos): the values each rule measured are drawn from
distributions on either side of its threshold, and the real ``Threshold.judge`` turns them into
statuses. Everything is seeded: the same scale and seed give the same records.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

# Bump when the generated data changes; the cache key also has a hash of the code that shapes
# the stored records (analytics, campaigns, stores, the SQLite adapter, this file).
DATASET_VERSION = 1
SHAPING_SOURCES = (
    "chalicelib/services/analytics/counters.py",
    "chalicelib/services/analytics/outcomes.py",
    "chalicelib/services/campaigns.py",
    "chalicelib/services/stores.py",
    "chalicelib/storage/sqlite_records.py",
    "chalicelib/vision/verdict.py",
    "bench/hq_dataset.py",
)

STORES_AT_SCALE_1 = 5000
CAMPAIGNS = 52
FIRST_START = date(2025, 11, 24)  # a Monday; the 52nd campaign starts on 2026-11-16
CAMPAIGN_DAYS = 6  # deadline: the sixth day after the start, end of the day in the store's timezone

# region, timezone, share of the stores
REGIONS = (
    ("it-north", "Europe/Rome", 0.16),
    ("it-south", "Europe/Rome", 0.10),
    ("fr", "Europe/Paris", 0.14),
    ("de", "Europe/Berlin", 0.13),
    ("es", "Europe/Madrid", 0.11),
    ("uk", "Europe/London", 0.10),
    ("nl", "Europe/Amsterdam", 0.06),
    ("gr", "Europe/Athens", 0.05),
    ("us-east", "America/New_York", 0.09),
    ("jp", "Asia/Tokyo", 0.06),
)
CLUSTERS = (("high-street", 0.40), ("mall", 0.30), ("outlet", 0.12), ("flagship", 0.06), ("travel", 0.12))

USER_AGENTS = ("merch-anna", "merch-luca", "merch-sofia", "merch-marco", "hq-giulia")


@dataclass(frozen=True)
class Spec:
    scale: float = 1.0
    seed: int = 2026

    @property
    def stores(self) -> int:
        return max(20, round(STORES_AT_SCALE_1 * self.scale))

    def key(self) -> str:
        digest = hashlib.sha256()
        for name in SHAPING_SOURCES:
            digest.update((ROOT / name).read_bytes())
        return f"v{DATASET_VERSION}-scale{self.scale:g}-seed{self.seed}-{digest.hexdigest()[:10]}"


# --- stores and campaigns ----------------------------------------------------------------------


def _weighted(rng: random.Random, choices: tuple[tuple[Any, ...], ...]) -> tuple[Any, ...]:
    return rng.choices(choices, weights=[c[-1] for c in choices])[0]


def make_stores(spec: Spec) -> list[dict[str, str]]:
    rng = random.Random(f"{spec.seed}/stores")
    stores = []
    for number in range(1, spec.stores + 1):
        region, zone, _ = _weighted(rng, REGIONS)
        cluster, _ = _weighted(rng, CLUSTERS)
        stores.append(
            {
                "store_id": f"S{number:05d}",
                "name": f"Store {number} {region}",
                "region": region,
                "cluster": cluster,
                "timezone": zone,
            }
        )
    return stores


def poster_name(index: int) -> str:
    return f"poster-w{index + 1:02d}.png"


def make_guideline(index: int, version: int) -> dict[str, Any]:
    poster = poster_name(index)
    return {
        "name": f"Week {index + 1} window",
        "rules": [
            {
                "id": "photo-sharp",
                "type": "photo_quality",
                "message": "The photo is blurry. Hold the phone still and tap the window to focus.",
                "parameters": {"check": "sharpness"},
            },
            {
                "id": "poster",
                "type": "artwork_present",
                "zone": "upper_half",
                "message": "The campaign poster is missing. Put it up in the window, fully visible.",
                # An edited campaign (version 2) relaxed the visibility bound.
                "parameters": {"artwork": poster, "min_visible": 0.6 if version == 1 else 0.55},
            },
            {
                "id": "promo-text",
                "type": "text",
                "message": "The poster must show the promotion.",
                "parameters": {"phrases": [f"Week {index + 1}", "-30%"], "artwork": poster},
            },
            {
                "id": "nobody-in-front",
                "type": "objects",
                "message": "Someone is in front of the window.",
                "parameters": {"label": "person", "min_count": 0, "max_count": 0},
            },
            {
                "id": "brand-colours",
                "type": "palette",
                "message": "The brand colours are not visible enough.",
                "parameters": {"colours": [{"name": "navy", "hex": "#12346E", "min_share": 0.01}]},
            },
            {
                "id": "window-lit",
                "type": "lighting",
                "zone": "centre",
                "message": "Switch on the window lights.",
                "parameters": {},
            },
        ],
    }


def make_campaigns(spec: Spec) -> list[dict[str, Any]]:
    """52 weekly campaigns: most for every region, some for all regions but one, some for three
    clusters plus a few named stores. Every eighth is edited once before publishing."""
    rng = random.Random(f"{spec.seed}/campaigns")
    regions = [r[0] for r in REGIONS]
    campaigns = []
    for index in range(CAMPAIGNS):
        start = FIRST_START + timedelta(weeks=index)
        kind = rng.random()
        if kind < 0.7:
            targets: dict[str, list[str]] = {"regions": regions}
        elif kind < 0.9:
            targets = {"regions": [r for r in regions if r != regions[index % len(regions)]]}
        else:
            picked = [f"S{rng.randint(1, spec.stores):05d}" for _ in range(5)]
            targets = {"clusters": ["high-street", "mall", "flagship"], "stores": picked}
        campaigns.append(
            {
                "campaign_id": f"c{start.isocalendar()[0]}-w{start.isocalendar()[1]:02d}",
                "index": index,
                "versions": 2 if index % 8 == 3 else 1,
                "body": {
                    "name": f"Week {index + 1}: window {start:%d %b %Y}",
                    "start_date": start.isoformat(),
                    "deadline": (start + timedelta(days=CAMPAIGN_DAYS)).isoformat(),
                    "targets": targets,
                },
            }
        )
    return campaigns


def tiny_png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 96), (18, 52, 110)).save(out, "PNG")
    return out.getvalue()


# --- photos and their results --------------------------------------------------------------------

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def submission_id(moment: datetime, rng: random.Random) -> str:
    """A ULID-shaped id (sorts by time, as the service's do), from the seeded generator."""
    value = (int(moment.timestamp() * 1000) << 80) | rng.getrandbits(80)
    return "sub_" + "".join(_CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(26)))


def _thresholds(guideline: Any) -> dict[str, Any]:
    """Each rule's bound, as its check builds it (chalicelib/vision/checks/)."""
    from chalicelib.vision.verdict import Threshold

    out = {}
    for rule in guideline.rules:
        p = rule.parameters
        if rule.type_name == "photo_quality":
            out[rule.id] = Threshold(min=p.min, max=p.max, uncertain_margin=p.uncertain_margin or 0.0)
        elif rule.type_name == "artwork_present":
            out[rule.id] = Threshold(min=p.min_visible, uncertain_margin=p.uncertain_margin)
        elif rule.type_name == "text":
            out[rule.id] = Threshold(min=p.min_similarity, uncertain_margin=p.uncertain_margin)
        elif rule.type_name == "objects":
            out[rule.id] = Threshold(min=p.min_count, max=p.max_count)
        elif rule.type_name == "palette":
            out[rule.id] = Threshold(min=p.colours[0].min_share, uncertain_margin=p.uncertain_margin)
        elif rule.type_name == "lighting":
            out[rule.id] = Threshold(min=p.min_ratio, uncertain_margin=p.uncertain_margin)
    return out


def _value(rule_type: str, threshold: Any, quality: str, rng: random.Random) -> float:
    """What a check measured: comfortably passing ("good"), failing ("bad") or near the bound."""
    if rule_type == "objects":
        return 0 if quality != "bad" else rng.choice((1, 1, 1, 2, 3))
    bound, margin = threshold.min, threshold.uncertain_margin
    if quality == "near":
        return round(max(0.0, bound + rng.uniform(-0.9, 0.9) * margin), 4)
    spans = {  # (good low, good high, bad low, bad high) as offsets from the bound
        "photo_quality": (4.0, 60.0, -22.0, -3.5),
        "artwork_present": (0.11, 0.4, -0.6, -0.11),
        "text": (0.11, 0.2, -0.6, -0.11),
        "palette": (0.011, 0.07, -0.01, -0.0011),
        "lighting": (0.06, 0.7, -0.4, -0.06),
    }[rule_type]
    low, high = spans[:2] if quality == "good" else spans[2:]
    return round(max(0.0, bound + rng.uniform(low, high)), 4)


def _evidence(rule: Any, value: float, rng: random.Random) -> list[Any]:
    """Evidence of the shape each check gives, as the typed classes (vision/evidence.py)."""
    from chalicelib.vision.evidence import evidence_from_json

    return [evidence_from_json(e) for e in _evidence_json(rule, value, rng)]


def _evidence_json(rule: Any, value: float, rng: random.Random) -> list[dict[str, Any]]:
    box = [rng.randint(100, 900), rng.randint(80, 600), rng.randint(1100, 1900), rng.randint(800, 1400)]
    kind = rule.type_name
    if kind == "photo_quality":
        return [{"kind": "box", "box": box, "label": "sharpest area"}]
    if kind == "artwork_present":
        quad = [[box[0], box[1]], [box[2], box[1] + 3.5], [box[2] - 2.0, box[3]], [box[0] + 1.5, box[3] - 4.0]]
        return [
            {"kind": "zone", "box": [0, 0, 2048, 768]},
            {"kind": "quad", "points": quad, "label": rule.parameters.artwork},
            {"kind": "note", "text": f"{round(value * 100)}% of the artwork visible; 412 matching points."},
        ]
    if kind == "text":
        return [
            {"kind": "box", "box": box, "label": "Week"},
            {"kind": "note", "text": "Read: \u201cWEEK SALE -30% ON EVERYTHING\u201d"},
        ]
    if kind == "objects":
        return [{"kind": "box", "box": box, "label": "person 0.91"} for _ in range(int(value))]
    if kind == "palette":
        return [
            {
                "kind": "colour",
                "hex": "#12346E",
                "name": "navy",
                "share": value,
                "min_share": 0.01,
                "cells": [[rng.randint(0, 15), rng.randint(0, 11)] for _ in range(6)],
            }
        ]
    return [{"kind": "zone", "box": box, "label": "window"}, {"kind": "note", "text": "Window 1.31x brighter than the rest."}]


def analysis_result(guideline: Any, thresholds: dict[str, Any], version: int, rng: random.Random, again: bool) -> dict[str, Any]:
    """A result as chalicelib.vision.analysis.analyse leaves it (plus the guideline version);
    ``again``: a store's second or later photo, a little better on average."""
    from chalicelib.vision.verdict import RuleResult, score_and_verdict

    blurry = rng.random() < (0.05 if again else 0.08)
    bad_share = 0.045 if again else 0.075
    results = []
    timings: dict[str, Any] = {"intake": round(rng.uniform(60, 140), 1), "rules": {}}
    for rule in guideline.rules:  # the photo-quality rule is first in this guideline, as analyse orders gates first
        threshold = thresholds[rule.id]
        if rule.type_name != "photo_quality" and any(r.retake for r in results):
            results.append(
                RuleResult.judged(
                    rule,
                    "skipped",
                    None,
                    None,
                    0.0,
                    [],
                    passed="Not checked: the photo must be taken again first.",
                    message="Not checked: the photo must be taken again first.",
                )
            )
            continue
        if rule.type_name == "photo_quality":
            quality = "bad" if blurry else ("near" if rng.random() < 0.03 else "good")
        else:
            draw = rng.random()
            quality = "bad" if draw < bad_share else ("near" if draw < bad_share + 0.035 else "good")
        value = _value(rule.type_name, threshold, quality, rng)
        status, confidence = threshold.judge(value)
        results.append(
            RuleResult.judged(
                rule,
                status,
                value,
                threshold,
                confidence,
                _evidence(rule, value, rng),
                passed="This rule is met.",
                retake=rule.type_name == "photo_quality" and status == "fail",
            )
        )
        timings["rules"][rule.id] = round(rng.uniform(5, 180), 1)
    score, verdict = score_and_verdict(results)
    rules = [_as_dict(r) for r in results]
    if rng.random() < 0.02:  # the quick copy is RuleResult.to_dict without its deep copies: keep checking that
        assert rules == [r.to_dict() for r in results], "RuleResult.to_dict changed: update hq_dataset._as_dict"
    timings["overlay"] = round(rng.uniform(20, 60), 1)
    timings["total"] = round(timings["intake"] + sum(timings["rules"].values()) + timings["overlay"], 1)
    return {
        "verdict": verdict,
        "score": score,
        "rules": rules,
        "photo": {"format": "jpeg", "width": 4032, "height": 3024, "megapixels": 12.19},
        "warnings": [],
        "timings_ms": timings,
        "guideline_version": version,
    }


_RULE_FIELDS: list[str] = []


def _as_dict(result: Any) -> dict[str, Any]:
    """RuleResult.to_dict, without dataclasses.asdict's deep copy (a third of the load time)."""
    if not _RULE_FIELDS:
        from dataclasses import fields

        _RULE_FIELDS.extend(f.name for f in fields(result))
    out = {name: getattr(result, name) for name in _RULE_FIELDS}
    out["threshold"] = dict(_threshold_dict(result.threshold)) if result.threshold else None
    out["evidence"] = [e.to_json() for e in result.evidence]
    return out


@functools.lru_cache(maxsize=256)
def _threshold_dict(threshold: Any) -> dict[str, Any]:
    return threshold.to_dict()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


# The chance that a store sends another photo after one with this verdict (or status).
NEXT_PHOTO = {"pass": 0.15, "review": 0.5, "fail": 0.8, "retake": 0.88, "rejected": 0.9, "error": 0.9}
MISSING_SHARE = 0.03  # stores that send nothing at all


def store_photos(
    campaign: dict[str, Any], target: dict[str, Any], guideline: Any, thresholds: dict[str, Any], spec: Spec
) -> list[dict[str, Any]]:
    """One store's finished photos for one campaign, oldest first (retakes linked both ways)."""
    cid, store_id, region = campaign["campaign_id"], target["store_id"], target["region"]
    rng = random.Random(f"{spec.seed}/{cid}/{store_id}")
    if rng.random() < MISSING_SHARE:
        return []
    starts = datetime.fromisoformat(target["starts_at"])
    draw = rng.random()
    if draw < 0.75:  # most in the same two hours: 9 to 11 in the morning of the first day
        moment = starts + timedelta(hours=9, seconds=rng.uniform(0, 7200))
    elif draw < 0.95:  # the rest of the week
        moment = starts + timedelta(days=rng.uniform(0.4, CAMPAIGN_DAYS + 0.9))
    else:  # late: after the deadline
        moment = starts + timedelta(days=CAMPAIGN_DAYS + 1 + rng.uniform(0.05, 2.5))
    version = campaign["guideline_version"]
    photos: list[dict[str, Any]] = []
    while True:
        sid = submission_id(moment, rng)
        created = _iso(moment)
        analysed = moment + timedelta(seconds=rng.uniform(2.0, 40.0))
        item: dict[str, Any] = {
            "pk": f"SUBMISSION#{sid}",
            "sk": "SUBMISSION",
            "gsi1pk": f"CAMPAIGN#{cid}",
            "gsi1sk": f"SUBMISSION#{created}#{sid}",
            "submission_id": sid,
            "campaign_id": cid,
            "store_id": store_id,
            "content_type": "image/jpeg",
            "attempts": 1,
            "upload_key": f"incoming/{sid}",
            "upload_expires_at": int(moment.timestamp()) + 600,
            "guideline_version": version,
            "created_at": created,
            "updated_at": _iso(analysed),
            "analyzed_at": _iso(analysed),
            "region": region,
            "gsi2pk": f"CAMPAIGN#{cid}#REGION#{region}",
            "gsi2sk": f"SUBMISSION#{created}#{sid}",
        }
        draw = rng.random()
        if draw < 0.02:
            item.update(
                status="rejected",
                reason_code="too_small",
                reason="The photo is too small (640 x 480 pixels). Please take a photo of the window with the phone camera.",
            )
            outcome = "rejected"
        elif draw < 0.022:
            item.update(
                status="error",
                attempts=3,
                reason_code="analysis_failed",
                reason="The photo could not be analysed after 3 attempts. HQ has been told; you can also send the photo again.",
            )
            outcome = "error"
        else:
            result = analysis_result(guideline, thresholds, version, rng, again=bool(photos))
            item.update(
                status="done",
                result=result,
                derived={n: f"derived/{sid}/{n}.jpg" for n in ("normalised", "thumbnail", "overlay")},
            )
            outcome = result["verdict"]
        if photos and photos[-1]["_outcome"] != "pass":  # sent with the retake button
            item["previous_submission_id"] = photos[-1]["submission_id"]
            photos[-1]["retaken_by"] = sid
        item["_outcome"] = outcome
        photos.append(item)
        if len(photos) == 4 or rng.random() >= NEXT_PHOTO[outcome]:
            break
        moment = analysed + timedelta(minutes=rng.uniform(3, 60 * (30 if rng.random() < 0.2 else 2)))
    return photos


# What reviewers look at, by verdict: the chance of a decision, and the decisions' odds.
REVIEWED = {"review": 0.5, "fail": 0.07, "pass": 0.025, "retake": 0.05}
DECISIONS = {
    "review": (("approve", 0.62), ("reject", 0.28), ("retake", 0.10)),
    "fail": (("approve", 0.30), ("reject", 0.62), ("retake", 0.08)),
    "pass": (("approve", 0.88), ("reject", 0.12)),
    "retake": (("retake", 0.6), ("approve", 0.4)),
}
STATE = {"approve": "approved", "reject": "rejected", "retake": "retake_requested"}


def review_of(photo: dict[str, Any], spec: Spec) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """A reviewer's decision and rule overrides on a finished photo (changes, audit items), or None."""
    verdict = (photo.get("result") or {}).get("verdict")
    rng = random.Random(f"{spec.seed}/review/{photo['submission_id']}")
    if verdict not in REVIEWED or rng.random() >= REVIEWED[verdict]:
        return None
    decision = _weighted(rng, DECISIONS[verdict])[0]
    by = rng.choice(USER_AGENTS)
    at = datetime.fromisoformat(photo["analyzed_at"]) + timedelta(hours=rng.uniform(0.2, 30))
    overrides: dict[str, Any] = {}
    for rule in photo["result"]["rules"]:
        status, flip = rule["status"], None
        if status == "uncertain" and rng.random() < 0.7:  # a person settles it
            flip = "pass" if decision == "approve" or rng.random() < 0.35 else "fail"
        elif status == "fail" and decision == "approve" and rng.random() < 0.6:  # the model was wrong
            flip = "pass"
        elif status == "pass" and decision == "reject" and rng.random() < 0.25:
            flip = "fail"
        if flip:
            at = at + timedelta(seconds=rng.uniform(5, 60))
            overrides[rule["id"]] = {
                "model": status,
                "reviewer": flip,
                "value": rule.get("value"),
                "by": by,
                "at": _iso(at),
                "comment": "",
            }
    at = at + timedelta(seconds=rng.uniform(5, 90))
    review = {
        "state": STATE[decision],
        "by": by,
        "at": _iso(at),
        "comment": "" if rng.random() < 0.7 else "See the notes on the poster.",
    }
    changes: dict[str, Any] = {"review": review, "updated_at": review["at"]}
    audit = [
        {
            "pk": photo["pk"],
            "sk": f"AUDIT#{o['at']}#{rng.getrandbits(24):06x}",
            "action": "override",
            "by": by,
            "at": o["at"],
            "rule_id": rule_id,
            "model": o["model"],
            "reviewer": o["reviewer"],
        }
        for rule_id, o in overrides.items()
    ]
    audit.append(
        {
            "pk": photo["pk"],
            "sk": f"AUDIT#{review['at']}#{rng.getrandbits(24):06x}",
            "action": f"review:{decision}",
            "by": by,
            "at": review["at"],
            "comment": review["comment"],
        }
    )
    if overrides:
        changes["overrides"] = overrides
    return changes, audit


# --- building it through the services ---------------------------------------------------------------


def _targets(records: Any, campaign_id: str) -> list[dict[str, Any]]:
    out, cursor = [], None
    while True:
        page = records.query(f"CAMPAIGN#{campaign_id}", sk_prefix="TARGET#", limit=1000, cursor=cursor)
        out += page.items
        if not (cursor := page.cursor):
            return out


def campaign_photos(spec: Spec, campaign: dict[str, Any], targets: list[dict[str, Any]]) -> dict[str, Any]:
    """A campaign's photos in upload order, its reviews in decision order, and the audit items:
    pure generation (no storage), so a second process can do it while the first writes."""
    from chalicelib.core.guideline import parse_guideline

    guideline = parse_guideline(campaign["guideline"])
    thresholds = _thresholds(guideline)
    photos = []
    for target in sorted(targets, key=lambda t: t["store_id"]):
        photos += store_photos(campaign, target, guideline, thresholds, spec)
    photos.sort(key=lambda p: p["created_at"])
    for photo in photos:
        photo.pop("_outcome")
    reviewed, audit = [], []
    for photo in photos:
        review = review_of(photo, spec)
        if review:
            changes, items = review
            reviewed.append({**photo, **changes})
            audit += items
    reviewed.sort(key=lambda p: p["review"]["at"])
    return {"campaign_id": campaign["campaign_id"], "photos": photos, "reviewed": reviewed, "audit": audit}


def _campaign_photos(job: tuple[Spec, dict[str, Any], list[dict[str, Any]]]) -> dict[str, Any]:
    return campaign_photos(*job)


def build(svc: Any, spec: Spec, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Load the dataset into the services' stores through the real code paths; return counts and
    the time each phase took. The photos are generated in a second process, a campaign ahead of
    the writes."""
    import multiprocessing

    began = time.perf_counter()
    phases: dict[str, float] = {
        "stores_and_publish": 0.0,
        "write_submissions": 0.0,
        "record_results": 0.0,
        "reviews": 0.0,
        "waiting_for_generator": 0.0,
    }
    counts: dict[str, int] = {
        "stores": 0,
        "campaigns": 0,
        "targets": 0,
        "submissions": 0,
        "done": 0,
        "rejected": 0,
        "error": 0,
        "retakes_linked": 0,
        "reviewed": 0,
        "with_overrides": 0,
        "overrides": 0,
        "audit_items": 0,
        "record_calls": 0,
    }
    stores = make_stores(spec)
    svc.stores.import_list(json.dumps(stores), "application/json")
    counts["stores"] = len(stores)
    png = tiny_png()
    jobs = []
    for campaign in make_campaigns(spec):
        cid, index = campaign["campaign_id"], campaign["index"]
        for version in range(1, campaign["versions"] + 1):
            svc.campaigns.put(cid, {**campaign["body"], "guideline": make_guideline(index, version)})
        svc.campaigns.add_pack_file(cid, {"name": poster_name(index), "content_type": "image/png"})
        svc.blobs.put(svc.campaigns.load(cid)["pack"][poster_name(index)]["key"], png, "image/png")
        svc.campaigns.publish(cid)
        targets = _targets(svc.records, cid)
        counts["targets"] += len(targets)
        jobs.append((spec, svc.campaigns.load(cid), targets))
    phases["stores_and_publish"] = time.perf_counter() - began
    total = len(jobs)
    log(
        f"  {len(stores):,} stores, {total} campaigns published, {counts['targets']:,} targets, "
        f"{phases['stores_and_publish']:.0f} s"
    )

    with multiprocessing.get_context("spawn").Pool(1) as pool:
        # At most two campaigns generated ahead of the writes (imap would run ahead without bound).
        pending = [pool.apply_async(_campaign_photos, (job,)) for job in jobs[:2]]
        jobs = jobs[2:]
        waited = time.perf_counter()
        while pending:
            made = pending.pop(0).get()
            if jobs:
                pending.append(pool.apply_async(_campaign_photos, (jobs.pop(0),)))
            t0 = time.perf_counter()
            phases["waiting_for_generator"] += t0 - waited
            photos, reviewed, audit = made["photos"], made["reviewed"], made["audit"]
            for start in range(0, len(photos), 2000):
                svc.records.put_many(photos[start : start + 2000])
            t1 = time.perf_counter()
            for photo in photos:  # as the analyzer does once the result is written
                svc.counters.record(photo)
            t2 = time.perf_counter()
            for start in range(0, len(reviewed), 2000):
                svc.records.put_many(reviewed[start : start + 2000])
            for start in range(0, len(audit), 2000):
                svc.records.put_many(audit[start : start + 2000])
            for photo in reviewed:  # as Review.decide and Review.override do after writing
                svc.counters.record(photo)
            waited = time.perf_counter()
            phases["write_submissions"] += t1 - t0
            phases["record_results"] += t2 - t1
            phases["reviews"] += waited - t2

            for photo in photos:
                counts[photo["status"]] += 1
                counts["retakes_linked"] += "previous_submission_id" in photo
            for photo in reviewed:
                counts["with_overrides"] += "overrides" in photo
                counts["overrides"] += len(photo.get("overrides", {}))
            counts["campaigns"] += 1
            counts["submissions"] += len(photos)
            counts["reviewed"] += len(reviewed)
            counts["audit_items"] += len(audit)
            counts["record_calls"] += len(photos) + len(reviewed)
            if counts["campaigns"] % 4 == 0 or not pending:
                log(
                    f"  {counts['campaigns']:2d}/{total} campaigns, {counts['submissions']:,} photos, "
                    f"{time.perf_counter() - began:.0f} s"
                )
    return {
        "counts": counts,
        "phases_s": {k: round(v, 1) for k, v in phases.items()},
        "load_s": round(time.perf_counter() - began, 1),
    }

"""HQ's numbers on both backends: rates by campaign, region, store and rule, missing stores,
weekly trends, reviewer–model agreement, re-runs against a new guideline version and exports;
kept as results and reviews are written, and counted once however often a message comes."""

from __future__ import annotations

import csv
import io

import pytest

from chalicelib.analyzer.processing import UploadProcessor
from chalicelib.analyzer.worker import Worker
from chalicelib.services.analytics.outcomes import counters
from chalicelib.services.analytics.thresholds import MIN_LABELS, agreement_of, suggest_threshold
from chalicelib.storage import layout
from chalicelib.storage.notifications import object_created_event
from tests.support.helpers import campaign_body, store_rows


class Analysis:
    """What the analyzer would say; ``verdicts`` maps a store to its verdict and sharpness."""

    def __init__(self, verdict: str, sharpness: float):
        self.result = {
            "verdict": verdict,
            "score": 1.0 if verdict == "pass" else 0.0,
            "rules": [
                {"id": "sharp", "type": "photo_quality", "status": verdict, "value": sharpness, "threshold": {"min": 100.0}},
            ],
        }
        self.normalised_jpeg = self.thumbnail_jpeg = self.overlay_jpeg = b"\xff\xd8jpeg"


@pytest.fixture
def hq(client, svc):
    """Stores S001, S002 (north), S003 (south); campaign c1 for both regions, published."""
    client.send_json("PUT", "/stores", store_rows(("S001", "S002"), "north") + store_rows(("S003",), "south"))
    client.send_json("PUT", "/campaigns/c1", {**campaign_body(), "targets": {"regions": ["north", "south"]}})
    assert client.post("/campaigns/c1/publish").json_body["target_count"] == 3
    return client


@pytest.fixture
def photographer(svc):
    """Sends a store's photo through the analysis with the verdict given; returns its id."""
    sent = {}

    def send(store: str, verdict: str = "pass", sharpness: float = 150.0) -> str:
        processor = UploadProcessor(
            svc.records,
            svc.blobs,
            svc.campaigns,
            svc.settings,
            counters=svc.counters,
            analyse=lambda *_: Analysis(verdict, sharpness),
        )
        created = svc.submissions.create(_hq(), "c1", {"store_id": store, "content_type": "image/jpeg"})
        key = created["upload"]["fields"]["key"]
        svc.blobs.put(key, b"\xff\xd8photo", "image/jpeg")
        message = object_created_event("b", key, 10)
        processor.handle_message(message)
        sent[created["submission_id"]] = message
        return created["submission_id"]

    send.messages = sent
    return send


def _hq():
    from tests.support.helpers import hq_caller

    return hq_caller()


def drain(svc, verdict="pass", sharpness=150.0) -> list[str]:
    """Run the worker over the queue until it is empty (jobs and the photos they queue)."""
    processor = UploadProcessor(
        svc.records,
        svc.blobs,
        svc.campaigns,
        svc.settings,
        counters=svc.counters,
        analyse=lambda *_: Analysis(verdict, sharpness),
    )
    worker, outcomes = Worker(processor, svc.jobs), []
    for _ in range(50):
        messages = svc.queue.receive(max_messages=1)
        if not messages:
            return outcomes
        for message in messages:
            outcomes += worker.handle_message(message.body)
            svc.queue.ack(message)
    raise AssertionError("the queue did not drain")


def test_rates_by_campaign_region_and_rule(hq, photographer):
    photographer("S001", "pass")
    photographer("S003", "fail", sharpness=40.0)
    report = hq.get("/compliance/campaigns/c1").json_body
    overall = report["overall"]
    assert overall["targeted"] == 3 and overall["submitted"] == 2
    assert overall["states"] == {"missing": 1, "pass": 1, "fail": 1, "review": 0, "retake": 0}
    assert overall["compliance_rate"] == 0.5 and overall["submission_rate"] == 0.6667 and overall["on_time_rate"] == 0.6667
    assert overall["mean_score"] == 0.5
    regions = {r["region"]: r for r in report["regions"]}
    assert regions["north"]["states"]["pass"] == 1 and regions["north"]["states"]["missing"] == 1
    assert regions["south"]["compliance_rate"] == 0.0
    assert report["rules"] == [{"rule_id": "sharp", "statuses": {"pass": 1, "fail": 1}, "pass_rate": 0.5}]


def test_a_message_delivered_twice_counts_once(hq, svc, photographer):
    submission_id = photographer("S001", "pass")
    before = hq.get("/compliance/campaigns/c1").json_body
    processor = UploadProcessor(
        svc.records, svc.blobs, svc.campaigns, svc.settings, counters=svc.counters, analyse=lambda *_: Analysis("pass", 150.0)
    )
    assert processor.handle_message(photographer.messages[submission_id]) == ["duplicate"]
    svc.counters.record(svc.submissions.load(submission_id))
    assert hq.get("/compliance/campaigns/c1").json_body == before


def test_missing_stores_are_those_without_a_usable_photo(hq, photographer):
    photographer("S001", "pass")
    photographer("S003", "retake")
    missing = hq.get("/compliance/campaigns/c1/missing").json_body
    assert [(s["store_id"], s["state"]) for s in missing["stores"]] == [("S002", "missing"), ("S003", "retake")]
    assert missing["stores"][0]["past_deadline"] is False
    north = hq.get("/compliance/campaigns/c1/missing?region=north").json_body["stores"]
    assert [s["store_id"] for s in north] == ["S002"]
    first = hq.get("/compliance/campaigns/c1/missing?limit=1").json_body
    rest = hq.get(f"/compliance/campaigns/c1/missing?limit=1&cursor={first['cursor']}").json_body
    assert [s["store_id"] for s in first["stores"] + rest["stores"]] == ["S002", "S003"]
    for bad in ("9" * 5000 + ".", "x.", "7."):
        response = hq.get(f"/compliance/campaigns/c1/missing?cursor={bad}")
        assert response.status_code == 400 and response.json_body["error"]["code"] == "invalid_cursor", bad
    passed = hq.get("/compliance/campaigns/c1/stores?state=pass").json_body["stores"]
    assert [(s["store_id"], s["on_time"]) for s in passed] == [("S001", True)]


def test_a_retake_replaces_the_stores_outcome_and_a_review_overrules_the_model(hq, photographer):
    photographer("S003", "fail", sharpness=40.0)
    retake = photographer("S003", "pass")
    states = hq.get("/compliance/campaigns/c1").json_body["overall"]["states"]
    assert states["pass"] == 1 and states["fail"] == 0 and states["missing"] == 2
    reviewer = hq.as_("merchandiser", regions=("south",))
    assert reviewer.send_json("POST", f"/submissions/{retake}/review", {"decision": "reject"}).status_code == 200
    states = hq.get("/compliance/campaigns/c1").json_body["overall"]["states"]
    assert states["pass"] == 0 and states["fail"] == 1


def test_trends_by_week_and_a_stores_history(hq, photographer):
    photographer("S001", "pass")
    photographer("S003", "fail", sharpness=40.0)
    trends = hq.get("/compliance/trends").json_body
    assert [w["week"] for w in trends["weeks"]] == ["2026-W44"]  # the week of the campaign's start, 2026-11-01
    assert trends["weeks"][0]["compliance_rate"] == 0.5
    south = hq.get("/compliance/trends?region=south&from=2026-10-01&to=2026-12-31").json_body
    assert south["weeks"][0]["states"]["fail"] == 1
    assert hq.get("/compliance/trends?from=2027-01-01").json_body["weeks"] == []
    assert hq.get("/compliance/trends?from=yesterday").status_code == 400
    history = hq.get("/compliance/stores/S001").json_body
    assert [(c["campaign_id"], c["state"]) for c in history["campaigns"]] == [("c1", "pass")]
    assert history["total"]["compliance_rate"] == 1.0


def test_reviewers_labels_give_agreement_per_rule(hq, photographer):
    ids = [photographer("S001", "fail", sharpness=90.0), photographer("S003", "fail", sharpness=40.0)]
    north = hq.as_("merchandiser", regions=("north",))
    north.send_json("POST", f"/submissions/{ids[0]}/overrides", {"rule_id": "sharp", "status": "pass"})
    hq.send_json("POST", f"/submissions/{ids[1]}/review", {"decision": "reject"})
    [rule] = hq.get("/compliance/agreement?campaign_id=c1").json_body["rules"]
    assert rule["rule_id"] == "sharp" and rule["labelled"] == 2 and rule["overridden"] == 1 and rule["override_rate"] == 0.5
    assert rule["precision"] == 0.5 and rule["recall"] == 1.0
    assert rule["threshold"]["suggested"] is None and str(MIN_LABELS) in rule["threshold"]["reason"]
    assert hq.get("/compliance/agreement").json_body["rules"][0]["labelled"] == 2


def test_a_threshold_is_suggested_from_enough_labels():
    # Reviewers pass sharpness from 60 up; the rule asks for 100.
    histogram = {value: {"pass" if value >= 60 else "fail": 3} for value in (20, 40, 50, 60, 70, 90, 120, 150)}
    suggestion = suggest_threshold(histogram, {"min": 100.0})
    assert suggestion["suggested"] == 60 and suggestion["agreement_at_suggested"] == 1.0
    assert suggestion["agreement_at_current"] == 0.625  # 60, 70 and 90 are failed by the current bound
    assert suggest_threshold(histogram, {"min": 1.0, "max": 2.0})["suggested"] is None
    # The same through the counters an outcome adds.
    outcome = {
        "state": "fail",
        "on_time": True,
        "score": 0.0,
        "rules": {"sharp": "pass"},
        "labels": {"sharp": {"model": "fail", "reviewer": "pass", "overridden": True, "bin": "70"}},
    }
    counts = counters(outcome)
    assert counts["override:sharp"] == 1 and counts["hist:sharp:70:pass"] == 1
    [rule] = agreement_of(counts, {"sharp": {"min": 100.0}})
    assert rule["precision"] == 0.0 and rule["recall"] is None


def test_a_rerun_judges_the_campaigns_photos_by_the_new_guideline(hq, svc, photographer):
    first = photographer("S001", "fail", sharpness=80.0)
    new_rules = campaign_body()
    new_rules["guideline"]["rules"][0]["parameters"]["min"] = 50
    hq.send_json("PUT", "/campaigns/c1", {**new_rules, "targets": {"regions": ["north", "south"]}})
    started = hq.post("/campaigns/c1/rerun")
    assert started.status_code == 202 and started.json_body["guideline_version"] == 2
    # (On the emulator the bucket also announced the original upload: a duplicate by now.)
    outcomes = [o for o in drain(svc, verdict="pass", sharpness=80.0) if o != "duplicate"]
    assert outcomes == ["rerun: 1 photo(s) queued", "done"]
    again = hq.get(f"/submissions/{first}").json_body
    assert again["guideline_version"] == 2 and again["result"]["verdict"] == "pass"
    assert hq.get("/compliance/campaigns/c1").json_body["overall"]["states"]["pass"] == 1
    assert drain(svc) == []  # nothing left; a second re-run would find every photo at version 2


def test_exports_of_results_and_labels(hq, svc, photographer):
    ids = [photographer("S001", "pass"), photographer("S003", "fail", sharpness=40.0)]
    # A reviewer whose name a spreadsheet would run as a formula.
    hostile = hq.as_("hq", username='=HYPERLINK("http://x","y")')
    hostile.send_json("POST", f"/submissions/{ids[1]}/overrides", {"rule_id": "sharp", "status": "pass"})
    started = [hq.send_json("POST", "/exports", {"kind": kind, "campaign_id": "c1"}).json_body for kind in ("results", "labels")]
    assert hq.get(f"/exports/{started[0]['export_id']}").json_body["status"] == "queued"
    drain(svc)
    results, labels = (hq.get(f"/exports/{s['export_id']}").json_body for s in started)
    assert results["status"] == "done" and results["rows"] == 2 and results["download"]
    rows = list(csv.DictReader(io.StringIO(svc.blobs.get(layout.export_blob_key(results["export_id"])).decode())))
    assert {r["store_id"]: r["verdict"] for r in rows} == {"S001": "pass", "S003": "fail"}
    [label] = csv.DictReader(io.StringIO(svc.blobs.get(layout.export_blob_key(labels["export_id"])).decode()))
    assert (
        label["photo_key"] == layout.upload_key(ids[1]) and label["model_status"] == "fail" and label["reviewer_status"] == "pass"
    )
    assert label["labelled_by"] == '\'=HYPERLINK("http://x","y")', "a text cell that starts a formula is shown as text"
    assert hq.send_json("POST", "/exports", {"kind": "everything", "campaign_id": "c1"}).status_code == 400
    assert hq.get("/exports/exp_nope").status_code == 404

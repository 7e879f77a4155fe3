"""Merchandisers' review through the API, on both backends: the gallery, decisions with who and
when, rule overrides kept as labels (model said X, reviewer said Y), comments and the history."""

import json

import pytest

from chalicelib.analyzer.processing import UploadProcessor
from chalicelib.storage import layout
from chalicelib.storage.notifications import object_created_event
from tests.support.helpers import hq_caller, publish_campaign, settle_notices

JSON = {"Content-Type": "application/json"}


class FixedAnalysis:
    result = {
        "verdict": "fail",
        "score": 0.5,
        "rules": [
            {"id": "sharp", "type": "photo_quality", "status": "pass", "value": 35.0},
            {"id": "poster", "type": "artwork_present", "status": "fail", "value": 0.0},
        ],
    }
    normalised_jpeg = thumbnail_jpeg = overlay_jpeg = b"\xff\xd8jpeg"


@pytest.fixture
def analysed(svc, client):
    """Three analysed submissions of one campaign: their ids, oldest first."""
    publish_campaign(client, "c1", stores=("S001", "S002", "S003"))
    processor = UploadProcessor(
        svc.records,
        svc.blobs,
        svc.campaigns,
        svc.settings,
        analyse=lambda *_: FixedAnalysis(),
        events=svc.events,
        counters=svc.counters,
    )
    ids = []
    for store in ("S001", "S002", "S003"):
        created = svc.submissions.create(hq_caller(), "c1", {"store_id": store, "content_type": "image/jpeg"})
        key = created["upload"]["fields"]["key"]
        svc.blobs.put(key, b"\xff\xd8photo", "image/jpeg")
        processor.handle_message(object_created_event("b", key, 10))
        ids.append(created["submission_id"])
    return ids


def post(client, path, body):
    return client.http.post(path, headers=JSON, body=json.dumps(body))


@pytest.fixture
def giulia(client):
    """A merchandiser of the campaign's region."""
    return client.as_("merchandiser", regions=("north",), username="giulia")


def test_the_gallery_lists_newest_first_with_cursor_pages(client, analysed):
    first = client.http.get("/campaigns/c1/submissions?limit=2").json_body
    assert [c["submission_id"] for c in first["submissions"]] == analysed[::-1][:2]
    card = first["submissions"][0]
    assert card["verdict"] == "fail" and card["failed_rules"] == ["poster"] and card["review_status"] == "pending"
    assert card["thumbnail"]
    rest = client.http.get(f"/campaigns/c1/submissions?limit=2&cursor={first['cursor']}").json_body
    assert [c["submission_id"] for c in rest["submissions"]] == [analysed[0]]
    assert client.http.get("/campaigns/nope/submissions").status_code == 404


def test_a_decision_is_kept_with_who_and_when(client, giulia, analysed):
    sid = analysed[0]
    response = post(giulia, f"/submissions/{sid}/review", {"decision": "reject", "comment": "Poster missing."})
    assert response.status_code == 200
    state = client.http.get(f"/submissions/{sid}").json_body["review"]
    assert state["state"] == "rejected" and state["by"] == "giulia" and state["at"] and state["comment"] == "Poster missing."
    assert post(giulia, f"/submissions/{sid}/review", {"decision": "maybe"}).status_code == 400


def test_an_override_is_a_label_model_said_reviewer_said(client, analysed):
    sid = analysed[1]
    response = post(
        client,
        f"/submissions/{sid}/overrides",
        {"rule_id": "poster", "status": "pass", "comment": "The poster is there, behind glare."},
    )
    assert response.status_code == 201
    overrides = client.http.get(f"/submissions/{sid}").json_body["overrides"]
    assert overrides["poster"]["model"] == "fail" and overrides["poster"]["reviewer"] == "pass"
    unknown = post(client, f"/submissions/{sid}/overrides", {"rule_id": "nope", "status": "pass"})
    assert unknown.status_code == 400 and "poster" in unknown.json_body["error"]["message"]


def test_comments_and_history(client, giulia, analysed):
    sid = analysed[2]
    post(client, f"/submissions/{sid}/comments", {"text": "We fixed the poster."})
    post(giulia, f"/submissions/{sid}/review", {"decision": "approve"})
    events = client.http.get(f"/submissions/{sid}/history").json_body["events"]
    assert [e["action"] for e in events] == ["comment", "review:approve"]
    assert events[0]["text"] == "We fixed the poster." and events[1]["by"] == "giulia"
    assert post(client, f"/submissions/{sid}/comments", {"text": ""}).status_code == 400


def test_a_photo_still_being_analysed_cannot_be_decided(client, svc):
    publish_campaign(client, "c2")
    created = svc.submissions.create(hq_caller(), "c2", {"store_id": "S001", "content_type": "image/jpeg"})
    response = post(client, f"/submissions/{created['submission_id']}/review", {"decision": "approve"})
    assert response.status_code == 409


def test_a_featured_window_is_in_the_showcase_until_unfeatured(client, analysed):
    sid = analysed[0]
    assert post(client, f"/submissions/{sid}/feature", {}).status_code == 200
    windows = client.http.get("/showcase").json_body["windows"]
    assert [w["submission_id"] for w in windows] == [sid] and windows[0]["image"] and windows[0]["store_id"] == "S001"
    assert client.http.get(f"/submissions/{sid}").json_body["featured"] is True
    post(client, f"/submissions/{sid}/feature", {"featured": False})
    assert client.http.get("/showcase").json_body["windows"] == []


def test_a_featured_window_that_is_then_rejected_leaves_the_showcase(client, analysed):
    sid = analysed[1]
    assert post(client, f"/submissions/{sid}/feature", {}).status_code == 200
    assert post(client, f"/submissions/{sid}/review", {"decision": "reject", "comment": "Wrong poster."}).status_code == 200
    assert client.http.get("/showcase").json_body["windows"] == []
    assert client.http.get(f"/submissions/{sid}").json_body["featured"] is False
    actions = [e["action"] for e in client.http.get(f"/submissions/{sid}/history").json_body["events"]]
    assert actions == ["feature", "review:reject", "unfeature"]


def test_a_retake_is_a_new_submission_linked_to_the_old_one(client, analysed):
    old = analysed[0]
    response = client.http.post(f"/submissions/{old}/retake", headers=JSON, body="")
    assert response.status_code == 201
    new = response.json_body["submission_id"]
    assert response.json_body["upload"]["fields"]["key"] == layout.upload_key(new)
    assert client.http.get(f"/submissions/{old}").json_body["retaken_by"] == new
    assert client.http.get(f"/submissions/{new}").json_body["previous_submission_id"] == old


def test_the_store_is_told_of_the_analysis_and_the_decision(svc, client, analysed, backend):
    post(client, f"/submissions/{analysed[1]}/review", {"decision": "retake", "comment": "Straighten the poster."})
    settle_notices(svc)  # the decision's message waits out the window (tests/api/test_review_notices.py)
    response = client.http.get("/notifications?store_id=S002")
    if backend == "aws":  # there the events go to the SNS topic (see tests/contract/test_events.py)
        assert response.status_code == 404
        return
    events = response.json_body["notifications"]
    assert [e["type"] for e in events] == ["review.decided", "analysis.finished"]
    assert events[0]["payload"]["decision"] == "retake" and events[0]["payload"]["comment"] == "Straighten the poster."
    assert events[1]["payload"]["verdict"] == "fail"


def test_the_gallery_by_store_filters_on_the_server_over_every_page(client, giulia, analysed):
    """One tile per store, its latest finished photo; the state, region and store filters are
    index and key queries, and the cursor walks every state."""
    svc_first = client.http.get("/campaigns/c1/windows?limit=2").json_body
    tiles = svc_first["windows"]
    rest = client.http.get(f"/campaigns/c1/windows?limit=2&cursor={svc_first['cursor']}").json_body["windows"]
    every = tiles + rest
    assert sorted(t["store_id"] for t in every) == ["S001", "S002", "S003"]
    assert {t["state"] for t in every} == {"fail"} and all(t["thumbnail"] and t["failed_rules"] == ["poster"] for t in every)
    assert {t["submission_id"] for t in every} == set(analysed)
    # A decision moves the store to another state; the filter follows it, over all pages.
    assert post(giulia, f"/submissions/{analysed[1]}/review", {"decision": "approve"}).status_code == 200
    passed = client.http.get("/campaigns/c1/windows?state=pass").json_body["windows"]
    assert [t["store_id"] for t in passed] == ["S002"]
    assert [t["store_id"] for t in client.http.get("/campaigns/c1/windows").json_body["windows"]] == ["S001", "S003", "S002"]
    assert [t["store_id"] for t in client.http.get("/campaigns/c1/windows?store_id=S003").json_body["windows"]] == ["S003"]
    assert client.http.get("/campaigns/c1/windows?store_id=S003&state=pass").json_body["windows"] == []
    # A merchandiser: its own region only.
    assert len(giulia.http.get("/campaigns/c1/windows").json_body["windows"]) == 3
    assert giulia.http.get("/campaigns/c1/windows?region=south").status_code == 403
    assert client.http.get("/campaigns/c1/windows?state=lost").status_code == 400


def test_a_rejected_value_is_echoed_back_short(client):
    # 1,000 ids are too many for one bulk decision: the error says so without repeating the whole list.
    ids = [f"sub_x{i}" for i in range(1000)]
    response = post(client, "/reviews", {"submission_ids": ids, "decision": "approve"})
    assert response.status_code == 400
    message = response.json_body["error"]["message"]
    assert message.startswith("submission_ids: ") and "sub_x0" in message and len(message) < 300

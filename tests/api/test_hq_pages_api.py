"""The routes HQ's pages add on both backends: the hardest rules (spread of pass rates across
regions, from the counters), reminders to the stores still owing a photo (an event each, and the
time kept on the store's outcome), and the guideline editor's YAML check with each problem's line."""

from __future__ import annotations

import pytest

from chalicelib.core.guideline import QUALITY_DEFAULTS
from tests.api.test_compliance import hq, photographer  # noqa: F401 (fixtures)


def test_the_rules_are_ordered_by_how_much_regions_differ(hq, photographer):  # noqa: F811
    photographer("S001", "pass")
    photographer("S002", "fail", sharpness=40.0)
    photographer("S003", "pass")
    body = hq.get("/compliance/campaigns/c1/rules").json_body
    [sharp] = body["rules"]
    assert sharp["rule_id"] == "sharp" and sharp["judged"] == 3 and sharp["failed"] == 1
    assert {r["region"]: r["pass_rate"] for r in sharp["regions"]} == {"north": 0.5, "south": 1.0}
    assert sharp["region_spread"] == 0.5 and sharp["lowest"] == 0.5 and sharp["highest"] == 1.0
    assert sharp["store_spread"] == pytest.approx((2 / 3 * 1 / 3) ** 0.5, abs=1e-3)
    assert hq.get("/compliance/campaigns/nope/rules").status_code == 404
    # A merchandiser's spread is its regions' only.
    [north] = hq.as_("merchandiser", regions=("north",)).get("/compliance/campaigns/c1/rules").json_body["rules"]
    assert [r["region"] for r in north["regions"]] == ["north"] and north["pass_rate"] == 0.5 and north["judged"] == 2


def test_reminders_reach_the_missing_stores_once_each_and_show_when(hq, photographer, svc):  # noqa: F811
    photographer("S001", "pass")
    answer = hq.send_json("POST", "/compliance/campaigns/c1/reminders", {"store_ids": ["S001", "S002", "S002", "S999"]})
    assert answer.status_code == 200, answer.body
    body = answer.json_body
    assert [s["store_id"] for s in body["sent"]] == ["S002"]
    assert body["skipped"] == [{"store_id": "S001", "reason": "has_photo"}, {"store_id": "S999", "reason": "not_targeted"}]
    missing = {s["store_id"]: s for s in hq.get("/compliance/campaigns/c1/missing").json_body["stores"]}
    assert missing["S002"]["reminded_at"] == body["sent"][0]["reminded_at"]
    assert missing["S003"]["reminded_at"] is None
    if svc.settings.backend == "local":
        events = hq.get("/notifications?store_id=S002").json_body["notifications"]
        assert events[0]["type"] == "reminder.sent" and events[0]["payload"]["campaign_id"] == "c1"
    # The target's version moved: the store's next photo still counts, and the reminder time stays.
    photographer("S002", "fail", sharpness=40.0)
    stores = {s["store_id"]: s for s in hq.get("/compliance/campaigns/c1/stores").json_body["stores"]}
    assert stores["S002"]["state"] == "fail" and stores["S002"]["reminded_at"] == body["sent"][0]["reminded_at"]
    assert hq.get("/compliance/campaigns/c1").json_body["overall"]["states"]["fail"] == 1
    assert hq.send_json("POST", "/compliance/campaigns/c1/reminders", {"store_ids": []}).status_code == 400
    assert (
        hq.as_("merchandiser", regions=("north",))
        .send_json("POST", "/compliance/campaigns/c1/reminders", {"store_ids": ["S002"]})
        .status_code
        == 403
    )


def test_a_draft_campaigns_stores_are_not_reminded(hq):  # noqa: F811
    from tests.support.helpers import campaign_body

    hq.send_json("PUT", "/campaigns/d1", campaign_body(("S001",)))
    answer = hq.send_json("POST", "/compliance/campaigns/d1/reminders", {"store_ids": ["S001"]})
    assert answer.status_code == 409 and answer.json_body["error"]["code"] == "campaign_draft"


GOOD = """version: 1
name: Autumn
rules:
  - id: sharp
    type: photo_quality
    message: The photo is blurry.
    parameters: {check: sharpness}
"""


def test_the_guideline_check_points_at_the_line(client):
    good = client.send_json("POST", "/guidelines/check", {"yaml": GOOD}).json_body
    # The answer writes the defaults out.
    assert good["valid"] and good["guideline"]["rules"][0]["parameters"]["min"] == QUALITY_DEFAULTS["sharpness"]["min"]
    bad = GOOD.replace("{check: sharpness}", "\n      check: sharpness\n      min: -5")
    answer = client.send_json("POST", "/guidelines/check", {"yaml": bad}).json_body
    assert not answer["valid"] and answer["problems"][0]["path"] == "rules[0].parameters.min"
    assert answer["problems"][0]["line"] == 9
    unknown = client.send_json("POST", "/guidelines/check", {"yaml": GOOD.replace("photo_quality", "hologram")}).json_body
    assert unknown["problems"][0]["line"] == 5 and "unknown rule type" in unknown["problems"][0]["message"]
    broken = client.send_json("POST", "/guidelines/check", {"yaml": "rules:\n  - id: [a\n"}).json_body
    assert not broken["valid"] and broken["problems"][0]["message"].startswith("not valid YAML") and broken["problems"][0]["line"]
    assert client.send_json("POST", "/guidelines/check", {"text": GOOD}).status_code == 400
    assert (
        client.as_("merchandiser", regions=("north",)).send_json("POST", "/guidelines/check", {"yaml": GOOD}).status_code == 403
    )


def test_the_hq_pages_are_served(client):
    for path, title in (("/hq", "hq.js"), ("/hq/stores", "stores.js"), ("/hq/campaigns/autumn", "campaign.js")):
        page = client.anonymous().get(path)
        assert page.status_code == 200 and title in page.body.decode()


def test_scheduled_reminders_go_once_per_campaign_and_deadline(hq, photographer, svc):  # noqa: F811
    from datetime import datetime, timedelta

    from chalicelib.storage import layout

    photographer("S001", "pass")
    assert svc.reminders.remind_due(24) == {"sent": 0}  # the deadline is years away
    deadline = datetime.fromisoformat(svc.records.get(*layout.target_key("c1", "S002"))["deadline_at"])
    soon = deadline - timedelta(hours=2)
    assert svc.reminders.remind_due(24, now=soon) == {"sent": 2}  # S002 and S003: S001 has its photo
    assert svc.reminders.remind_due(24, now=soon + timedelta(hours=1)) == {"sent": 0}  # once per deadline
    assert svc.reminders.remind_due(24, now=deadline + timedelta(hours=1)) == {"sent": 0}  # past it: HQ decides
    missing = {s["store_id"]: s for s in hq.get("/compliance/campaigns/c1/missing").json_body["stores"]}
    assert missing["S002"]["reminded_at"] and missing["S003"]["reminded_at"]
    if svc.settings.backend == "local":
        [event] = hq.get("/notifications?store_id=S003").json_body["notifications"]
        assert event["type"] == "reminder.sent" and event["payload"]["by"] == "automatic"


def test_the_local_timer_runs_the_scheduled_reminders():
    import threading

    from chalicelib.local.worker import ReminderTimer

    ran = threading.Event()
    timer = ReminderTimer(lambda lead: ran.set() if lead == 6 else None, lead_hours=6, every_s=0.05)
    timer.start()
    try:
        assert ran.wait(5)
    finally:
        timer.stop()
    off = ReminderTimer(lambda lead: ran.set(), lead_hours=0, every_s=0.01)
    off.start()
    assert off._thread is None


def test_the_scheduled_reminders_are_a_job_on_the_queue(hq, svc):  # noqa: F811
    """In AWS an EventBridge rule queues {"job": "reminders"} hourly; the worker runs it."""
    assert svc.jobs.handle('{"job": "reminders", "lead_hours": 24}') == "reminders: 0 sent"

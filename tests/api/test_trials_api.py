"""Trying a test photo against a draft guideline (HQ's campaign set-up): an upload link to the
trials prefix, a job on the analysis queue that the worker runs with the draft and the campaign's
pack, the verdict and the overlay on the trial; never a submission, never counted. Bad input is a
4xx in words."""

from __future__ import annotations

import dataclasses
import json
import time

import pytest
from urllib3 import encode_multipart_formdata

from chalicelib.analyzer.processing import UploadProcessor
from chalicelib.analyzer.trials import TrialRunner
from chalicelib.analyzer.worker import Worker
from chalicelib.services.trials import Trials
from chalicelib.storage import layout
from tests.api.test_compliance import Analysis, hq  # noqa: F401 (fixtures)
from tests.support.helpers import quality_guideline


def run_queue(svc, analyse) -> list[str]:
    """The worker over the queue until it is empty, judging photos with ``analyse``."""
    processor = UploadProcessor(svc.records, svc.blobs, svc.campaigns, svc.settings, analyse=analyse)
    worker = Worker(processor, svc.jobs, TrialRunner(svc.records, svc.blobs, svc.campaigns, svc.settings, analyse=analyse))
    outcomes = []
    for _ in range(20):
        messages = svc.queue.receive(max_messages=1)
        if not messages:
            return outcomes
        for message in messages:
            outcomes += worker.handle_message(message.body)
            svc.queue.ack(message)
    raise AssertionError("the queue did not drain")


def draft(min_sharpness: float = 30.0) -> dict:
    guideline = quality_guideline()
    guideline["rules"][0]["parameters"]["min"] = min_sharpness
    return guideline


def start(client, campaign_id: str = "c1", **body):
    return client.send_json(
        "POST", f"/campaigns/{campaign_id}/trials", {"guideline": draft(), "content_type": "image/jpeg", **body}
    )


def test_a_test_photo_is_judged_by_the_draft_and_never_counted(hq, svc):  # noqa: F811
    before = hq.get("/compliance/campaigns/c1").json_body
    answer = start(hq)
    assert answer.status_code == 201, answer.body
    trial = answer.json_body
    key = trial["upload"]["fields"]["key"]
    assert key.startswith(layout.TRIAL_PREFIX) and trial["max_bytes"] == svc.settings.max_upload_bytes
    path = f"/campaigns/c1/trials/{trial['trial_id']}"
    # Asked to run before the photo arrived: a 409 that says what to do.
    early = hq.post(path + "/run")
    assert early.status_code == 409 and "upload it" in early.json_body["error"]["message"]
    svc.blobs.put(key, b"\xff\xd8test photo", "image/jpeg")
    assert hq.get(path).json_body["status"] == "awaiting_upload"
    ran = hq.post(path + "/run")
    assert ran.status_code == 202 and ran.json_body["status"] == "queued"
    assert hq.post(path + "/run").json_body["status"] == "queued"  # asked twice: still one job
    seen = []

    def analyse(photo, guideline, pack):
        seen.append((photo, guideline.rules[0].parameters.min, pack.names()))
        return Analysis("fail", 25.0)

    assert run_queue(svc, analyse) == ["trial: done"]
    assert seen == [(b"\xff\xd8test photo", 30.0, ())]  # the draft's threshold, not the published one
    done = hq.get(path).json_body
    assert done["status"] == "done" and done["result"]["verdict"] == "fail"
    assert done["result"]["rules"][0]["id"] == "sharp" and done["overlay"]
    assert svc.blobs.exists(layout.trial_blob_key(trial["trial_id"], "overlay.jpg"))
    # Not a submission: HQ's numbers and the campaign's photos are as they were.
    assert hq.get("/compliance/campaigns/c1").json_body == before
    assert svc.records.query(layout.campaign_submissions_partition("c1"), index="gsi1", limit=10).items == []
    # A duplicate message finds the trial finished and does nothing.
    svc.queue.send(json.dumps({"job": "trial", "trial_id": trial["trial_id"]}))
    assert run_queue(svc, analyse) == ["trial: nothing to do"]


def test_a_file_that_is_no_photo_is_rejected_in_words(hq, svc):  # noqa: F811
    from chalicelib.vision.intake import IntakeRejected

    trial = start(hq).json_body
    svc.blobs.put(trial["upload"]["fields"]["key"], b"%PDF-1.4", "image/jpeg")
    hq.post(f"/campaigns/c1/trials/{trial['trial_id']}/run")

    def analyse(*_):
        raise IntakeRejected("not_an_image", "This file is not a photo: send a JPEG, PNG or WebP image.")

    assert run_queue(svc, analyse) == ["trial: rejected"]
    body = hq.get(f"/campaigns/c1/trials/{trial['trial_id']}").json_body
    assert body["status"] == "rejected" and body["reason_code"] == "not_an_image" and "not a photo" in body["reason"]


def test_an_analysis_that_keeps_failing_ends_the_trial_as_failed(hq, svc):  # noqa: F811
    trial = start(hq).json_body
    svc.blobs.put(trial["upload"]["fields"]["key"], b"\xff\xd8", "image/jpeg")
    hq.post(f"/campaigns/c1/trials/{trial['trial_id']}/run")
    runner = TrialRunner(svc.records, svc.blobs, svc.campaigns, svc.settings, analyse=lambda *_: 1 / 0)
    for _ in range(svc.settings.max_attempts - 1):
        with pytest.raises(ZeroDivisionError):  # the queue retries it
            runner.run(trial["trial_id"])
    assert runner.run(trial["trial_id"]) == "trial: failed"
    body = hq.get(f"/campaigns/c1/trials/{trial['trial_id']}").json_body
    assert body["status"] == "failed" and "try again" in body["reason"]


def test_bad_trials_are_refused_in_words(hq, svc):  # noqa: F811
    def refused(answer, status, code):
        assert answer.status_code == status, answer.body
        error = answer.json_body["error"]
        assert error["code"] == code and len(error["message"]) > 20
        return error["message"]

    assert "JPEG, PNG or WebP" in refused(start(hq, content_type="application/pdf"), 400, "unsupported_type")
    refused(start(hq, campaign_id="nope"), 404, "campaign_not_found")
    bad = draft()
    bad["rules"][0]["parameters"]["min"] = -3
    assert "rules[0]" in refused(start(hq, guideline=bad), 400, "invalid_guideline")
    poster = draft()
    poster["rules"].append(
        {"id": "poster", "type": "artwork_present", "message": "The poster is missing.", "parameters": {"artwork": "p.png"}}
    )
    assert "p.png" in refused(start(hq, guideline=poster), 422, "pack_incomplete")
    refused(hq.get("/campaigns/c1/trials/trl_nope"), 404, "trial_not_found")
    other = start(hq).json_body["trial_id"]
    hq.send_json("PUT", "/campaigns/c2", _campaign())
    refused(hq.get(f"/campaigns/c2/trials/{other}"), 404, "trial_not_found")  # a trial is its campaign's only
    assert start(hq.as_("merchandiser", regions=("north",))).status_code == 403
    assert start(hq.as_("store", stores=("S001",))).status_code == 403


def test_the_trial_link_refuses_a_file_over_the_limit(svc):
    if svc.settings.backend != "local":
        pytest.skip("S3 enforces the POST policy's content-length-range itself")
    from chalicelib.storage.local_blobs import UploadError

    svc.campaigns.put("c9", {**_campaign(), "guideline": draft()})
    small = Trials(svc.records, svc.blobs, svc.campaigns, svc.queue, dataclasses.replace(svc.settings, max_upload_bytes=1000))
    trial = small.start("hq", "c9", {"guideline": draft(), "content_type": "image/jpeg"})
    body, content_type = encode_multipart_formdata([*trial["upload"]["fields"].items(), ("file", ("t.jpg", b"x" * 2000))])
    with pytest.raises(UploadError) as refused:
        svc.blobs.accept_upload(content_type, body)
    assert refused.value.status == 400 and refused.value.code == "file_too_large"


def _campaign() -> dict:
    from tests.support.helpers import campaign_body

    return campaign_body(("S001",))


def test_a_trial_whose_job_died_on_every_attempt_ends_failed(hq, svc):  # noqa: F811
    trial = start(hq).json_body
    svc.blobs.put(trial["upload"]["fields"]["key"], b"\xff\xd8", "image/jpeg")
    hq.post(f"/campaigns/c1/trials/{trial['trial_id']}/run")
    letter = json.dumps({"job": "trial", "trial_id": trial["trial_id"]})
    assert svc.recovery.dead_letter(letter) == ["failed"]
    body = hq.get(f"/campaigns/c1/trials/{trial['trial_id']}").json_body
    assert body["status"] == "failed" and body["reason_code"] == "analysis_stopped" and "try again" in body["reason"]
    assert svc.recovery.dead_letter(letter) == ["final"]  # a repeated letter changes nothing
    assert svc.recovery.dead_letter(json.dumps({"job": "trial", "trial_id": "trl_gone"})) == ["final"]


def test_a_trial_record_expires_with_its_blobs_a_day_on(hq, svc):  # noqa: F811
    trial = start(hq).json_body
    record = svc.records.get(*layout.trial_key(trial["trial_id"]))
    lifetime = record[layout.TTL_ATTRIBUTE] - time.time()
    assert layout.TRIAL_RETENTION_DAYS * 86400 - 60 < lifetime <= layout.TRIAL_RETENTION_DAYS * 86400
    # past its time to live the record reads as absent, and the trial answers 404 in words
    svc.records.update(*layout.trial_key(trial["trial_id"]), set={layout.TTL_ATTRIBUTE: int(time.time()) - 1})
    gone = hq.get(f"/campaigns/c1/trials/{trial['trial_id']}")
    assert gone.status_code == 404 and gone.json_body["error"]["code"] == "trial_not_found"

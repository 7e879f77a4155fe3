"""Fault injection on both backends (the AWS variants are e2e): a worker killed at each step of the
processing, the queue and the record store failing on the nth call, notifications duplicated and
reordered, redelivery after the lease, the analysis dying on every attempt (the dead-letter
queue). After each, every accepted upload is final, its judged bytes match the recorded sha256,
and HQ's counters equal a recount (harness.assert_invariants)."""

from __future__ import annotations

import json
import random

import pytest

from chalicelib.storage import layout
from chalicelib.storage.notifications import object_created_event
from tests.reliability.harness import (
    Faulty,
    Killed,
    assert_invariants,
    drain,
    nth_call,
    processor,
    seeded,
    upload,
)

LEASE = 0.5
# Fault injection waits out leases and timeouts: the suite runs in `make test` (e2e); the quick loop
# keeps the dead-letter, live-lease and worker cases.
MORE = pytest.mark.e2e


def photos(svc, campaign_id, n=3):
    """n uploads; the first store sends twice (the newer photo is the one that counts)."""
    stores = ["S001", "S002", "S003", "S001"][:n]
    return [upload(svc, campaign_id, store, f"photo {i} ".encode() * (50 + i)) for i, store in enumerate(stores)]


def notify(svc, keys):
    for key in keys:
        svc.queue.send(object_created_event(svc.settings.bucket or "local", key, 0))


def run_faulty_once(svc, handle) -> None:
    """One delivery to a worker that dies or fails; the message is not acknowledged."""
    for message in svc.queue.receive(max_messages=1):
        try:
            handle(message.body)
        except (Killed, Exception):
            pass


def _kill_after_claim(svc):
    def dying(photo, guideline, pack):
        raise Killed("after claim")

    return processor(svc, analyse=dying, lease_seconds=LEASE)


def _kill_after_derived_images(svc):
    def after(name, args, kwargs):
        if name == "put" and str(args[0]).endswith("overlay.jpg"):
            raise Killed("after derived images")

    return processor(svc, blobs=Faulty(svc.blobs, after=after), lease_seconds=LEASE)


def _kill_before_result_write(svc):
    def fault(name, args, kwargs):
        if name == "update" and (kwargs.get("set") or {}).get("status") in ("done", "rejected"):
            raise Killed("before the result write")

    return processor(svc, records=Faulty(svc.records, fault), lease_seconds=LEASE)


def _kill_before_counters(svc):
    return processor(
        svc, counters=Faulty(svc.counters, nth_call(1, ("record",), Killed("before the counters"))), lease_seconds=LEASE
    )


KILLS = {
    "after_claim": _kill_after_claim,
    "after_derived_images": _kill_after_derived_images,
    "before_result_write": _kill_before_result_write,
    "before_counters": _kill_before_counters,
}


@MORE
@pytest.mark.parametrize("step", KILLS)
def test_a_worker_killed_at_each_step_is_recovered(fast, step):
    svc = fast
    campaign = seeded(svc)
    uploads = photos(svc, campaign)
    notify(svc, [key for _, key in uploads])
    run_faulty_once(svc, KILLS[step](svc).handle_message)
    drain(svc, processor(svc, lease_seconds=LEASE).handle_message)
    assert_invariants(svc, campaign, [sid for sid, _ in uploads])


@MORE
def test_killed_on_every_attempt_ends_as_error_through_the_dead_letters(fast):
    svc = fast
    campaign = seeded(svc)
    [(submission_id, key)] = photos(svc, campaign, n=1)
    notify(svc, [key])
    events_before = _finished_events(svc, submission_id)
    drain(svc, _kill_after_claim(svc).handle_message, timeout=20)
    item = svc.submissions.load(submission_id)
    assert item["status"] == "error" and item["reason_code"] == "analysis_stopped" and item["reason"]
    assert_invariants(svc, campaign, [submission_id])
    assert svc.records.get(*layout.target_key(campaign, "S001"))["state"] == "retake"
    # told once, counted once: a second dead letter of the same photo changes nothing
    assert svc.recovery.dead_letter(object_created_event("b", key, 0)) == ["final"]
    if events_before is not None:  # the local outbox: told once (in AWS the events leave through SNS)
        assert _finished_events(svc, submission_id) == events_before + 1
    assert_invariants(svc, campaign, [submission_id])


def _finished_events(svc, submission_id):
    """How many analysis.finished events the local outbox holds for the photo (None in AWS: SNS)."""
    from chalicelib.storage.outbox_events import OutboxPublisher

    if not isinstance(svc.events, OutboxPublisher):
        return None
    page = svc.events.recent(limit=200)
    return sum(1 for e in page.items if e["type"] == "analysis.finished" and e["payload"]["submission_id"] == submission_id)


def test_a_dead_letter_waits_for_a_live_lease(fast):
    from chalicelib.services.recovery import StillAnalysing

    svc = fast
    campaign = seeded(svc)
    [(submission_id, key)] = photos(svc, campaign, n=1)
    import time

    svc.records.update(
        *layout.submission_key(submission_id), set={"status": "analyzing", "lease_token": "live", "lease_until": time.time() + 60}
    )
    with pytest.raises(StillAnalysing):
        svc.recovery.dead_letter(object_created_event("b", key, 0))
    assert svc.submissions.load(submission_id)["status"] == "analyzing"


def test_a_dead_export_job_ends_its_export_as_failed(fast):
    from tests.support.helpers import hq_caller

    svc = fast
    campaign = seeded(svc)
    started = svc.jobs.start_export(hq_caller(), {"kind": "results", "campaign_id": campaign})
    body = json.dumps({"job": "export", "export_id": started["export_id"]})
    assert svc.recovery.dead_letter(body) == ["failed"]
    export = svc.jobs.export(started["export_id"])
    assert export["status"] == "failed" and "start it again" in export["reason"] and export["finished_at"]
    assert svc.recovery.dead_letter(body) == ["final"]  # a repeated dead letter changes nothing
    assert svc.recovery.dead_letter('{"job": "rerun", "campaign_id": "x"}') == ["ignored"]


@MORE
@pytest.mark.parametrize("n", [1, 2, 3])
def test_the_queue_failing_on_the_nth_send_loses_nothing(fast, n):
    """The notification of the nth upload never reaches the queue (the insert failed, or S3's
    notification was lost): the sweep queues the stored photo again."""
    svc = fast
    campaign = seeded(svc)
    uploads = photos(svc, campaign)
    _forget_messages(svc)
    notify(svc, [key for i, (_, key) in enumerate(uploads, 1) if i != n])
    healthy = processor(svc, lease_seconds=LEASE).handle_message
    drain(svc, healthy)  # the sweep's bound has not passed: the lost one waits
    assert svc.submissions.load(uploads[n - 1][0])["status"] in ("awaiting_upload", "queued")
    drain(svc, healthy, sweep_now=svc.settings.sweep_after + 1)
    assert_invariants(svc, campaign, [sid for sid, _ in uploads])


@MORE
@pytest.mark.parametrize("n", [1, 2, 4, 6, 9])
def test_the_record_store_failing_on_the_nth_call_loses_nothing(fast, n):
    svc = fast
    campaign = seeded(svc)
    uploads = photos(svc, campaign)
    notify(svc, [key for _, key in uploads])
    records = Faulty(svc.records, nth_call(n, ("get", "update", "transact", "put", "query"), RuntimeError("store down")))
    drain(svc, processor(svc, records=records, lease_seconds=LEASE).handle_message)
    assert_invariants(svc, campaign, [sid for sid, _ in uploads])


@MORE
def test_duplicated_and_reordered_notifications_count_once(fast):
    svc = fast
    campaign = seeded(svc)
    uploads = photos(svc, campaign, n=4)
    keys = [key for _, key in uploads] * 3
    random.Random(13).shuffle(keys)
    notify(svc, keys)
    drain(svc, processor(svc, lease_seconds=LEASE).handle_message)
    assert_invariants(svc, campaign, [sid for sid, _ in uploads])
    # the newer photo of S001 is the one that counts, whatever order they were judged in
    outcome = svc.records.get(*layout.target_key(campaign, "S001"))["outcome"]
    assert outcome["submission_id"] == uploads[3][0]


@MORE
def test_an_upload_whose_link_was_never_used_expires_uncounted(fast):
    svc = fast
    campaign = seeded(svc)
    from tests.support.helpers import hq_caller

    unused = svc.submissions.create(hq_caller(), campaign, {"store_id": "S002", "content_type": "image/jpeg"})["submission_id"]
    [(sent, key)] = photos(svc, campaign, n=1)
    notify(svc, [key])
    healthy = processor(svc, lease_seconds=LEASE).handle_message
    drain(svc, healthy)
    assert svc.submissions.load(unused)["status"] == "awaiting_upload"  # its link is still alive
    drain(svc, healthy, sweep_now=svc.settings.upload_expires_in + svc.settings.sweep_after + 1)
    item = svc.submissions.load(unused)
    assert item["status"] == "expired" and item["reason_code"] == "upload_expired"
    gallery = svc.review.gallery(hq_caller(), campaign)["submissions"]
    assert [card["submission_id"] for card in gallery] == [sent]
    assert_invariants(svc, campaign, [sent])
    # the marker partition holds nothing final any more
    assert svc.records.query(layout.PENDING, limit=10).items == []


@MORE
def test_a_reused_upload_form_does_not_replace_the_judged_photo(fast, backend):
    """In AWS the bucket is versioned: the version judged is recorded, and the original link and the
    re-run read that version, whatever was written over the key since (locally the store refuses)."""
    import hashlib

    svc = fast
    campaign = seeded(svc)
    [(submission_id, key)] = photos(svc, campaign, n=1)
    notify(svc, [key])
    drain(svc, processor(svc, lease_seconds=LEASE).handle_message)
    judged = svc.submissions.load(submission_id)
    if backend == "aws":
        svc.blobs.put(key, b"<html>another photo</html>", "image/jpeg")  # what a second POST of the form does
        assert judged["photo_version"]
    data, _ = svc.blobs.get_version(key, judged.get("photo_version"))
    assert hashlib.sha256(data).hexdigest() == judged["photo_sha256"]
    assert_invariants(svc, campaign, [submission_id])


def _forget_messages(svc):
    """Drop what the queue holds (in AWS the bucket notified it of the uploads itself)."""
    import time

    time.sleep(0.3)
    while messages := svc.queue.receive(max_messages=10):
        for message in messages:
            svc.queue.ack(message)


def test_the_local_worker_ends_dead_letters_and_a_late_sweep_requeues(fast, backend):
    """The local worker thread's share: what the DLQ handler and the schedule do in AWS."""
    from chalicelib.local.worker import LocalWorker

    if backend != "local":
        pytest.skip("the local worker runs on the local backend")
    svc = fast
    campaign = seeded(svc)
    [(dead, dead_key), (lost, _)] = photos(svc, campaign, n=2)
    svc.records.update(*layout.submission_key(dead), set={"status": "analyzing", "lease_token": "gone", "lease_until": 0})
    svc.queue.max_receives = 0  # the next receive moves the message to the dead letters at once
    notify(svc, [dead_key])
    worker = LocalWorker(svc.queue, processor(svc, lease_seconds=LEASE), recovery=svc.recovery, sweep_interval=0)
    worker.run_once()
    svc.queue.max_receives = 3
    worker.maintain(now=1e12)
    assert svc.submissions.load(dead)["reason_code"] == "analysis_stopped"
    # the lost one: stored, never notified; a sweep run well after the bound queues it again
    import time

    svc.recovery.sweep(now=time.time() + svc.settings.sweep_after + 1)
    worker.run_once()
    assert svc.submissions.load(lost)["status"] == "done"
    assert_invariants(svc, campaign, [dead, lost])


@MORE
def test_a_rerun_whose_message_is_lost_is_swept(fast):
    """A re-run puts done photos back to queued: a lost message must not leave them there."""
    import time

    svc = fast
    campaign = seeded(svc)
    uploads = photos(svc, campaign, n=2)
    notify(svc, [key for _, key in uploads])
    healthy = processor(svc, lease_seconds=LEASE).handle_message
    drain(svc, healthy)
    svc.records.update(*layout.submission_key(uploads[0][0]), set={"guideline_version": 0})  # judged by an older version
    svc.jobs.handle('{"job": "rerun", "campaign_id": "c1", "version": 1, "cursor": null}')
    assert svc.submissions.load(uploads[0][0])["status"] == "queued"
    _forget_messages(svc)  # the re-run's messages are lost
    svc.recovery.sweep(now=time.time() + svc.settings.sweep_after + 1)
    drain(svc, healthy)
    assert_invariants(svc, campaign, [sid for sid, _ in uploads])

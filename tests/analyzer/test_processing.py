"""At-least-once delivery: duplicates are no-ops, a crash half-way is finished by the retry,
a poison file ends as error with its reason and lands in the dead-letter queue. Both backends."""

import time
import uuid
from dataclasses import replace

import pytest

from chalicelib.analyzer.processing import UploadProcessor
from chalicelib.local.worker import LocalWorker
from chalicelib.storage import layout
from chalicelib.storage.notifications import object_created_event
from chalicelib.storage.sqlite_queue import SQLiteWorkQueue
from chalicelib.storage.sqs_queue import SQSWorkQueue
from chalicelib.vision.intake import IntakeRejected
from tests.support.helpers import FakeAnalysis, hq_caller, seed_campaign


class CountingAnalyse:
    def __init__(self, fail_times=0, error: Exception | None = None):
        self.calls = 0
        self.fail_times = fail_times
        self.error = error or RuntimeError("decoder exploded")

    def __call__(self, photo, guideline, pack):
        self.calls += 1
        if self.calls <= self.fail_times:
            raise self.error
        return FakeAnalysis(result={"verdict": "pass", "score": 1.0, "rules": []})


@pytest.fixture
def uploaded(svc):
    """A submission whose photo is in storage: its key."""
    seed_campaign(svc, "c1")
    created = svc.submissions.create(hq_caller(), "c1", {"store_id": "S001", "content_type": "image/jpeg"})
    key = created["upload"]["fields"]["key"]
    svc.blobs.put(key, b"\xff\xd8\xff photo bytes", "image/jpeg")
    return created["submission_id"], key


def processor(svc, analyse, **settings):
    return UploadProcessor(svc.records, svc.blobs, svc.campaigns, replace(svc.settings, **settings), analyse=analyse)


def test_a_photo_is_analysed_once_and_a_duplicate_is_a_no_op(svc, uploaded):
    submission_id, key = uploaded
    analyse = CountingAnalyse()
    message = object_created_event("bucket", key, 20)
    assert processor(svc, analyse).handle_message(message) == ["done"]
    assert processor(svc, analyse).handle_message(message) == ["duplicate"]
    assert analyse.calls == 1
    status = svc.submissions.get(hq_caller(), submission_id)
    assert status["status"] == "done"
    assert status["result"]["verdict"] == "pass"
    assert set(status["images"]) == {"original", "normalised", "thumbnail", "overlay"}
    assert svc.blobs.get(layout.derived_key(submission_id, "thumbnail.jpg")) == b"thumb"


def test_a_duplicate_while_another_worker_holds_the_claim_does_nothing(svc, uploaded):
    submission_id, key = uploaded
    svc.records.update(
        *layout.submission_key(submission_id),
        set={"status": "analyzing", "lease_token": "other", "lease_until": time.time() + 60},
    )
    analyse = CountingAnalyse()
    assert processor(svc, analyse).process(key) == "duplicate"
    assert analyse.calls == 0


def test_a_crash_half_way_is_finished_by_the_retry(svc, uploaded):
    submission_id, key = uploaded
    # The first worker dies in the middle of the analysis (not an exception it could handle).
    crashing = CountingAnalyse(fail_times=1, error=SystemExit("killed"))
    with pytest.raises(SystemExit):
        processor(svc, crashing, lease_seconds=1).process(key)
    assert svc.submissions.get(hq_caller(), submission_id)["status"] == "analyzing"
    # The redelivered message finds the claim expired and finishes the work.
    assert processor(svc, CountingAnalyse()).process(key) == "duplicate"  # lease still live
    time.sleep(1.2)
    assert processor(svc, CountingAnalyse()).process(key) == "done"
    item = svc.submissions.load(submission_id)
    assert item["status"] == "done" and item["attempts"] == 2


def test_a_bad_file_is_rejected_with_its_reason(svc, uploaded):
    submission_id, key = uploaded
    analyse = CountingAnalyse(fail_times=99, error=IntakeRejected("not_an_image", "The file is not a photo."))
    assert processor(svc, analyse).process(key) == "rejected"
    status = svc.submissions.get(hq_caller(), submission_id)
    assert status["status"] == "rejected"
    assert status["reason"] == "The file is not a photo." and status["reason_code"] == "not_an_image"


def test_unrelated_objects_and_test_events_are_ignored(svc):
    p = processor(svc, CountingAnalyse())
    assert p.handle_message('{"Service": "Amazon S3", "Event": "s3:TestEvent"}') == []
    assert p.handle_message(object_created_event("b", "somewhere/else.jpg", 1)) == ["ignored"]
    assert p.handle_message(object_created_event("b", layout.upload_key("sub_01JAAAAAAAAAAAAAAAAAAAAAAA"), 1)) == ["ignored"]


@pytest.fixture
def fast_queue(backend, tmp_path, svc, request):
    """The analysis queue with a short visibility timeout (SQS: its shortest, 1 s), so retries come quickly."""
    max_receives = svc.settings.max_attempts
    if backend == "local":
        return SQLiteWorkQueue(tmp_path / "fast.sqlite3", visibility_timeout=0.3, max_receives=max_receives)
    import boto3

    return SQSWorkQueue.create_queues(boto3.client("sqs"), f"fast-{uuid.uuid4().hex[:8]}", 1, max_receives)


def test_a_poison_file_ends_as_error_and_lands_in_the_dead_letter_queue(svc, uploaded, fast_queue):
    submission_id, key = uploaded
    analyse = CountingAnalyse(fail_times=99)
    worker = LocalWorker(fast_queue, processor(svc, analyse))
    fast_queue.send(object_created_event("bucket", key, 20))

    deadline = time.time() + 20
    dead = []
    while time.time() < deadline and not dead:
        worker.run_once()
        time.sleep(0.2)
        dead = fast_queue.dead_letters()
    assert dead, "the poison message never reached the dead-letter queue"
    assert analyse.calls == svc.settings.max_attempts  # bounded: no endless loop
    status = svc.submissions.get(hq_caller(), submission_id)
    assert status["status"] == "error"
    assert status["reason_code"] == "analysis_failed" and "3 attempts" in status["reason"]

    # After a fix, the dead letter is re-driven and the photo is analysed (once the peek's hold is over).
    time.sleep(fast_queue.visibility_timeout + 0.2 if isinstance(fast_queue, SQLiteWorkQueue) else 1.2)
    assert fast_queue.redrive() == 1
    LocalWorker(fast_queue, processor(svc, CountingAnalyse())).run_once()
    assert svc.submissions.get(hq_caller(), submission_id)["status"] == "done"


def test_pack_files_are_read_from_storage_once_per_process(svc):
    from chalicelib.analyzer.processing import BlobPack

    svc.blobs.put("packs/pf_TEST", b"poster bytes", "image/png")
    reads = []
    real_get = svc.blobs.get

    class CountingBlobs:
        def get(self, key):
            reads.append(key)
            return real_get(key)

    blobs = CountingBlobs()
    for _ in range(3):  # three photos of the same campaign
        assert BlobPack(blobs, {"poster.png": {"key": "packs/pf_TEST"}}).read("poster.png") == b"poster bytes"
    assert reads == ["packs/pf_TEST"]

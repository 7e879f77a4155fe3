"""The local worker settles review decisions the way the Lambda does: the delayed message goes
through the analyzer's dispatch (chalicelib.analyzer.worker) and the worker's sweep sends again a
message that never reached the queue."""

import time

import pytest

from chalicelib.analyzer.worker import Worker
from chalicelib.local.worker import LocalWorker
from chalicelib.storage import layout
from tests.api.test_review import analysed  # noqa: F401  (a fixture)
from tests.support.helpers import hq_caller


@pytest.mark.parametrize("backend", ["local"], indirect=True)
def test_the_local_worker_tells_the_latest_decision_once_and_its_sweep_finds_a_lost_one(svc, analysed, monkeypatch):  # noqa: F811
    worker = LocalWorker(
        svc.queue, Worker(processor=None, jobs=svc.jobs, notices=svc.notices), settle_notices=svc.notices.settle_overdue
    )  # type: ignore[arg-type]
    first, second = analysed[0], analysed[1]
    svc.review.decide(hq_caller(), first, {"decision": "approve"})
    svc.review.decide(hq_caller(), first, {"decision": "retake", "comment": "Closer, please."})
    with monkeypatch.context() as patch:  # the second photo's message never reaches the queue
        patch.setattr(svc.queue, "send", lambda *a, **k: (_ for _ in ()).throw(OSError("disk full")))
        with pytest.raises(OSError):
            svc.review.decide(hq_caller(), second, {"decision": "reject"})
    assert worker.run_once() == 0  # nothing due yet
    time.sleep(svc.settings.review_notice_delay + 0.2)
    assert worker.run_once() == 2  # the approval (superseded) and the retake (told)
    told = [e["payload"] for e in svc.events.recent().items if e["type"] == "review.decided"]
    assert [(e["submission_id"], e["decision"]) for e in told] == [(first, "retake")]
    monkeypatch.setattr(time, "time", lambda real=time.time: real() + 120)  # a sweep two minutes on
    worker.maintain()
    assert worker.run_once() == 1
    told = [e["payload"] for e in svc.events.recent().items if e["type"] == "review.decided"]
    assert [(e["submission_id"], e["decision"]) for e in told] == [(second, "reject"), (first, "retake")]
    assert svc.records.query(layout.NOTICES).items == []

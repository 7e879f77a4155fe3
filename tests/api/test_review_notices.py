"""A store hears once of a photo's decision, the latest, after a short window (issue 15 item 8:
a then r within a second, two tabs, two reviewers, an API client): on both backends, the store's
messages as its listeners get them (the local outbox; an SQS queue subscribed to the SNS topic)."""

import json
import time

import boto3
import pytest

from chalicelib.storage import layout
from tests.api.test_review import analysed, post  # noqa: F401  (a fixture)
from tests.support.helpers import settle_notices


@pytest.fixture
def told(svc, backend):
    """A function that returns the review.decided messages the store's listeners got so far."""
    if backend == "local":
        return lambda store: [
            e["payload"] for e in reversed(svc.events.recent(store_id=store).items) if e["type"] == "review.decided"
        ]
    sqs, sns = boto3.client("sqs"), boto3.client("sns")
    url = sqs.create_queue(QueueName=svc.settings.topic_arn.rsplit(":", 1)[-1] + "-listener")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=svc.settings.topic_arn, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    got: list[dict] = []

    def read(store):
        while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            for m in messages:
                got.append(json.loads(m["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return [e for e in got if e["type"] == "review.decided" and e["store_id"] == store]

    return read


def decisions(messages):
    return [(m["decision"], m["comment"]) for m in messages]


def test_two_quick_decisions_send_the_store_one_message_the_latest(svc, client, analysed, told):  # noqa: F811
    sid = analysed[0]
    assert post(client, f"/submissions/{sid}/review", {"decision": "approve"}).status_code == 200
    assert post(client, f"/submissions/{sid}/review", {"decision": "reject", "comment": "Poster missing."}).status_code == 200
    # Recorded at once: the photo, its history and the gallery see the latest decision now.
    assert client.http.get(f"/submissions/{sid}").json_body["review"]["state"] == "rejected"
    history = [e["action"] for e in client.http.get(f"/submissions/{sid}/history").json_body["events"]]
    assert history.count("review:approve") == 1 and history.count("review:reject") == 1
    assert told("S001") == []  # the window has not passed
    assert sorted(settle_notices(svc)) == ["superseded", "told"]
    assert decisions(told("S001")) == [("reject", "Poster missing.")]
    assert svc.records.query(layout.NOTICES).items == []  # both settled


def test_one_decision_is_told_once_after_the_window(svc, client, analysed, told):  # noqa: F811
    sid = analysed[1]
    started = time.time()
    assert (
        post(client, "/reviews", {"submission_ids": [sid], "decision": "retake", "comment": "Straighten it."}).status_code == 200
    )
    early = [m for m in svc.queue.receive(max_messages=10) if "review_notice" in m.body]
    assert early == [] or time.time() - started >= svc.settings.review_notice_delay  # the queue holds it back
    assert told("S002") == []
    assert settle_notices(svc) == ["told"]
    assert decisions(told("S002")) == [("retake", "Straighten it.")]


def test_a_message_delivered_twice_tells_the_store_once(svc, client, analysed, told):  # noqa: F811
    sid = analysed[2]
    assert post(client, f"/submissions/{sid}/review", {"decision": "approve"}).status_code == 200
    item = svc.records.get(*layout.submission_key(sid))
    [marker] = svc.records.query(layout.NOTICES).items
    body = json.dumps({"job": "review_notice", "submission_id": sid, "decision_id": item["review_id"], "marker": marker["sk"]})
    assert svc.notices.deliver(body) == "told"
    assert svc.notices.deliver(body) == "told already"
    assert settle_notices(svc) == ["told already"]  # the queued message itself
    assert decisions(told("S003")) == [("approve", "")]
    assert client.http.get(f"/submissions/{sid}").json_body["updated_at"] == item["updated_at"]  # no reviewer made stale


def test_a_crash_between_the_decision_and_its_message_still_tells_the_store(svc, client, analysed, told, monkeypatch):  # noqa: F811
    sid = analysed[0]

    def crash(*args, **kwargs):
        raise ConnectionError("the process died before the queue heard of the decision")

    with monkeypatch.context() as patch:
        patch.setattr(svc.notices, "send", crash)
        with pytest.raises(ConnectionError):
            svc.review.decide(client_caller(), sid, {"decision": "retake", "comment": "Again, please."})
    assert svc.records.get(*layout.submission_key(sid))["review"]["state"] == "retake_requested"  # recorded
    assert settle_notices(svc, within=3) == []  # no message was queued
    assert svc.notices.settle_overdue(now=time.time()) == 0  # not overdue yet
    assert svc.notices.settle_overdue(now=time.time() + svc.settings.review_notice_delay + 61) == 1  # the sweep
    assert svc.notices.settle_overdue(now=time.time() + svc.settings.review_notice_delay + 62) == 0  # sent lately
    assert settle_notices(svc) == ["told"]
    assert decisions(told("S001")) == [("retake", "Again, please.")]
    assert svc.notices.settle_overdue(now=time.time() + 3600) == 0  # settled: the marker is gone


def test_a_marker_of_a_decision_that_was_never_written_is_settled_with_no_message(svc, analysed, told):  # noqa: F811
    svc.notices.expect(analysed[1], "never-written")  # the decision's own write failed after its marker
    assert svc.notices.settle_overdue(now=time.time() + 3600) == 1
    assert settle_notices(svc) == ["superseded"]
    assert told("S002") == [] and svc.records.query(layout.NOTICES).items == []


def client_caller():
    from tests.support.helpers import hq_caller

    return hq_caller()

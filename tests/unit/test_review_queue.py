"""The review queue's pure parts: the order of the partitions, the stack of earlier attempts and
the failed-rule markers a target write carries (chalicelib.services.review_queue)."""

import pytest

from chalicelib.core.errors import InvalidInput
from chalicelib.services import review_queue
from chalicelib.storage import layout


def outcome(submission_id, state="fail", failing=(), review="pending"):
    return {
        "submission_id": submission_id,
        "created_at": f"2026-11-0{submission_id[-1]}T10:00:00+00:00",
        "state": state,
        "score": 0.5,
        "review": review,
        "rules": {rule: "fail" for rule in failing},
    }


def target(current=None, **extra):
    base = {"pk": "CAMPAIGN#c", "sk": "TARGET#S1", "campaign_id": "c", "store_id": "S1", "region": "north", "state": "missing"}
    return {**base, **({"outcome": current, "state": current["state"]} if current else {}), **extra}


def test_not_reviewed_first_then_decided_then_no_photo():
    queue = review_queue.partitions("c", None, None, None)
    assert queue[0] == layout.review_queue_partition("c", False, "review")
    assert queue[:4] == [layout.review_queue_partition("c", False, s) for s in ("review", "fail", "retake", "pass")]
    assert queue[-1] == layout.review_queue_partition("c", False, "missing")
    assert all("#QUEUE#REVIEWED#" in p for p in queue[4:-1])
    assert review_queue.partitions("c", "fail", "reviewed", "poster") == [
        layout.review_queue_partition("c", True, "fail", "poster")
    ]
    assert review_queue.partitions("c", "missing", None, "poster") == []  # no photo fails no rule
    for bad in ({"state": "lost"}, {"review": "maybe"}, {"rule_id": "no such"}):
        with pytest.raises(InvalidInput):
            review_queue.partitions("c", bad.get("state"), bad.get("review"), bad.get("rule_id"))


def test_a_newer_photo_pushes_the_latest_on_the_stack_a_review_does_not():
    first = outcome("sub_1")
    assert review_queue.earlier_attempts(target(), first) == {"earlier": [], "attempts": 1}
    stacked = review_queue.earlier_attempts(target(first), outcome("sub_2", "pass"))
    assert stacked["attempts"] == 2 and [e["submission_id"] for e in stacked["earlier"]] == ["sub_1"]
    again = review_queue.earlier_attempts(target(outcome("sub_2"), **stacked), outcome("sub_2", "pass", review="approved"))
    assert again == stacked  # the same photo decided: nothing stacked


def test_markers_follow_the_failing_rules_and_leave_the_index_when_a_rule_passes():
    before = target(outcome("sub_1", failing=("poster", "sharp")))
    after = target(outcome("sub_2", state="fail", failing=("poster",), review="approved"))
    ops = {op.item["sk"]: op.item for op in review_queue.marker_ops(before, after)}
    assert set(ops) == {"FAILED#poster#S1", "FAILED#sharp#S1"}
    assert ops["FAILED#poster#S1"]["gsi3pk"] == layout.review_queue_partition("c", True, "fail", "poster")
    assert ops["FAILED#poster#S1"]["gsi3sk"] == "north#S1" and "gsi1pk" not in ops["FAILED#poster#S1"]
    assert "gsi3pk" not in ops["FAILED#sharp#S1"]  # passes now: out of the index, no delete needed
    many = target(outcome("sub_1", failing=[f"r{n:03d}" for n in range(200)]))
    assert len(review_queue.marker_ops(target(), many)) == review_queue.MAX_MARKERS

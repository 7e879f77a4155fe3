"""The work queue contract: the SQLite queue and SQS behave the same — at-least-once delivery,
visibility timeout, receive counts, dead-letter queue after too many deliveries, redrive."""

import time
import uuid

import pytest

from chalicelib.storage.sqlite_queue import SQLiteWorkQueue
from chalicelib.storage.sqs_queue import SQSWorkQueue

# SQS takes whole seconds; the local queue any fraction, so its variants wait less.
VISIBILITY = {"local": 0.2, "aws": 1}
MAX_RECEIVES = 2


@pytest.fixture
def queue(backend, tmp_path, request):
    if backend == "local":
        return SQLiteWorkQueue(tmp_path / "q.sqlite3", visibility_timeout=VISIBILITY["local"], max_receives=MAX_RECEIVES)
    request.getfixturevalue("aws_emulator")
    import boto3

    return SQSWorkQueue.create_queues(boto3.client("sqs"), f"q-{uuid.uuid4().hex[:10]}", VISIBILITY["aws"], MAX_RECEIVES)


@pytest.fixture
def wait_out(backend):
    """Sleep past the queue's visibility timeout."""
    return lambda: time.sleep(VISIBILITY[backend] + 0.2)


def receive_within(queue, seconds, dead=False):
    deadline = time.time() + seconds
    while time.time() < deadline:
        got = queue.dead_letters() if dead else queue.receive()
        if got:
            return got
        time.sleep(0.1)
    return []


def test_send_receive_ack(queue, wait_out):
    queue.send('{"n": 1}')
    [message] = queue.receive()
    assert message.body == '{"n": 1}'
    assert message.receive_count == 1
    queue.ack(message)
    wait_out()
    assert queue.receive() == []


def test_unacknowledged_message_comes_back_after_the_visibility_timeout(queue):
    queue.send("again")
    [first] = queue.receive()
    assert queue.receive() == []  # invisible while being handled
    [second] = receive_within(queue, 4)
    assert second.body == "again"
    assert second.receive_count == 2


def test_too_many_deliveries_move_the_message_to_the_dead_letter_queue(queue, wait_out):
    queue.send("poison")
    for expected in range(1, MAX_RECEIVES + 1):
        [message] = receive_within(queue, 4)
        assert message.receive_count == expected
    # After max_receives deliveries the next receive moves it aside instead of delivering it.
    wait_out()
    assert queue.receive() == []
    [dead] = receive_within(queue, 3, dead=True)
    assert dead.body == "poison"


def test_redrive_moves_dead_letters_back(queue, wait_out):
    queue.send("poison")
    for _ in range(MAX_RECEIVES):
        receive_within(queue, 4)
    wait_out()
    assert queue.receive() == []
    wait_out()  # the peek above may have hidden it for a moment
    assert queue.redrive() == 1
    [message] = receive_within(queue, 3)
    assert message.body == "poison"


def test_a_dead_letter_acknowledged_is_gone(queue, wait_out):
    queue.send("poison")
    for _ in range(MAX_RECEIVES):
        receive_within(queue, 4)
    wait_out()
    assert queue.receive() == []
    [dead] = receive_within(queue, 3, dead=True)
    queue.ack_dead_letter(dead)
    wait_out()
    assert queue.dead_letters() == [] and queue.redrive() == 0


def test_a_delayed_message_is_received_only_after_its_delay(queue):
    queue.send("later", delay_seconds=1)
    queue.send("now")
    [now] = queue.receive(max_messages=10)  # the delayed one is not there yet
    assert now.body == "now"
    queue.ack(now)
    [late] = receive_within(queue, 5)
    assert late.body == "later" and late.receive_count == 1


def test_a_delay_beyond_the_queue_limit_is_refused(queue):
    with pytest.raises(ValueError, match="0 to 900"):
        queue.send("never", delay_seconds=901)

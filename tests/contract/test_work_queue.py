"""The work queue contract: the SQLite queue and SQS behave the same — at-least-once delivery,
visibility timeout, receive counts, dead-letter queue after too many deliveries, redrive."""

import time
import uuid

import pytest

from chalicelib.storage.sqlite_queue import SQLiteWorkQueue
from chalicelib.storage.sqs_queue import SQSWorkQueue

VISIBILITY = 1
MAX_RECEIVES = 2


@pytest.fixture
def queue(backend, tmp_path, request):
    if backend == "local":
        return SQLiteWorkQueue(tmp_path / "q.sqlite3", visibility_timeout=VISIBILITY, max_receives=MAX_RECEIVES)
    request.getfixturevalue("aws_emulator")
    import boto3

    return SQSWorkQueue.create_queues(boto3.client("sqs"), f"q-{uuid.uuid4().hex[:10]}", VISIBILITY, MAX_RECEIVES)


def receive_within(queue, seconds, dead=False):
    deadline = time.time() + seconds
    while time.time() < deadline:
        got = queue.dead_letters() if dead else queue.receive()
        if got:
            return got
        time.sleep(0.1)
    return []


def test_send_receive_ack(queue):
    queue.send('{"n": 1}')
    [message] = queue.receive()
    assert message.body == '{"n": 1}'
    assert message.receive_count == 1
    queue.ack(message)
    time.sleep(VISIBILITY + 0.3)
    assert queue.receive() == []


def test_unacknowledged_message_comes_back_after_the_visibility_timeout(queue):
    queue.send("again")
    [first] = queue.receive()
    assert queue.receive() == []  # invisible while being handled
    [second] = receive_within(queue, VISIBILITY + 3)
    assert second.body == "again"
    assert second.receive_count == 2


def test_too_many_deliveries_move_the_message_to_the_dead_letter_queue(queue):
    queue.send("poison")
    for expected in range(1, MAX_RECEIVES + 1):
        [message] = receive_within(queue, VISIBILITY + 3)
        assert message.receive_count == expected
    # After max_receives deliveries the next receive moves it aside instead of delivering it.
    time.sleep(VISIBILITY + 0.3)
    assert queue.receive() == []
    [dead] = receive_within(queue, 3, dead=True)
    assert dead.body == "poison"


def test_redrive_moves_dead_letters_back(queue):
    queue.send("poison")
    for _ in range(MAX_RECEIVES):
        receive_within(queue, VISIBILITY + 3)
    time.sleep(VISIBILITY + 0.3)
    assert queue.receive() == []
    time.sleep(VISIBILITY + 0.3)  # the peek above may have hidden it for a moment
    assert queue.redrive() == 1
    [message] = receive_within(queue, 3)
    assert message.body == "poison"


def test_a_dead_letter_acknowledged_is_gone(queue):
    queue.send("poison")
    for _ in range(MAX_RECEIVES):
        receive_within(queue, VISIBILITY + 3)
    time.sleep(VISIBILITY + 0.3)
    assert queue.receive() == []
    [dead] = receive_within(queue, 3, dead=True)
    queue.ack_dead_letter(dead)
    time.sleep(VISIBILITY + 0.3)
    assert queue.dead_letters() == [] and queue.redrive() == 0

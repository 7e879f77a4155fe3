"""The real AWS path on the emulator: presigned POST with a real HTTP client → the bucket's
notification into SQS → the Lambda handler invoked with that very message → the result read back
through the API."""

import time
import uuid

import boto3
import pytest
import requests
from chalice.test import Client

from app import app
from chalicelib.devtools.synthetic import to_jpeg, window_photo
from chalicelib.storage.notifications import created_keys
from chalicelib.wiring import services
from tests.support.helpers import TEST_STAGE, ApiClient, create_aws_resources, publish_campaign


@pytest.fixture
def aws_env(aws_emulator, monkeypatch):
    env = create_aws_resources(f"e2e-{uuid.uuid4().hex[:10]}")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    services.cache_clear()
    yield env
    services.cache_clear()


def receive_notification(queue_name, timeout=15):
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
    deadline = time.time() + timeout
    while time.time() < deadline:
        messages = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=1, WaitTimeSeconds=1, MessageSystemAttributeNames=["All"]
        ).get("Messages", [])
        if messages:
            return url, messages[0]
    raise AssertionError("no notification reached the queue")


def lambda_sqs_event(queue_url, message):
    """The event Lambda's SQS event source mapping builds from a received message."""
    arn = boto3.client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message["Attributes"],
                "messageAttributes": {},
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": arn,
                "awsRegion": "eu-west-1",
            }
        ]
    }


def test_presigned_post_to_s3_notification_to_sqs_to_handler_to_api(aws_env):
    photo = to_jpeg(window_photo(seed=11), exif_orientation=1)
    with Client(app, stage_name=TEST_STAGE) as chalice_client:
        client = ApiClient(chalice_client)
        publish_campaign(client, "autumn")
        store = client.as_("store", stores=("S002",))
        created = store.send_json(
            "POST", "/campaigns/autumn/submissions", {"store_id": "S002", "content_type": "image/jpeg"}
        ).json_body

        post = created["upload"]
        uploaded = requests.post(
            post["url"], data=post["fields"], files={"file": ("window.jpg", photo, "image/jpeg")}, timeout=30
        )
        assert uploaded.status_code == 204, uploaded.text

        queue_url, message = receive_notification(aws_env["VETRINA_QUEUE_NAME"])
        assert created_keys(message["Body"]) == [created["upload"]["fields"]["key"]]
        assert store.get(f"/submissions/{created['submission_id']}").json_body["status"] == "queued"

        chalice_client.lambda_.invoke("analyze", lambda_sqs_event(queue_url, message))

        status = store.get(f"/submissions/{created['submission_id']}").json_body
        compliance = client.get("/compliance/campaigns/autumn").json_body
    assert status["status"] == "done", status
    assert status["result"]["verdict"] == "pass"
    assert {r["id"] for r in status["result"]["rules"]} == {"sharp", "exposed", "level"}
    assert requests.get(status["images"]["original"], timeout=10).content == photo
    thumbnail = requests.get(status["images"]["thumbnail"], timeout=10)
    assert thumbnail.status_code == 200 and thumbnail.content[:2] == b"\xff\xd8"
    assert compliance["overall"]["states"] == {"missing": 1, "pass": 1, "fail": 0, "review": 0, "retake": 0}

    # The same message delivered again is a no-op.
    with Client(app, stage_name=TEST_STAGE) as chalice_client:
        chalice_client.lambda_.invoke("analyze", lambda_sqs_event(queue_url, message))
        again = ApiClient(chalice_client).get(f"/submissions/{created['submission_id']}").json_body
        counted_once = ApiClient(chalice_client).get("/compliance/campaigns/autumn").json_body
    assert again["status"] == "done" and again["result"] == status["result"]
    assert counted_once["overall"] == compliance["overall"]

"""Builders the tests share: AWS resources on the emulator, campaigns and guidelines."""

from __future__ import annotations

from pathlib import Path

from chalicelib.settings import Settings
from chalicelib.wiring import Services, build_services


# Chalice's test client applies a stage's environment_variables; this stage has none, so the
# tests' own environment (the backend under test) stands.
TEST_STAGE = "test"


def create_aws_resources(name: str, max_attempts: int = 3, visibility_timeout: int = 30) -> dict[str, str]:
    """A bucket notifying a queue (with its DLQ) and a table, as the infrastructure makes them."""
    import boto3

    from chalicelib.storage.dynamodb_records import DynamoRecordStore
    from chalicelib.storage.sqs_queue import SQSWorkQueue

    s3 = boto3.client("s3")
    sqs = boto3.client("sqs")
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    SQSWorkQueue.create_queues(sqs, name, visibility_timeout=visibility_timeout, max_receives=max_attempts)
    queue_url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.put_bucket_notification_configuration(
        Bucket=name,
        NotificationConfiguration={
            "QueueConfigurations": [{
                "QueueArn": queue_arn,
                "Events": ["s3:ObjectCreated:*"],
                "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "incoming/"}]}},
            }]
        },
    )
    # S3 announces a new notification configuration with a test event; drop it.
    sqs.purge_queue(QueueUrl=queue_url)
    DynamoRecordStore.create_table(boto3.resource("dynamodb"), name)
    topic_arn = boto3.client("sns").create_topic(Name=name)["TopicArn"]
    return {
        "VETRINA_TOPIC_ARN": topic_arn,
        "VETRINA_BACKEND": "aws",
        "VETRINA_BUCKET": name,
        "VETRINA_TABLE": name,
        "VETRINA_QUEUE_NAME": name,
        "VETRINA_S3_ADDRESSING_STYLE": "path",
        "VETRINA_MAX_ATTEMPTS": str(max_attempts),
    }


def local_environment(data_dir: Path) -> dict[str, str]:
    return {
        "VETRINA_BACKEND": "local",
        "VETRINA_DATA_DIR": str(data_dir),
        "VETRINA_PUBLIC_URL": "http://127.0.0.1:8000",
        "VETRINA_LEASE_SECONDS": "5",
    }


def quality_guideline() -> dict:
    return {
        "name": "Autumn window",
        "rules": [
            {"id": "sharp", "type": "photo_quality", "message": "The photo is blurry: hold the phone still.", "parameters": {"check": "sharpness"}},
            {"id": "exposed", "type": "photo_quality", "message": "The photo is too dark or too bright.", "parameters": {"check": "exposure"}},
            {"id": "level", "type": "photo_quality", "message": "Hold the phone straight.", "parameters": {"check": "tilt"}},
        ],
    }


def campaign_body(stores=("S001", "S002")) -> dict:
    return {
        "name": "Autumn 2026",
        "start_date": "2026-11-01",
        "deadline": "2026-11-08",
        "stores": list(stores),
        "guideline": quality_guideline(),
    }


def fresh_services(environment: dict[str, str]) -> Services:
    """A second, independent set of services on the same storage (another process, a restart)."""
    return build_services(Settings.from_env(environment))

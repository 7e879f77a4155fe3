"""Builders the tests share: AWS resources on the emulator, campaigns and guidelines."""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from chalicelib.core.settings import Settings
from chalicelib.storage import layout
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
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})  # as infra/ makes it
    SQSWorkQueue.create_queues(sqs, name, visibility_timeout=visibility_timeout, max_receives=max_attempts)
    queue_url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.put_bucket_notification_configuration(
        Bucket=name,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": queue_arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": layout.UPLOAD_PREFIX}]}},
                }
            ]
        },
    )
    # S3 announces a new notification configuration with a test event; drop it.
    sqs.purge_queue(QueueUrl=queue_url)
    DynamoRecordStore.create_table(boto3.resource("dynamodb"), name)
    topic_arn = boto3.client("sns").create_topic(Name=name)["TopicArn"]
    return {
        "VETRINA_TOPIC_ARN": topic_arn,
        "VETRINA_BACKEND": "aws",
        "VETRINA_AUTH": "local",  # Chalice's test client has no API Gateway to verify Cognito tokens
        "VETRINA_DATA_DIR": str(Path(tempfile.mkdtemp(prefix="vetrina-aws-"))),  # holds only the local signing key
        "VETRINA_BUCKET": name,
        "VETRINA_TABLE": name,
        "VETRINA_QUEUE_NAME": name,
        "VETRINA_S3_ADDRESSING_STYLE": "path",
        "VETRINA_MAX_ATTEMPTS": str(max_attempts),
        "VETRINA_REVIEW_NOTICE_DELAY": "1",  # a review decision's store message waits this long
    }


def local_environment(data_dir: Path) -> dict[str, str]:
    return {
        "VETRINA_BACKEND": "local",
        "VETRINA_DATA_DIR": str(data_dir),
        "VETRINA_PUBLIC_URL": "http://127.0.0.1:8000",
        "VETRINA_LEASE_SECONDS": "5",
        "VETRINA_REVIEW_NOTICE_DELAY": "1",  # a review decision's store message waits this long
    }


def quality_guideline() -> dict:
    return {
        "name": "Autumn window",
        "rules": [
            {
                "id": "sharp",
                "type": "photo_quality",
                "message": "The photo is blurry: hold the phone still.",
                "parameters": {"check": "sharpness"},
            },
            {
                "id": "exposed",
                "type": "photo_quality",
                "message": "The photo is too dark or too bright.",
                "parameters": {"check": "exposure"},
            },
            {"id": "level", "type": "photo_quality", "message": "Hold the phone straight.", "parameters": {"check": "tilt"}},
        ],
    }


def campaign_body(stores=("S001", "S002")) -> dict:
    return {
        "name": "Autumn 2026",
        "start_date": "2026-11-01",
        "deadline": "2099-11-08",
        "targets": {"stores": list(stores)},
        "guideline": quality_guideline(),
    }


def store_rows(stores=("S001", "S002"), region="north") -> list[dict]:
    return [{"store_id": s, "name": f"Store {s}", "region": region, "timezone": "Europe/Rome"} for s in stores]


# --- signing in ------------------------------------------------------------------------------------


def token(role: str = "hq", stores=(), regions=(), **options) -> str:
    """A local token for the environment under test (its data folder holds the key)."""
    from chalicelib.core.auth import mint

    return mint(Settings.from_env(), role, stores=tuple(stores), regions=tuple(regions), **options)


def bearer(role: str = "hq", stores=(), regions=(), **options) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(role, stores, regions, **options)}"}


class ApiClient:
    """Chalice's test client, signed in (as HQ unless told otherwise); ``client.http.get(...)``
    and ``client.get(...)`` both work, and a request's own headers win."""

    def __init__(self, client, headers: dict[str, str] | None = None):
        self._client = client
        self.headers = bearer("hq") if headers is None else headers

    @property
    def http(self) -> ApiClient:
        return self

    def as_(self, role: str, stores=(), regions=(), **options) -> ApiClient:
        return ApiClient(self._client, bearer(role, stores, regions, **options))

    def anonymous(self) -> ApiClient:
        return ApiClient(self._client, {})

    def request(self, method: str, path: str, headers: dict[str, str] | None = None, body=b""):
        return self._client.http.request(method, path, headers={**self.headers, **(headers or {})}, body=body)

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def put(self, path: str, **kwargs):
        return self.request("PUT", path, **kwargs)

    def post(self, path: str, **kwargs):
        return self.request("POST", path, **kwargs)

    def send_json(self, method: str, path: str, body) -> object:
        raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
        return self.request(method, path, headers={"Content-Type": "application/json"}, body=raw)


def publish_campaign(
    client: ApiClient, campaign_id: str, stores=("S001", "S002"), region="north", body: dict | None = None
) -> dict:
    """Import the stores, create the campaign for them and publish it (as HQ)."""
    assert client.send_json("PUT", "/stores", store_rows(stores, region)).status_code == 200
    created = client.send_json("PUT", f"/campaigns/{campaign_id}", body or campaign_body(stores))
    assert created.status_code in (200, 201), created.body
    published = client.post(f"/campaigns/{campaign_id}/publish")
    assert published.status_code == 200, published.body
    return published.json_body


def fresh_services(environment: dict[str, str]) -> Services:
    """A second, independent set of services on the same storage (another process, a restart)."""
    return build_services(Settings.from_env(environment))


def hq_caller():
    from chalicelib.core.auth import Caller

    return Caller(username="hq-tests", role="hq")


def seed_campaign(
    svc: Services, campaign_id: str = "c1", stores=("S001", "S002"), region="north", body: dict | None = None
) -> dict:
    """The store list, a campaign for those stores, published: through the services, as HQ."""
    svc.stores.import_list(json.dumps(store_rows(stores, region)), "application/json")
    svc.campaigns.put(campaign_id, body or campaign_body(stores))
    return svc.campaigns.publish(campaign_id)


def http_session(role: str = "hq", stores=(), regions=(), **options):
    """A requests session signed in, for tests against a real server."""
    import requests

    session = requests.Session()
    session.headers.update(bearer(role, stores, regions, **options))
    return session


def publish_over_http(
    url: str, campaign_id: str = "autumn", stores=("S001", "S002"), region="north", body: dict | None = None
) -> None:
    """The store list, a campaign for those stores, published, through a real HTTP server (as HQ)."""
    hq = http_session()
    assert hq.put(f"{url}/stores", json=store_rows(stores, region), timeout=10).status_code == 200
    created = hq.put(f"{url}/campaigns/{campaign_id}", json=body or campaign_body(stores), timeout=10)
    assert created.status_code in (200, 201), created.text
    published = hq.post(f"{url}/campaigns/{campaign_id}/publish", timeout=10)
    assert published.status_code == 200, published.text


def python312() -> list[str] | None:
    """The command of pyenv's Python 3.12 (the Lambda runtime's version), or None where it is missing."""
    import os
    import subprocess

    env = {**os.environ, "PYENV_VERSION": "3.12.1"}
    try:
        out = subprocess.run(
            ["python3.12", "-c", "import sys; print(sys.version_info[:2])"], env=env, capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return ["python3.12"] if out.returncode == 0 and "(3, 12)" in out.stdout else None


def package_index_reachable() -> bool:
    """Whether pip's configured package index answers (the artifact builds download wheels through it)."""
    import subprocess
    import sys

    try:
        probe = subprocess.run(
            [sys.executable, "-m", "pip", "index", "versions", "pydantic"], capture_output=True, text=True, timeout=30
        )
    except subprocess.TimeoutExpired:
        return False
    return probe.returncode == 0


@dataclass
class FakeAnalysis:
    """What the processor stores of an analysis, without the image stack (tests of the analyzer's
    delivery guarantees)."""

    result: dict
    normalised_jpeg: bytes = b"normalised"
    thumbnail_jpeg: bytes = b"thumb"
    overlay_jpeg: bytes = b"overlay"


def api_gateway_event(path: str = "/campaigns", query: dict[str, str] | None = None) -> dict:
    """A GET as API Gateway hands it to the API function once its Cognito authorizer has verified an
    HQ user's ID token (the artifact and stack tests call the packaged app with it)."""
    return {
        "resource": path,
        "path": path,
        "httpMethod": "GET",
        "headers": {"Accept": "application/json", "Host": "example.execute-api.eu-west-1.amazonaws.com"},
        "multiValueHeaders": {},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": "GET",
            "path": f"/api{path}",
            "stage": "api",
            "requestId": "test",
            "identity": {"sourceIp": "127.0.0.1"},
            "authorizer": {"claims": {"cognito:username": "hq-1", "cognito:groups": "hq"}},
        },
        "body": None,
        "isBase64Encoded": False,
    }


def settle_notices(svc: Services, within: float = 8.0, quiet: float = 2.5) -> list[str]:
    """Play the worker for the review decisions' delayed messages (the other messages are left
    to come back): deliver each once it is due; stop after ``quiet`` seconds without one."""
    outcomes: list[str] = []
    deadline, last = time.time() + within, time.time()
    while time.time() < deadline and time.time() - last < quiet:
        for message in svc.queue.receive(max_messages=10):
            if json.loads(message.body).get("job") == "review_notice":
                outcomes.append(svc.notices.deliver(message.body))
                svc.queue.ack(message)
                last = time.time()
        time.sleep(0.1)
    return outcomes

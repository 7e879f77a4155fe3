"""Shared fixtures: the S3/DynamoDB/SQS emulator on loopback, and services on either backend."""

from __future__ import annotations

import os
import uuid

import pytest

from chalicelib.wiring import Services, services
from tests.support.helpers import create_aws_resources, local_environment

# Never reach a real AWS account from the tests, whatever the machine's environment holds.
for _name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
    os.environ.pop(_name, None)
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_DEFAULT_REGION="eu-west-1",
    AWS_REGION="eu-west-1",
)

# The AWS adapters run against the emulator (moto's server on loopback): a network hop per call,
# so those variants are marked e2e and left out of the quick loop (`-m "not e2e and not browser"`).
BACKENDS = ("local", pytest.param("aws", marks=pytest.mark.e2e))


@pytest.fixture(scope="session")
def aws_emulator():
    """moto in server mode, on a free loopback port, for the whole session."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    previous = os.environ.get("AWS_ENDPOINT_URL")
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    yield endpoint
    server.stop()
    if previous is None:
        os.environ.pop("AWS_ENDPOINT_URL", None)
    else:
        os.environ["AWS_ENDPOINT_URL"] = previous


@pytest.fixture
def local_env(tmp_path, monkeypatch) -> dict[str, str]:
    """The local backend's environment for a real server on a free port: its links follow the port."""
    env = local_environment(tmp_path / "data")
    env.pop("VETRINA_PUBLIC_URL")
    monkeypatch.delenv("VETRINA_PUBLIC_URL", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def environment(backend, tmp_path, monkeypatch, request) -> dict[str, str]:
    """The stage environment of a fresh deployment on the chosen backend, applied to os.environ."""
    if backend == "aws":
        request.getfixturevalue("aws_emulator")
        env = create_aws_resources(f"vt-{uuid.uuid4().hex[:12]}")
    else:
        env = local_environment(tmp_path / "data")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    services.cache_clear()
    yield env
    services.cache_clear()


@pytest.fixture
def svc(environment) -> Services:
    """The services the app's routes and handlers use, on the chosen backend."""
    return services()


@pytest.fixture
def client(svc):
    """The API through Chalice's test client, signed in as HQ (``client.as_(role, ...)`` for others).

    One app for both backends: the local one's, the stand-ins for S3 included (on the AWS backend
    they answer 404), whichever backend's test happens to import it first."""
    from chalice.test import Client

    from tests.support.helpers import TEST_STAGE, ApiClient

    with Client(_local_app(), stage_name=TEST_STAGE) as chalice_client:
        yield ApiClient(chalice_client)


def _local_app():
    """app.py's app, imported (once) as the local backend builds it."""
    import sys

    if "app" not in sys.modules:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("VETRINA_BACKEND", "local")
            patch.setenv("VETRINA_AUTH", "local")
            import app  # noqa: F401
    return sys.modules["app"].app


_MARKED_FOLDERS = {"e2e": "e2e", "infra": "e2e", "browser": "browser"}


def pytest_collection_modifyitems(config, items):
    """Mark the slow scopes by their folder, so `pytest -m "not e2e and not browser"` is the quick loop."""
    for item in items:
        folder = item.path.parent.name
        if folder in _MARKED_FOLDERS:
            item.add_marker(_MARKED_FOLDERS[folder])

"""A path the API does not have answers a 404 in the API's error format, on the local server
(Chalice's local gateway would answer API Gateway's 403 "Missing Authentication Token") and in
AWS (the REST API's gateway response, chalicelib.api.gateway; tests/infra checks the template)."""

from __future__ import annotations

import json

import pytest
import requests

from chalicelib.api.gateway import not_found_gateway_responses
from chalicelib.local.server import LocalService
from tests.support.helpers import token


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from tests.support.helpers import local_environment

    env = local_environment(tmp_path_factory.mktemp("data"))
    env.pop("VETRINA_PUBLIC_URL", None)
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("VETRINA_PUBLIC_URL", raising=False)
        for key, value in env.items():
            patch.setenv(key, value)
        with LocalService("127.0.0.1", 0) as service:
            yield service


@pytest.mark.e2e  # a running server
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/nope"),
        ("GET", "/campaigns/x/y/z/w"),
        ("POST", "/api/v2/submissions"),
        ("DELETE", "/static/a/b"),
        ("GET", "/nope/?q=1"),
    ],
)
def test_an_unknown_path_answers_a_json_404(server, method, path):
    # With a token or without: the answer is the same (API Gateway's differed).
    for headers in ({}, {"Authorization": f"Bearer {token('hq')}"}):
        answer = requests.request(method, server.url + path, headers=headers, timeout=10)
        assert answer.status_code == 404, answer.text
        assert answer.headers["Content-Type"] == "application/json"
        error = answer.json()["error"]
        assert error["code"] == "not_found"
        assert (
            error["message"] == f"there is no {method} {path.split('?')[0]} in this API: its routes are listed at /openapi.json"
        )


@pytest.mark.e2e  # a running server
def test_known_paths_still_answer_as_before(server):
    assert requests.get(server.url + "/openapi.json", timeout=10).status_code == 200
    assert requests.get(server.url + "/", timeout=10).status_code == 200
    assert requests.get(server.url + "/campaigns", timeout=10).status_code == 401  # a real route, no token
    # A path the API has, with a method it does not: Chalice's 405, in the API's format.
    answer = requests.delete(server.url + "/openapi.json", timeout=10)
    assert answer.status_code == 405 and answer.json()["error"]["code"]
    # A missing page asset is the route's own 404.
    assert requests.get(server.url + "/static/nothing.js", timeout=10).json()["error"]["code"] == "not_found"


def test_the_gateway_response_renders_the_same_error():
    response = not_found_gateway_responses()["MISSING_AUTHENTICATION_TOKEN"]
    assert response["statusCode"] == 404
    template = response["responseTemplates"]["application/json"]  # type: ignore[index]
    rendered = template.replace("$context.httpMethod", "GET").replace("$context.path", "/nope")
    assert json.loads(rendered) == {
        "error": {"code": "not_found", "message": "there is no GET /nope in this API: its routes are listed at /openapi.json"}
    }

"""The API of the submission loop, on both backends, through Chalice's test client."""

import json

import pytest
from chalice.test import Client

from app import app
from helpers import TEST_STAGE, campaign_body

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def client(svc):
    with Client(app, stage_name=TEST_STAGE) as client:
        yield client


def put(client, path, body):
    raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.http.put(path, headers=JSON, body=raw)


def post(client, path, body):
    raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.http.post(path, headers=JSON, body=raw)


def assert_error(response, status, code=None, mentions=()):
    assert response.status_code == status, response.body
    error = response.json_body["error"]
    assert error["message"]
    if code:
        assert error["code"] == code
    for word in mentions:
        assert word in error["message"]
    return error


# --- campaigns --------------------------------------------------------------------------------


def test_create_replace_get_and_list_campaigns(client):
    created = put(client, "/campaigns/autumn-26", campaign_body())
    assert created.status_code == 201
    assert created.json_body["guideline_version"] == 1
    replaced = put(client, "/campaigns/autumn-26", {**campaign_body(), "name": "Autumn 2026 (v2)"})
    assert replaced.status_code == 200
    assert replaced.json_body["guideline_version"] == 2
    put(client, "/campaigns/winter-26", {**campaign_body(), "start_date": "2026-12-01", "deadline": "2026-12-08"})

    one = client.http.get("/campaigns/autumn-26").json_body
    assert one["name"] == "Autumn 2026 (v2)"
    assert one["stores"] == ["S001", "S002"]
    assert [r["id"] for r in one["guideline"]["rules"]] == ["sharp", "exposed", "level"]
    # Defaults are written out, so a reader sees the thresholds that will apply.
    assert one["guideline"]["rules"][0]["parameters"]["min"] is not None

    listed = client.http.get("/campaigns").json_body
    assert [c["campaign_id"] for c in listed["campaigns"]] == ["winter-26", "autumn-26"]
    assert set(listed["campaigns"][0]) >= {"campaign_id", "name", "stores", "start_date", "deadline"}

    first = client.http.get("/campaigns?limit=1").json_body
    assert len(first["campaigns"]) == 1 and first["cursor"]
    second = client.http.get(f"/campaigns?limit=1&cursor={first['cursor']}").json_body
    assert second["campaigns"][0]["campaign_id"] == "autumn-26"


def test_unknown_campaign(client):
    assert_error(client.http.get("/campaigns/nope"), 404, "campaign_not_found", ["nope"])
    assert_error(post(client, "/campaigns/nope/submissions", {"store_id": "S001", "content_type": "image/jpeg"}), 404, "campaign_not_found")


@pytest.mark.parametrize(
    "change, field",
    [
        ({"name": None}, "name"),
        ({"stores": []}, "stores"),
        ({"stores": ["S 1"]}, "stores"),
        ({"start_date": "yesterday"}, "start_date"),
        ({"deadline": "2026-10-01"}, "deadline"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_campaign_field_errors_name_the_field(client, change, field):
    body = {**campaign_body(), **change}
    body = {k: v for k, v in body.items() if v is not None}
    assert_error(put(client, "/campaigns/c1", body), 400, "invalid_input", [field])


def test_missing_field(client):
    body = campaign_body()
    del body["stores"]
    assert_error(put(client, "/campaigns/c1", body), 400, mentions=["stores", "missing"])


def test_malformed_json_and_empty_body(client):
    assert_error(put(client, "/campaigns/c1", "{not json"), 400, "invalid_json")
    assert_error(put(client, "/campaigns/c1", ""), 400, "invalid_json")


def test_invalid_campaign_id(client):
    assert_error(put(client, "/campaigns/a%20b", campaign_body()), 400, "invalid_id")


def test_guideline_with_unknown_rule_type(client):
    body = campaign_body()
    body["guideline"]["rules"].append({"id": "x", "type": "hologram", "message": "m", "parameters": {}})
    error = assert_error(put(client, "/campaigns/c1", body), 400, "invalid_guideline")
    assert "guideline.rules[3].type" in error["message"] and "hologram" in error["message"]


def test_guideline_with_negative_threshold(client):
    body = campaign_body()
    body["guideline"]["rules"][0]["parameters"]["min"] = -5
    error = assert_error(put(client, "/campaigns/c1", body), 400, "invalid_guideline")
    assert "guideline.rules[0].parameters.min" in error["message"]


def test_wrong_content_type_of_request_gets_our_error_format(client):
    response = client.http.put("/campaigns/c1", headers={"Content-Type": "text/plain"}, body="x")
    assert_error(response, 415)


# --- submissions ------------------------------------------------------------------------------


@pytest.fixture
def campaign(client):
    assert put(client, "/campaigns/autumn-26", campaign_body()).status_code == 201
    return "autumn-26"


def test_create_submission_returns_a_presigned_post(client, campaign):
    response = post(client, f"/campaigns/{campaign}/submissions", {"store_id": "S001", "content_type": "image/jpeg"})
    assert response.status_code == 201
    body = response.json_body
    assert body["submission_id"].startswith("sub_")
    assert body["expires_in"] == 600
    fields = body["upload"]["fields"]
    # The service chooses the key: nothing of the client's text is in it.
    assert fields["key"] == f"incoming/{body['submission_id']}"
    assert fields["Content-Type"] == "image/jpeg"
    assert "policy" in fields

    status = client.http.get(f"/submissions/{body['submission_id']}").json_body
    assert status["status"] == "awaiting_upload"
    assert status["campaign_id"] == campaign and status["store_id"] == "S001"
    assert "result" not in status


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({"store_id": "S001", "content_type": "image/gif"}, 400, "unsupported_type"),
        ({"store_id": "S001", "content_type": "application/pdf"}, 400, "unsupported_type"),
        ({"store_id": "S999", "content_type": "image/jpeg"}, 422, "store_not_in_campaign"),
        ({"content_type": "image/jpeg"}, 400, "invalid_input"),
        ({"store_id": "S001"}, 400, "invalid_input"),
        ({"store_id": "S001", "content_type": "image/jpeg", "key": "../../etc"}, 400, "invalid_input"),
    ],
)
def test_bad_submission_requests(client, campaign, body, status, code):
    assert_error(post(client, f"/campaigns/{campaign}/submissions", body), status, code)


def test_submission_that_does_not_exist(client):
    assert_error(client.http.get("/submissions/sub_01JAAAAAAAAAAAAAAAAAAAAAAA"), 404, "submission_not_found")
    assert_error(client.http.get("/submissions/whatever"), 404, "submission_not_found")

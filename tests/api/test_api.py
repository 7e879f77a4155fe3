"""The API of the submission loop, on both backends, through Chalice's test client."""

import json

import pytest

from chalicelib.storage import layout
from tests.support.helpers import campaign_body, publish_campaign, store_rows

JSON = {"Content-Type": "application/json"}


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


def test_create_edit_get_and_list_campaigns(client):
    created = put(client, "/campaigns/autumn-26", campaign_body())
    assert created.status_code == 201
    assert created.json_body["guideline_version"] == 1 and created.json_body["status"] == "draft"
    renamed = put(client, "/campaigns/autumn-26", {**campaign_body(), "name": "Autumn 2026 (v2)"})
    assert renamed.status_code == 200
    assert renamed.json_body["guideline_version"] == 1  # the guideline did not change
    new_rules = campaign_body()
    new_rules["guideline"]["rules"][0]["parameters"]["min"] = 150
    assert put(client, "/campaigns/autumn-26", {**new_rules, "name": "Autumn 2026 (v2)"}).json_body["guideline_version"] == 2
    put(client, "/campaigns/winter-26", {**campaign_body(), "start_date": "2026-12-01", "deadline": "2026-12-08"})

    one = client.http.get("/campaigns/autumn-26").json_body
    assert one["name"] == "Autumn 2026 (v2)"
    assert one["targets"] == {"regions": [], "clusters": [], "stores": ["S001", "S002"]}
    assert [r["id"] for r in one["guideline"]["rules"]] == ["sharp", "exposed", "level"]
    # Defaults are written out, so a reader sees the thresholds that will apply.
    assert one["guideline"]["rules"][0]["parameters"]["min"] == 150

    versions = client.http.get("/campaigns/autumn-26/guidelines").json_body["versions"]
    assert [v["version"] for v in versions] == [2, 1]
    first_version = client.http.get("/campaigns/autumn-26/guidelines/1").json_body
    assert first_version["guideline"]["rules"][0]["parameters"]["min"] != 150
    assert_error(client.http.get("/campaigns/autumn-26/guidelines/9"), 404, "version_not_found")
    # A number of any length is a 400, not the runtime's int limit (4,300 digits) as a 500.
    assert_error(client.http.get("/campaigns/autumn-26/guidelines/" + "9" * 5000), 400, "invalid_input")

    listed = client.http.get("/campaigns").json_body
    assert [c["campaign_id"] for c in listed["campaigns"]] == ["winter-26", "autumn-26"]
    assert set(listed["campaigns"][0]) >= {"campaign_id", "name", "targets", "start_date", "deadline", "status"}

    first = client.http.get("/campaigns?limit=1").json_body
    assert len(first["campaigns"]) == 1 and first["cursor"]
    second = client.http.get(f"/campaigns?limit=1&cursor={first['cursor']}").json_body
    assert second["campaigns"][0]["campaign_id"] == "autumn-26"


def test_deeply_nested_json_is_a_400(client):
    for body in ("[" * 1000 + "]" * 1000, '{"a":' * 5000 + "1" + "}" * 5000):
        assert_error(client.send_json("PUT", "/campaigns/deep", body), 400, "invalid_json")


def test_unknown_campaign(client):
    assert_error(client.http.get("/campaigns/nope"), 404, "campaign_not_found", ["nope"])
    assert_error(
        post(client, "/campaigns/nope/submissions", {"store_id": "S001", "content_type": "image/jpeg"}), 404, "campaign_not_found"
    )


@pytest.mark.parametrize(
    "change, field",
    [
        ({"name": None}, "name"),
        ({"targets": {}}, "targets"),
        ({"targets": {"stores": ["S 1"]}}, "targets.stores"),
        ({"targets": {"regions": "north"}}, "targets.regions"),
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
    del body["targets"]
    assert_error(put(client, "/campaigns/c1", body), 400, mentions=["targets", "missing"])


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
    publish_campaign(client, "autumn-26")
    return "autumn-26"


# --- the campaign's life: draft, publish, close ------------------------------------------------


def test_a_draft_takes_no_photos_and_publishing_resolves_the_targets(client):
    put(client, "/stores", store_rows(("S001", "S002"), "north") + store_rows(("S003",), "south"))
    body = {**campaign_body(), "targets": {"regions": ["north"], "stores": ["S003"]}}
    assert put(client, "/campaigns/c1", body).status_code == 201
    photo = {"store_id": "S001", "content_type": "image/jpeg"}
    assert_error(post(client, "/campaigns/c1/submissions", photo), 409, "campaign_draft")
    published = client.http.post("/campaigns/c1/publish").json_body
    assert published == {"campaign_id": "c1", "status": "published", "target_count": 3, "new_targets": 3, "guideline_version": 1}
    assert client.http.post("/campaigns/c1/publish").json_body["new_targets"] == 0  # publishing again is safe
    assert post(client, "/campaigns/c1/submissions", photo).status_code == 201
    assert client.http.post("/campaigns/c1/close").json_body["status"] == "closed"
    assert_error(post(client, "/campaigns/c1/submissions", photo), 409, "campaign_closed")
    assert_error(put(client, "/campaigns/c1", body), 409, "campaign_closed")


def test_publishing_checks_the_stores_and_the_pack(client):
    put(client, "/stores", store_rows(("S001",)))
    assert put(client, "/campaigns/c1", {**campaign_body(), "targets": {"stores": ["S001", "S404"]}}).status_code == 201
    assert_error(client.http.post("/campaigns/c1/publish"), 422, "unknown_stores", ["S404"])
    assert put(client, "/campaigns/c2", {**campaign_body(), "targets": {"regions": ["nowhere"]}}).status_code == 201
    assert_error(client.http.post("/campaigns/c2/publish"), 422, "no_stores")
    with_poster = campaign_body(("S001",))
    with_poster["guideline"]["rules"].append(
        {"id": "poster", "type": "artwork_present", "message": "Hang the poster.", "parameters": {"artwork": "poster.png"}}
    )
    assert put(client, "/campaigns/c3", with_poster).status_code == 201
    assert_error(client.http.post("/campaigns/c3/publish"), 422, "pack_incomplete", ["poster.png"])


def test_a_published_campaign_keeps_its_dates_and_targets_only_grow(client):
    publish_campaign(client, "c1", stores=("S001",))
    put(client, "/stores", store_rows(("S002",)))
    assert_error(put(client, "/campaigns/c1", {**campaign_body(("S001",)), "deadline": "2099-12-31"}), 409, "dates_fixed")
    assert_error(put(client, "/campaigns/c1", campaign_body(("S002",))), 409, "targets_shrink", ["S001"])
    assert put(client, "/campaigns/c1", campaign_body(("S001", "S002"))).status_code == 200
    assert client.http.post("/campaigns/c1/publish").json_body["new_targets"] == 1


def test_deadlines_are_kept_in_each_stores_timezone(client, svc):
    put(
        client,
        "/stores",
        [
            {"store_id": "ROM", "name": "Roma", "region": "eu", "timezone": "Europe/Rome"},
            {"store_id": "NYC", "name": "New York", "region": "us", "timezone": "America/New_York"},
        ],
    )
    put(client, "/campaigns/c1", {**campaign_body(("ROM", "NYC")), "deadline": "2099-06-30"})
    client.http.post("/campaigns/c1/publish")
    rome = svc.campaigns.target("c1", "ROM")
    new_york = svc.campaigns.target("c1", "NYC")
    assert rome["deadline_at"].startswith("2099-06-30T21:59:59")  # 23:59:59 CEST
    assert new_york["deadline_at"].startswith("2099-07-01T03:59:59")  # 23:59:59 EDT
    store_view = client.as_("store", stores=("NYC",)).get("/campaigns/c1").json_body
    assert store_view["schedule"]["NYC"]["timezone"] == "America/New_York"
    assert "targets" not in store_view


def test_a_campaign_not_started_in_the_stores_timezone_takes_no_photos(client):
    publish_campaign(client, "later", body={**campaign_body(), "start_date": "2099-01-01", "deadline": "2099-01-08"})
    error = assert_error(
        post(client, "/campaigns/later/submissions", {"store_id": "S001", "content_type": "image/jpeg"}),
        409,
        "campaign_not_started",
    )
    assert "Europe/Rome" in error["message"]


def test_create_submission_returns_a_presigned_post(client, campaign):
    response = post(client, f"/campaigns/{campaign}/submissions", {"store_id": "S001", "content_type": "image/jpeg"})
    assert response.status_code == 201
    body = response.json_body
    assert body["submission_id"].startswith("sub_")
    assert body["expires_in"] == 600
    fields = body["upload"]["fields"]
    # The service chooses the key: nothing of the client's text is in it.
    assert fields["key"] == layout.upload_key(body["submission_id"])
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

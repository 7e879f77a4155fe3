"""Who may do what, route by route, for every kind of caller: no token, an expired or tampered
token, a store (its own store and another's), a merchandiser (inside and outside its region), HQ.

A caller outside its scope learns nothing: another store's submission is "not found", not
"forbidden"."""

from __future__ import annotations

import jwt
import pytest

from chalicelib.analyzer.processing import UploadProcessor
from chalicelib.storage.notifications import object_created_event
from tests.support.helpers import bearer, campaign_body, store_rows, token

PHOTO = {"content_type": "image/jpeg"}


class FixedAnalysis:
    result = {
        "verdict": "fail",
        "score": 0.5,
        "rules": [
            {"id": "sharp", "type": "photo_quality", "status": "fail", "value": 10.0, "threshold": {"min": 100.0}},
        ],
    }
    normalised_jpeg = thumbnail_jpeg = overlay_jpeg = b"\xff\xd8jpeg"


def tampered() -> dict[str, str]:
    """A store's token with its store list changed after signing."""
    real = token("store", stores=("S001",))
    header, _, signature = real.split(".")
    claims = jwt.decode(real, options={"verify_signature": False})
    forged = jwt.encode(
        {**claims, "custom:stores": "S001,S003"}, "a key that is not the service key, 32+ bytes", algorithm="HS256"
    ).split(".")[1]
    return {"Authorization": f"Bearer {header}.{forged}.{signature}"}


CALLERS = {
    "anonymous": lambda: {},
    "not a bearer": lambda: {"Authorization": "Basic dXNlcjpwYXNz"},
    "expired": lambda: bearer("hq", hours=-1),
    "tampered": tampered,
    "store S001": lambda: bearer("store", stores=("S001",)),
    "store S003": lambda: bearer("store", stores=("S003",)),
    "merchandiser north": lambda: bearer("merchandiser", regions=("north",)),
    "merchandiser south": lambda: bearer("merchandiser", regions=("south",)),
    "hq": lambda: bearer("hq"),
}
SIGNED_OUT = {"anonymous": 401, "not a bearer": 401, "expired": 401, "tampered": 401}


@pytest.fixture
def world(client, svc):
    """Stores S001, S002 (north) and S003 (south); campaign c1 for all of them, published; one
    analysed photo from S001 and one from S003."""
    client.send_json("PUT", "/stores", store_rows(("S001", "S002"), "north") + store_rows(("S003",), "south"))
    client.send_json("PUT", "/campaigns/c1", {**campaign_body(), "targets": {"regions": ["north", "south"]}})
    client.post("/campaigns/c1/publish")
    processor = UploadProcessor(
        svc.records, svc.blobs, svc.campaigns, svc.settings, analyse=lambda *_: FixedAnalysis(), counters=svc.counters
    )
    ids = {}
    for store in ("S001", "S003"):
        created = client.send_json("POST", "/campaigns/c1/submissions", {"store_id": store, **PHOTO}).json_body
        key = created["upload"]["fields"]["key"]
        svc.blobs.put(key, b"\xff\xd8photo", "image/jpeg")
        processor.handle_message(object_created_event("b", key, 10))
        ids[store] = created["submission_id"]
    return ids


def expect(client, method, path, body, expected: dict[str, int]):
    """Call the route as every caller; ``expected`` gives the status for each signed-in caller."""
    wanted = {**SIGNED_OUT, **expected}
    assert set(wanted) == set(CALLERS), f"the table for {path} must name every caller"
    seen = {}
    for name, headers in CALLERS.items():
        signed = client.anonymous()
        signed.headers = headers()
        response = signed.send_json(method, path, body) if body is not None else signed.request(method, path)
        seen[name] = response.status_code
        if response.status_code >= 400:
            assert response.json_body["error"]["message"], (name, path)
    assert seen == wanted


ROLES = ("store S001", "store S003", "merchandiser north", "merchandiser south", "hq")


def every(status: int) -> dict[str, int]:
    return {name: status for name in ROLES}


def only_hq(ok: int) -> dict[str, int]:
    return {**every(403), "hq": ok}


def test_reading_campaigns(client, world):
    expect(client, "GET", "/campaigns", None, every(200))
    expect(client, "GET", "/campaigns/c1", None, every(200))
    expect(client, "GET", "/campaigns/c1/guidelines", None, every(200))
    expect(client, "GET", "/showcase", None, every(200))


def test_managing_campaigns_and_stores_is_for_hq(client, world):
    expect(client, "PUT", "/campaigns/c2", campaign_body(), only_hq(201))
    expect(client, "POST", "/campaigns/c1/pack", {"name": "poster.png", "content_type": "image/png"}, only_hq(201))
    expect(client, "POST", "/campaigns/c1/publish", {}, only_hq(200))
    expect(client, "POST", "/campaigns/c1/rerun", {}, only_hq(202))
    expect(client, "PUT", "/stores", store_rows(("S009",)), only_hq(200))


def test_closing_is_for_hq(client, world):
    expect(client, "POST", "/campaigns/c1/close", {}, only_hq(200))


def test_the_store_list_is_for_merchandisers_of_the_region_and_hq(client, world):
    expect(client, "GET", "/stores", None, {**every(403), "merchandiser north": 200, "merchandiser south": 200, "hq": 200})
    expect(client, "GET", "/stores?region=south", None, {**every(403), "merchandiser south": 200, "hq": 200})


def test_a_store_submits_for_itself_only(client, world):
    expect(
        client, "POST", "/campaigns/c1/submissions", {"store_id": "S001", **PHOTO}, {**every(403), "store S001": 201, "hq": 201}
    )
    expect(client, "POST", "/campaigns/c1/submissions", {"store_id": "S002", **PHOTO}, {**every(403), "hq": 201})


def test_a_submission_is_seen_by_its_store_its_regions_merchandiser_and_hq(client, world):
    s001 = world["S001"]
    expect(client, "GET", f"/submissions/{s001}", None, {**every(200), "store S003": 404, "merchandiser south": 404})
    expect(client, "GET", f"/submissions/{s001}/history", None, {**every(200), "store S003": 404, "merchandiser south": 404})
    expect(client, "POST", f"/submissions/{s001}/retake", {}, {**every(403), "store S001": 201, "store S003": 404, "hq": 201})


def test_review_is_for_the_regions_merchandiser_and_hq(client, world):
    s001 = world["S001"]
    by_region = {**every(403), "merchandiser south": 404}
    expect(client, "POST", f"/submissions/{s001}/comments", {"text": "Nice"}, {**by_region, "merchandiser north": 201, "hq": 201})
    expect(
        client,
        "POST",
        f"/submissions/{s001}/overrides",
        {"rule_id": "sharp", "status": "pass"},
        {**by_region, "merchandiser north": 201, "hq": 201},
    )
    expect(
        client,
        "POST",
        f"/submissions/{s001}/review",
        {"decision": "approve"},
        {**by_region, "merchandiser north": 200, "hq": 200},
    )
    expect(
        client, "POST", f"/submissions/{s001}/feature", {"featured": True}, {**by_region, "merchandiser north": 200, "hq": 200}
    )


def test_the_gallery_shows_a_merchandiser_its_own_regions(client, world):
    expect(
        client,
        "GET",
        "/campaigns/c1/submissions",
        None,
        {**every(403), "merchandiser north": 200, "merchandiser south": 200, "hq": 200},
    )
    expect(client, "GET", "/campaigns/c1/submissions?region=south", None, {**every(403), "merchandiser south": 200, "hq": 200})
    north = client.as_("merchandiser", regions=("north",)).get("/campaigns/c1/submissions").json_body["submissions"]
    assert [c["store_id"] for c in north] == ["S001"]
    assert {c["store_id"] for c in client.get("/campaigns/c1/submissions").json_body["submissions"]} == {"S001", "S003"}


def test_notifications_are_read_by_their_store(client, world, backend):
    if backend == "aws":
        pytest.skip("in AWS the events go to the SNS topic's subscribers; the route answers 404 to everyone")
    expect(
        client,
        "GET",
        "/notifications?store_id=S003",
        None,
        {**every(403), "store S003": 200, "merchandiser south": 200, "hq": 200},
    )


def test_in_aws_notifications_are_the_topics_not_the_apis(client, backend):
    if backend == "local":
        pytest.skip("the local backend's outbox is read through the API")
    response = client.get("/notifications")
    assert response.status_code == 404, response.json_body
    assert response.json_body["error"] == {
        "code": "not_found",
        "message": "in AWS the events go to the SNS topic's subscribers (email, push), not to this API",
    }


def test_compliance_is_for_hq_and_merchandisers_of_its_regions_agreement_and_exports_for_hq(client, world):
    # A merchandiser reads its own regions' numbers (tests/api/test_merchandiser_compliance.py: which).
    for path in (
        "/compliance/campaigns/c1",
        "/compliance/campaigns/c1/stores",
        "/compliance/campaigns/c1/missing",
        "/compliance/campaigns/c1/rules",
        "/compliance/trends",
    ):
        expect(client, "GET", path, None, {**every(403), "merchandiser north": 200, "merchandiser south": 200, "hq": 200})
    expect(
        client,
        "GET",
        "/compliance/stores/S001",
        None,
        {**every(403), "merchandiser north": 200, "merchandiser south": 404, "hq": 200},
    )
    expect(client, "GET", "/compliance/agreement", None, only_hq(200))
    expect(client, "POST", "/exports", {"kind": "results", "campaign_id": "c1"}, only_hq(202))


def test_pages_and_the_api_description_are_public(client, world):
    for path in ("/", "/gallery", "/review", "/openapi.json"):
        expect(client, "GET", path, None, {**{name: 200 for name in SIGNED_OUT}, **every(200)})


def test_every_route_names_a_permission():
    from app import app

    for path, methods in app.routes.items():
        for method, entry in methods.items():
            assert hasattr(entry.view_function, "permission"), f"{method} {path} is registered without chalicelib.api.http.Routes"


def test_a_store_does_not_see_a_campaign_it_is_not_in_or_a_draft(client, world):
    client.send_json("PUT", "/campaigns/north-only", {**campaign_body(), "targets": {"regions": ["north"]}})
    store_south = client.as_("store", stores=("S003",))
    assert store_south.get("/campaigns/north-only").status_code == 404  # a draft
    client.post("/campaigns/north-only/publish")
    assert store_south.get("/campaigns/north-only").status_code == 404
    assert [c["campaign_id"] for c in store_south.get("/campaigns").json_body["campaigns"]] == ["c1"]
    store_north = client.as_("store", stores=("S001",))
    assert {c["campaign_id"] for c in store_north.get("/campaigns").json_body["campaigns"]} == {"c1", "north-only"}


def test_a_user_of_several_stores_lists_campaigns_per_store(client, world):
    both = client.as_("store", stores=("S001", "S003"))
    assert both.get("/campaigns").json_body["error"]["code"] == "store_required"
    assert [c["campaign_id"] for c in both.get("/campaigns?store_id=S003").json_body["campaigns"]] == ["c1"]
    assert both.get("/campaigns?store_id=S002").status_code == 403


def test_a_campaign_published_to_a_region_takes_photos_from_that_regions_stores_only(client, world):
    client.send_json("PUT", "/campaigns/north-only", {**campaign_body(), "targets": {"regions": ["north"]}})
    client.post("/campaigns/north-only/publish")
    for store, status in (("S001", 201), ("S002", 201), ("S003", 404)):
        own = client.as_("store", stores=(store,))
        assert own.send_json("POST", "/campaigns/north-only/submissions", {"store_id": store, **PHOTO}).status_code == status
    assert client.send_json("POST", "/campaigns/north-only/submissions", {"store_id": "S003", **PHOTO}).status_code == 422


def test_cognito_claims_as_api_gateway_renders_them():
    from chalicelib.core.auth import caller_from_claims

    caller = caller_from_claims(
        {
            "cognito:username": "3f1c-uuid",
            "email": "giulia@brand.example",
            "cognito:groups": "[merchandiser]",
            "custom:regions": "north,centre",
        }
    )
    assert (caller.username, caller.role, caller.regions) == (
        "giulia@brand.example",
        "merchandiser",
        frozenset({"north", "centre"}),
    )
    assert caller_from_claims({"cognito:groups": "store hq", "custom:stores": "S001"}).role == "hq"

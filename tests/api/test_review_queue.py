"""The gallery's review queue through the API, on both backends: one tile per store over more than
one page of a campaign's stores, filtered by the server (failed rule, state, review, region,
store) and not-reviewed-first across pages; earlier attempts stacked; overrides taken back;
decisions the server refuses in words; bulk approval with an answer per photo."""

import json

import pytest

from chalicelib.analyzer.processing import UploadProcessor
from chalicelib.storage import layout
from chalicelib.storage.notifications import object_created_event
from chalicelib.vision.intake import IntakeRejected
from tests.support.helpers import campaign_body, hq_caller, settle_notices

JSON = {"Content-Type": "application/json"}
STORES = [f"S{n:03d}" for n in range(1, 61)]  # 60 stores: more than one page of 50


def region_of(store: str) -> str:
    return "north" if int(store[1:]) % 2 else "south"


def failing(store: str) -> str | None:
    """S003, S006, …: the poster is missing; S001, S004, …: the photo is blurred; the rest pass."""
    return {0: "poster", 1: "sharp", 2: None}[int(store[1:]) % 3]


class Analysis:
    def __init__(self, failed: str | None):
        rules = [
            {"id": rule, "type": "photo_quality", "status": "fail" if rule == failed else "pass", "value": 1.0}
            for rule in ("sharp", "poster")
        ]
        self.result = {"verdict": "fail" if failed else "pass", "score": 0.5 if failed else 1.0, "rules": rules}
        self.normalised_jpeg = self.thumbnail_jpeg = self.overlay_jpeg = b"\xff\xd8jpeg"


def analyse(photo: bytes, *_):
    """The photo's bytes say what the stand-in analysis finds: b"...|<failed rule or pass or refuse>"."""
    said = photo.decode(errors="replace").rsplit("|", 1)[1]
    if said == "refuse":
        raise IntakeRejected("not_an_image", "The file is not a photo.")
    return Analysis(None if said == "pass" else said)


@pytest.fixture
def shop(svc, client):
    """60 stores in two regions, each with one analysed photo; the processor to send more."""
    rows = [{"store_id": s, "name": f"Store {s}", "region": region_of(s), "timezone": "Europe/Rome"} for s in STORES]
    assert client.send_json("PUT", "/stores", rows).status_code == 200
    assert client.send_json("PUT", "/campaigns/c1", campaign_body(STORES)).status_code in (200, 201)
    assert client.post("/campaigns/c1/publish").status_code == 200
    processor = UploadProcessor(
        svc.records, svc.blobs, svc.campaigns, svc.settings, analyse=analyse, events=svc.events, counters=svc.counters
    )

    def photo(store: str, finding: str | None) -> str:
        created = svc.submissions.create(hq_caller(), "c1", {"store_id": store, "content_type": "image/jpeg"})
        key = created["upload"]["fields"]["key"]
        svc.blobs.put(key, b"\xff\xd8photo|" + (finding or "pass").encode(), "image/jpeg")
        processor.handle_message(object_created_event("b", key, 10))
        return created["submission_id"]

    ids = {store: photo(store, failing(store)) for store in STORES}
    return ids, photo


def post(client, path, body):
    return client.http.post(path, headers=JSON, body=json.dumps(body))


def every_tile(client, query: str, limit: int = 50) -> list[dict]:
    """Every page of a listing, following the cursor."""
    tiles, cursor = [], None
    while True:
        page = client.http.get(f"/campaigns/c1/windows?limit={limit}&{query}" + (f"&cursor={cursor}" if cursor else ""))
        assert page.status_code == 200, page.body
        tiles += page.json_body["windows"]
        if not (cursor := page.json_body["cursor"]):
            return tiles


def stores_of(tiles: list[dict]) -> list[str]:
    return [t["store_id"] for t in tiles]


def test_filters_apply_to_every_store_of_the_campaign_not_a_loaded_page(client, shop):
    poster = every_tile(client, "rule_id=poster", limit=7)
    assert sorted(stores_of(poster)) == [s for s in STORES if failing(s) == "poster"]  # 20, over three pages
    assert all(t["failed_rules"] == ["poster"] and t["store_name"] == f"Store {t['store_id']}" for t in poster)
    south_poster = every_tile(client, "rule_id=poster&region=south")
    assert sorted(stores_of(south_poster)) == [s for s in STORES if int(s[1:]) % 6 == 0]
    passed = every_tile(client, "state=pass&region=north", limit=4)
    assert sorted(stores_of(passed)) == [s for s in STORES if failing(s) is None and region_of(s) == "north"]
    assert stores_of(every_tile(client, "store_id=S042&rule_id=poster")) == ["S042"]
    assert every_tile(client, "store_id=S042&rule_id=sharp") == []
    assert len(every_tile(client, "")) == 60
    for bad in ("rule_id=no%20such", "review=maybe", "state=lost"):
        assert client.http.get(f"/campaigns/c1/windows?{bad}").status_code == 400


def test_not_reviewed_first_across_pages_and_the_indexes_follow_decisions(client, shop):
    ids, _ = shop
    for store in ("S003", "S004", "S059"):
        assert post(client, f"/submissions/{ids[store]}/review", {"decision": "approve"}).status_code == 200
    assert post(client, f"/submissions/{ids['S006']}/review", {"decision": "reject"}).status_code == 200
    tiles = every_tile(client, "", limit=9)
    order = stores_of(tiles)
    reviewed = {"S003", "S004", "S059", "S006"}
    assert set(order[-4:]) == reviewed and not reviewed & set(order[:-4])  # the decided ones after every open one
    assert [t["review"] for t in tiles[-4:]] == ["rejected", "approved", "approved", "approved"]
    # Open ones: failures first (the model's fails), then the passes.
    open_tiles = tiles[:-4]
    assert [t["state"] for t in open_tiles] == sorted((t["state"] for t in open_tiles), key=["fail", "pass"].index)
    assert sorted(stores_of(every_tile(client, "review=reviewed"))) == sorted(reviewed)
    assert len(every_tile(client, "review=open")) == 56
    # The failed-rule filter follows the review queue: S003 still fails the poster, reviewed and passed.
    poster = every_tile(client, "rule_id=poster&review=reviewed")
    assert sorted((t["store_id"], t["state"]) for t in poster) == [("S003", "pass"), ("S006", "fail")]


def test_a_retake_stacks_the_earlier_photo_and_leaves_the_rule_it_no_longer_fails(client, shop):
    ids, photo = shop
    first = ids["S009"]
    second = photo("S009", None)
    (tile,) = every_tile(client, "store_id=S009")
    assert tile["submission_id"] == second and tile["state"] == "pass" and tile["attempts"] == 2
    assert [e["submission_id"] for e in tile["earlier"]] == [first]
    assert tile["earlier"][0]["state"] == "fail" and tile["earlier"][0]["thumbnail"]
    assert "S009" not in stores_of(every_tile(client, "rule_id=poster"))
    third = photo("S009", "sharp")
    (tile,) = every_tile(client, "store_id=S009")
    assert tile["attempts"] == 3 and [e["submission_id"] for e in tile["earlier"]] == [second, first]
    assert "S009" in stores_of(every_tile(client, "rule_id=sharp")) and tile["submission_id"] == third


def test_an_override_moves_the_tile_and_can_be_taken_back(client, shop):
    ids, _ = shop
    sid = ids["S012"]
    assert post(client, f"/submissions/{sid}/overrides", {"rule_id": "poster", "status": "pass"}).status_code == 201
    assert "S012" not in stores_of(every_tile(client, "rule_id=poster"))
    withdrawn = client.request("DELETE", f"/submissions/{sid}/overrides/poster")
    assert withdrawn.status_code == 200 and withdrawn.json_body["status"] == "fail" and withdrawn.json_body["overrides"] == {}
    assert client.http.get(f"/submissions/{sid}").json_body["overrides"] == {}
    assert "S012" in stores_of(every_tile(client, "rule_id=poster"))
    again = client.request("DELETE", f"/submissions/{sid}/overrides/poster")  # a retry: the same answer, nothing written
    assert again.status_code == 200 and again.json_body == withdrawn.json_body
    assert client.request("DELETE", f"/submissions/{sid}/overrides/nope").status_code == 400
    events = client.http.get(f"/submissions/{sid}/history").json_body["events"]
    assert [(e["action"], e["rule_id"], e["old"], e["new"]) for e in events] == [
        ("override", "poster", "fail", "pass"),
        ("override:withdraw", "poster", "pass", "fail"),
    ]


def test_the_server_refuses_approving_a_non_photo_and_featuring_a_rejected_window(client, shop):
    ids, photo = shop
    refused = photo("S015", "refuse")
    (tile,) = every_tile(client, "store_id=S015")
    assert tile["submission_id"] == refused and tile["state"] == "retake" and tile["reason_code"] == "not_an_image"
    assert tile["thumbnail"] is None and tile["attempts"] == 2
    approve = post(client, f"/submissions/{refused}/review", {"decision": "approve"})
    assert approve.status_code == 409 and approve.json_body["error"]["code"] == "not_a_photo"
    assert "retake" in approve.json_body["error"]["message"]
    assert post(client, f"/submissions/{refused}/review", {"decision": "retake"}).status_code == 200
    assert post(client, f"/submissions/{ids['S018']}/review", {"decision": "reject", "comment": "No."}).status_code == 200
    feature = post(client, f"/submissions/{ids['S018']}/feature", {})
    assert feature.status_code == 409 and feature.json_body["error"]["code"] == "window_rejected"
    assert "rejected" in feature.json_body["error"]["message"]


def test_bulk_approval_answers_for_each_photo(svc, client, shop, backend):
    ids, photo = shop
    refused = photo("S021", "refuse")
    giulia = client.as_("merchandiser", regions=("north",), username="giulia")
    body = {"submission_ids": [ids["S001"], refused, ids["S002"], ids["S005"], ids["S001"]], "decision": "approve"}
    answer = post(giulia, "/reviews", body)
    assert answer.status_code == 200
    results = answer.json_body["results"]
    assert [(r["submission_id"], r["ok"]) for r in results] == [
        (ids["S001"], True),
        (refused, False),
        (ids["S002"], False),  # south: not giulia's
        (ids["S005"], True),
    ]
    assert results[1]["error"]["code"] == "not_a_photo" and results[1]["status"] == 409
    assert results[2]["status"] == 404 and answer.json_body["decided"] == 2
    assert results[0]["review"]["state"] == "approved" and results[0]["review"]["by"] == "giulia"
    assert post(client, "/reviews", {"submission_ids": [], "decision": "approve"}).status_code == 400
    if backend == "local":  # one message per decided photo, once the window has passed
        settle_notices(svc)
        told = client.http.get("/notifications?store_id=S001").json_body["notifications"]
        assert [e["type"] for e in told].count("review.decided") == 1


def test_a_merchandiser_asking_for_another_region_is_told_so(client, shop):
    giulia = client.as_("merchandiser", regions=("north",), username="giulia")
    refused = giulia.http.get("/campaigns/c1/windows?region=south")
    assert refused.status_code == 403 and refused.json_body["error"]["code"] == "out_of_scope"
    assert "north" in refused.json_body["error"]["message"]
    assert {t["region"] for t in every_tile(giulia, "")} == {"north"}


def test_a_campaign_from_before_the_queue_is_put_in_it_on_its_first_gallery_read(client, svc, shop):
    """Targets as they were written before gsi3: no queue keys, no markers, no review in the
    outcome, no mark on the campaign. The first listing indexes them, once."""
    ids, _ = shop
    assert post(client, f"/submissions/{ids['S003']}/review", {"decision": "approve"}).status_code == 200
    campaign_pk, _ = layout.campaign_key("c1")
    for page_items in _every_target(svc):
        for target in page_items:
            old = {k: v for k, v in target.items() if k not in ("gsi3pk", "gsi3sk", "earlier", "attempts")}
            if old.get("outcome"):
                old["outcome"] = {k: v for k, v in old["outcome"].items() if k not in ("review", "reason_code")}
            svc.records.put(old)
    for store in STORES:
        for rule in ("sharp", "poster"):
            svc.records.delete(*layout.failed_rule_key("c1", rule, store))
    svc.records.update(campaign_pk, "CAMPAIGN", remove=("review_queue",))
    assert svc.records.query(layout.review_queue_partition("c1", False, "fail"), index="gsi3").items == []

    assert len(every_tile(client, "")) == 60
    assert sorted(stores_of(every_tile(client, "rule_id=poster"))) == [s for s in STORES if failing(s) == "poster"]
    assert stores_of(every_tile(client, "review=reviewed")) == ["S003"]  # its review read from the photo
    assert svc.records.get(campaign_pk, "CAMPAIGN")["review_queue"] == 1


def _every_target(svc):
    cursor = None
    while True:
        page = svc.records.query(layout.campaign_key("c1")[0], sk_prefix=layout.TARGET_PREFIX, limit=100, cursor=cursor)
        yield page.items
        if not (cursor := page.cursor):
            return

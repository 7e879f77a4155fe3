"""The store list on both backends: imported from JSON or CSV, listed by region; a submission
keeps its store's region so the gallery lists a region's photos."""

import json

from tests.support.helpers import campaign_body, hq_caller

CSV = """store_id,name,region,cluster,timezone
S001,Milano Duomo,north,flagship,Europe/Rome
S002,Roma Corso,centre,high-street,Europe/Rome
S003,Torino Centro,north,high-street,Europe/Rome
"""


def test_import_csv_then_list_by_region(client):
    response = client.http.put("/stores", headers={"Content-Type": "text/csv"}, body=CSV)
    assert response.status_code == 200 and response.json_body == {"imported": 3}
    north = client.http.get("/stores?region=north").json_body["stores"]
    assert [s["store_id"] for s in north] == ["S001", "S003"]
    assert north[0] == {
        "store_id": "S001",
        "name": "Milano Duomo",
        "region": "north",
        "cluster": "flagship",
        "timezone": "Europe/Rome",
    }
    assert len(client.http.get("/stores").json_body["stores"]) == 3


def test_import_json_updates_a_store(client):
    client.http.put("/stores", headers={"Content-Type": "text/csv"}, body=CSV)
    moved = [{"store_id": "S002", "name": "Roma Corso", "region": "south", "timezone": "Europe/Rome"}]
    assert client.http.put("/stores", headers={"Content-Type": "application/json"}, body=json.dumps(moved)).status_code == 200
    assert [s["store_id"] for s in client.http.get("/stores?region=south").json_body["stores"]] == ["S002"]


def test_bad_rows_name_the_row_and_field_and_nothing_is_written(client):
    rows = [
        {"store_id": "S001", "name": "ok", "region": "north"},
        {"store_id": "S 2", "name": "x", "region": "north", "timezone": "Mars/Olympus"},
    ]
    response = client.http.put("/stores", headers={"Content-Type": "application/json"}, body=json.dumps(rows))
    assert response.status_code == 400
    message = response.json_body["error"]["message"]
    assert "stores[1].store_id" in message and "stores[1].timezone" in message
    assert client.http.get("/stores").json_body["stores"] == []


def test_a_submission_keeps_its_stores_region_for_the_gallery(client, svc):
    client.http.put("/stores", headers={"Content-Type": "text/csv"}, body=CSV)
    client.send_json("PUT", "/campaigns/c1", {**campaign_body(), "targets": {"regions": ["north", "centre"]}})
    client.post("/campaigns/c1/publish")
    for store in ("S001", "S002", "S003"):
        svc.submissions.create(hq_caller(), "c1", {"store_id": store, "content_type": "image/jpeg"})
    cards = client.http.get("/campaigns/c1/submissions").json_body["submissions"]
    assert {c["region"] for c in cards} == {"north", "centre"}
    centre = client.http.get("/campaigns/c1/submissions?region=centre").json_body["submissions"]
    assert [c["store_id"] for c in centre] == ["S002"]


def test_campaigns_target_stores_by_cluster(client):
    client.http.put("/stores", headers={"Content-Type": "text/csv"}, body=CSV)
    client.send_json("PUT", "/campaigns/c1", {**campaign_body(), "targets": {"clusters": ["high-street"]}})
    assert client.post("/campaigns/c1/publish").json_body["target_count"] == 2

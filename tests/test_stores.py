"""The store list on both backends: imported from JSON or CSV, listed by region; a submission
keeps its store's region so the gallery can filter by it."""

import json

import pytest
from chalice.test import Client

from app import app
from helpers import TEST_STAGE, campaign_body

CSV = """store_id,name,region,cluster,timezone
S001,Milano Duomo,north,flagship,Europe/Rome
S002,Roma Corso,centre,high-street,Europe/Rome
S003,Torino Centro,north,high-street,Europe/Rome
"""


@pytest.fixture
def client(svc):
    with Client(app, stage_name=TEST_STAGE) as client:
        yield client


def test_import_csv_then_list_by_region(client):
    response = client.http.put("/stores", headers={"Content-Type": "text/csv"}, body=CSV)
    assert response.status_code == 200 and response.json_body == {"imported": 3}
    north = client.http.get("/stores?region=north").json_body["stores"]
    assert [s["store_id"] for s in north] == ["S001", "S003"]
    assert north[0] == {"store_id": "S001", "name": "Milano Duomo", "region": "north", "cluster": "flagship", "timezone": "Europe/Rome"}
    assert len(client.http.get("/stores").json_body["stores"]) == 3


def test_import_json_updates_a_store(client):
    client.http.put("/stores", headers={"Content-Type": "text/csv"}, body=CSV)
    moved = [{"store_id": "S002", "name": "Roma Corso", "region": "south", "timezone": "Europe/Rome"}]
    assert client.http.put("/stores", headers={"Content-Type": "application/json"}, body=json.dumps(moved)).status_code == 200
    assert [s["store_id"] for s in client.http.get("/stores?region=south").json_body["stores"]] == ["S002"]


def test_bad_rows_name_the_row_and_field_and_nothing_is_written(client):
    rows = [{"store_id": "S001", "name": "ok", "region": "north"}, {"store_id": "S 2", "name": "x", "region": "north", "timezone": "Mars/Olympus"}]
    response = client.http.put("/stores", headers={"Content-Type": "application/json"}, body=json.dumps(rows))
    assert response.status_code == 400
    message = response.json_body["error"]["message"]
    assert "stores[1].store_id" in message and "stores[1].timezone" in message
    assert client.http.get("/stores").json_body["stores"] == []


def test_a_submission_keeps_its_stores_region_for_the_gallery(client, svc):
    client.http.put("/stores", headers={"Content-Type": "text/csv"}, body=CSV)
    client.http.put("/campaigns/c1", headers={"Content-Type": "application/json"}, body=json.dumps(campaign_body()))
    svc.submissions.create("c1", {"store_id": "S002", "content_type": "image/jpeg"})
    [card] = client.http.get("/campaigns/c1/submissions").json_body["submissions"]
    assert card["region"] == "centre"

"""The campaign set-up's target picker reads the store list through its directory, never whole:
the regions and clusters with their stores, a search by id or by the start of a word of the name,
and the exact reach of a campaign's targets; all kept as the list is imported."""

from __future__ import annotations

from tests.support.helpers import campaign_body

STORES = [
    {"store_id": "S001", "name": "Milano Duomo", "region": "north", "cluster": "flagship"},
    {"store_id": "S002", "name": "Torino Roma", "region": "north", "cluster": ""},
    {"store_id": "S003", "name": "Roma Corso", "region": "centre", "cluster": "flagship"},
    {"store_id": "S004", "name": "Città di Castello", "region": "centre", "cluster": "outlet"},
    {"store_id": "X100", "name": "Napoli Toledo", "region": "south", "cluster": ""},
]


def ids(answer) -> list[str]:
    return [s["store_id"] for s in answer.json_body["stores"]]


def test_facets_count_the_stores_per_region_and_cluster(client):
    assert client.send_json("PUT", "/stores", STORES).status_code == 200
    facets = client.get("/stores/facets").json_body
    assert facets["stores"] == 5
    assert facets["regions"] == [
        {"region": "centre", "stores": 2},
        {"region": "north", "stores": 2},
        {"region": "south", "stores": 1},
    ]
    assert facets["clusters"] == [{"cluster": "flagship", "stores": 2}, {"cluster": "outlet", "stores": 1}]
    # An upsert that moves a store: the facets follow.
    client.send_json("PUT", "/stores", [{**STORES[1], "region": "south", "cluster": "outlet"}])
    facets = client.get("/stores/facets").json_body
    assert {r["region"]: r["stores"] for r in facets["regions"]} == {"centre": 2, "north": 1, "south": 2}
    assert {c["cluster"]: c["stores"] for c in facets["clusters"]} == {"flagship": 2, "outlet": 2}
    north = client.as_("merchandiser", regions=("north",)).get("/stores/facets").json_body
    assert north == {
        "stores": 1,
        "regions": [{"region": "north", "stores": 1}],
        "clusters": [{"cluster": "flagship", "stores": 1}],
    }


def test_search_by_id_or_the_start_of_a_word_of_the_name(client):
    client.send_json("PUT", "/stores", STORES)
    assert ids(client.get("/stores/search?q=S00")) == ["S001", "S002", "S003", "S004"]
    assert ids(client.get("/stores/search?q=x1")) == ["X100"]  # in capitals too
    assert ids(client.get("/stores/search?q=roma")) == ["S002", "S003"]  # by word, then id
    assert ids(client.get("/stores/search?q=citta")) == ["S004"]  # without accents
    assert ids(client.get("/stores/search?q=Duo")) == ["S001"]
    assert ids(client.get("/stores/search?q=S00&limit=2")) == ["S001", "S002"]
    assert ids(client.get("/stores/search?q=nowhere")) == []
    # A renamed store is found by its new name only.
    client.send_json("PUT", "/stores", [{**STORES[0], "name": "Milano Brera"}])
    assert ids(client.get("/stores/search?q=duomo")) == []
    assert ids(client.get("/stores/search?q=brera")) == ["S001"]
    # A merchandiser finds its regions' stores only.
    assert ids(client.as_("merchandiser", regions=("centre",)).get("/stores/search?q=roma")) == ["S003"]
    for bad in ("/stores/search", "/stores/search?q=%20", "/stores/search?q=S&limit=0", "/stores/search?q=S&limit=x"):
        answer = client.get(bad)
        assert answer.status_code == 400 and answer.json_body["error"]["message"], bad
    assert client.as_("store", stores=("S001",)).get("/stores/search?q=S").status_code == 403


def test_the_reach_of_targets_is_what_publishing_resolves(client):
    client.send_json("PUT", "/stores", STORES)
    cases = [
        ({"regions": ["north"]}, 2),
        ({"clusters": ["flagship"]}, 2),
        ({"regions": ["north"], "clusters": ["flagship"]}, 3),  # S001 is in both: counted once
        ({"regions": ["north"], "stores": ["S001", "X100"]}, 3),
        ({"stores": ["S004"]}, 1),
        ({}, 0),
    ]
    for n, (targets, expected) in enumerate(cases):
        answer = client.send_json("POST", "/stores/reach", targets).json_body
        assert answer["stores"] == expected, targets
        if not targets:
            continue
        campaign = {**campaign_body(), "targets": {"regions": [], "clusters": [], "stores": [], **targets}}
        assert client.send_json("PUT", f"/campaigns/r{n}", campaign).status_code == 201
        assert client.post(f"/campaigns/r{n}/publish").json_body["target_count"] == expected, targets
    named = client.send_json("POST", "/stores/reach", {"stores": ["S001", "S999"]}).json_body
    assert [s["name"] for s in named["named"]] == ["Milano Duomo"] and named["unknown"] == ["S999"]
    bad = client.send_json("POST", "/stores/reach", {"regions": ["no spaces"]})
    assert bad.status_code == 400 and "ids must be" in bad.json_body["error"]["message"]
    assert client.as_("merchandiser", regions=("north",)).send_json("POST", "/stores/reach", {}).status_code == 403


def test_a_list_imported_before_the_directory_is_indexed_on_first_read(client, svc):
    from chalicelib.storage import layout

    client.send_json("PUT", "/stores", STORES)
    svc.records.delete(*layout.store_facets_key())
    assert client.get("/stores/facets").json_body["stores"] == 5


def test_an_import_writes_only_what_changed(client, svc, monkeypatch):
    """A list sent again whole to change a few stores writes those stores, their words and the
    counts; sent again unchanged, it writes nothing (bench/bench_store_import.py: at 10,000)."""
    from collections import Counter

    stores = [
        {"store_id": f"S{n:04d}", "name": f"Negozio {n} Centro", "region": f"r{n % 4}", "cluster": "mall"} for n in range(300)
    ]
    assert client.send_json("PUT", "/stores", stores).status_code == 200
    written: Counter[str] = Counter()
    real = {name: getattr(svc.records, name) for name in ("put", "put_many", "update", "delete", "transact")}

    def counting(name):
        def call(*args, **kwargs):
            written[name] += len(args[0]) if name in ("put_many", "transact") else 1
            return real[name](*args, **kwargs)

        return call

    for name in real:
        monkeypatch.setattr(svc.records, name, counting(name))
    assert client.send_json("PUT", "/stores", stores).status_code == 200
    assert sum(written.values()) == 0  # nothing changed, nothing written
    changed = [dict(s) for s in stores]
    changed[0]["name"] = "Negozio Duomo"  # two words gone ("0", "centro"), one new, one shows the new name
    changed[1]["region"] = "r9"  # moved: its three words and the counts
    changed[2]["timezone"] = "Europe/Paris"  # the store only: its words show no timezone
    assert client.send_json("PUT", "/stores", changed).status_code == 200
    # S0000: 2 words written, 2 deleted; S0001: its 3 words; the 3 stores; the facets
    assert written == Counter({"put_many": 2 + 3 + 3, "delete": 2, "put": 1})
    assert ids(client.get("/stores/search?q=duomo")) == ["S0000"]
    assert "S0000" not in ids(client.get("/stores/search?q=centro&limit=50"))
    facets = client.get("/stores/facets").json_body
    assert {r["region"]: r["stores"] for r in facets["regions"]} == {"r0": 75, "r1": 74, "r2": 75, "r3": 75, "r9": 1}

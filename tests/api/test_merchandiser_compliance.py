"""A merchandiser reads HQ's compliance numbers for its own regions only: every figure from its
regions' counters, store lists of its regions, and nothing of another region — not a count, not a
store, not whether a campaign or a store exists. The actions on the whole network (agreement and
thresholds, reminders, exports, campaign set-up) stay HQ's."""

from __future__ import annotations

import json

from tests.api.test_compliance import hq, photographer  # noqa: F401 (fixtures)
from tests.support.helpers import campaign_body

ROUTES = ("", "/stores", "/missing", "/rules")


def numbers(hq, photographer):  # noqa: F811
    """c1 (north: S001 pass, S002 fail; south: S003 fail), c-south (S003 only), a draft for both regions."""
    photographer("S001", "pass")
    photographer("S002", "fail", sharpness=40.0)
    photographer("S003", "fail", sharpness=30.0)
    hq.send_json("PUT", "/campaigns/c-south", {**campaign_body(), "targets": {"stores": ["S003"]}})
    assert hq.post("/campaigns/c-south/publish").status_code == 200
    hq.send_json("PUT", "/campaigns/c-draft", {**campaign_body(), "targets": {"regions": ["north", "south"]}})


def test_the_campaigns_figures_are_its_regions_counters_only(hq, photographer):  # noqa: F811
    numbers(hq, photographer)
    north = hq.as_("merchandiser", regions=("north",)).get("/compliance/campaigns/c1").json_body
    assert north["scope"] == ["north"] and [r["region"] for r in north["regions"]] == ["north"]
    overall = north["overall"]
    assert overall["targeted"] == 2 and overall["submitted"] == 2
    assert overall["states"] == {"missing": 0, "pass": 1, "fail": 1, "review": 0, "retake": 0}
    assert overall["compliance_rate"] == 0.5
    assert north["rules"] == [{"rule_id": "sharp", "statuses": {"pass": 1, "fail": 1}, "pass_rate": 0.5}]
    assert "south" not in json.dumps(north) and "S003" not in json.dumps(north)
    network = hq.get("/compliance/campaigns/c1").json_body
    assert network["scope"] is None and network["overall"]["targeted"] == 3 and network["overall"]["states"]["fail"] == 2
    # Two regions: both regions' counters, summed (the same as HQ's here, where the campaign has no other).
    both = hq.as_("merchandiser", regions=("north", "south")).get("/compliance/campaigns/c1").json_body
    assert both["overall"] == network["overall"] and both["scope"] == ["north", "south"]
    spread = hq.as_("merchandiser", regions=("south",)).get("/compliance/campaigns/c1/rules").json_body["rules"]
    assert [(r["rule_id"], r["pass_rate"], [g["region"] for g in r["regions"]]) for r in spread] == [("sharp", 0.0, ["south"])]


def test_store_lists_are_its_regions_one_at_a_time(hq, photographer):  # noqa: F811
    numbers(hq, photographer)
    north = hq.as_("merchandiser", regions=("north",))
    stores = north.get("/compliance/campaigns/c1/stores").json_body["stores"]
    assert sorted(s["store_id"] for s in stores) == ["S001", "S002"]
    assert north.get("/compliance/campaigns/c1/missing").json_body["stores"] == []
    for path in ("/stores?region=south", "/missing?region=south", "/stores?state=fail&region=south"):
        refused = north.get("/compliance/campaigns/c1" + path)
        assert refused.status_code == 403 and "its own regions" in refused.json_body["error"]["message"], path
    both = hq.as_("merchandiser", regions=("north", "south"))
    refused = both.get("/compliance/campaigns/c1/stores")
    assert refused.status_code == 403 and "?region=" in refused.json_body["error"]["message"]
    assert both.get("/compliance/campaigns/c1/missing?region=south").json_body["stores"] == []  # S003 sent a photo
    assert [s["store_id"] for s in both.get("/compliance/campaigns/c1/stores?region=south").json_body["stores"]] == ["S003"]


def test_a_campaign_outside_its_regions_answers_as_a_missing_one(hq, photographer):  # noqa: F811
    numbers(hq, photographer)
    north = hq.as_("merchandiser", regions=("north",))
    for route in ROUTES:
        missing = north.get(f"/compliance/campaigns/no-such{route}")
        assert missing.status_code == 404, route
        for hidden in ("c-south", "c-draft"):
            answer = north.get(f"/compliance/campaigns/{hidden}{route}")
            assert answer.status_code == 404, (hidden, route)
            assert answer.json_body == json.loads(json.dumps(missing.json_body).replace("no-such", hidden)), (hidden, route)
    assert hq.as_("merchandiser", regions=("south",)).get("/compliance/campaigns/c-south").status_code == 200


def test_trends_and_store_histories_are_its_regions(hq, photographer):  # noqa: F811
    numbers(hq, photographer)
    north = hq.as_("merchandiser", regions=("north",))
    trends = north.get("/compliance/trends").json_body
    assert trends["region"] == "north" and trends["total"]["targeted"] == 2
    assert north.get("/compliance/trends?region=south").status_code == 403
    assert hq.as_("merchandiser", regions=("north", "south")).get("/compliance/trends").status_code == 403
    assert north.get("/compliance/stores/S001").json_body["campaigns"][0]["state"] == "pass"
    hidden, unknown = north.get("/compliance/stores/S003"), north.get("/compliance/stores/S999")
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json_body["error"]["message"] == unknown.json_body["error"]["message"].replace("S999", "S003")


def test_the_network_actions_stay_hqs(hq, photographer):  # noqa: F811
    numbers(hq, photographer)
    north = hq.as_("merchandiser", regions=("north",))
    assert north.get("/compliance/agreement?campaign_id=c1").status_code == 403
    assert north.send_json("POST", "/compliance/campaigns/c1/reminders", {"store_ids": ["S002"]}).status_code == 403
    assert north.send_json("POST", "/exports", {"kind": "results", "campaign_id": "c1"}).status_code == 403
    assert north.send_json("PUT", "/campaigns/c1", campaign_body()).status_code == 403

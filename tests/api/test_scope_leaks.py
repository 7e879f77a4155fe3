"""Nothing outside a caller's scope can be told apart from nothing at all: a campaign id that a
store or merchandiser may not see answers exactly as one that does not exist, and listings show
a merchandiser the campaigns of its regions only."""

from tests.support.helpers import campaign_body, store_rows


def world(client):
    """S001 (north), S003 (south); c-north published to north, c-south to S003 by id, a draft for both."""
    client.send_json("PUT", "/stores", store_rows(("S001",), "north") + store_rows(("S003",), "south"))
    client.send_json("PUT", "/campaigns/c-north", {**campaign_body(), "targets": {"regions": ["north"]}})
    client.send_json("PUT", "/campaigns/c-south", {**campaign_body(), "targets": {"stores": ["S003"]}})
    client.send_json("PUT", "/campaigns/c-draft", {**campaign_body(), "targets": {"regions": ["north", "south"]}})
    for campaign in ("c-north", "c-south"):
        assert client.post(f"/campaigns/{campaign}/publish").status_code == 200


def answer(client, path):
    response = client.get(path)
    return response.status_code, response.json_body


def test_a_hidden_campaign_answers_as_a_missing_one(client):
    world(client)
    callers = {
        "store S003": client.as_("store", stores=("S003",)),
        "merchandiser south": client.as_("merchandiser", regions=("south",)),
    }
    for name, caller in callers.items():
        status, missing = answer(caller, "/campaigns/no-such-campaign")
        assert status == 404, name
        for hidden in ("c-north", "c-draft"):
            status, body = answer(caller, f"/campaigns/{hidden}")
            assert status == 404, (name, hidden)
            assert body["error"] == {
                **missing["error"],
                "message": missing["error"]["message"].replace("no-such-campaign", hidden),
            }
        assert answer(caller, "/campaigns/c-south")[0] == 200, name


def test_a_merchandiser_lists_the_campaigns_of_its_regions_only(client):
    world(client)
    south = client.as_("merchandiser", regions=("south",))
    assert [c["campaign_id"] for c in south.get("/campaigns").json_body["campaigns"]] == ["c-south"]
    north = client.as_("merchandiser", regions=("north",))
    assert [c["campaign_id"] for c in north.get("/campaigns").json_body["campaigns"]] == ["c-north"]
    assert {c["campaign_id"] for c in client.get("/campaigns").json_body["campaigns"]} == {"c-north", "c-south", "c-draft"}

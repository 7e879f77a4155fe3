"""The issue's guideline end to end on the local backend: "at least 2 people or mannequins in the
window, no person in front of the poster, at least 1 handbag in the lower half", published over
HTTP, a composed window uploaded by a store through the presigned POST, judged by the worker;
the verdict's messages say what is missing and the overlay has the boxes."""

from __future__ import annotations

import io
import time

import numpy as np
import pytest
import requests
from PIL import Image

from chalicelib.devtools import object_scenes
from chalicelib.devtools.synthetic import to_jpeg
from chalicelib.local.server import LocalService
from chalicelib.vision.overlay import OUTPUT_WIDTH, STATUS_COLOURS
from tests.support.helpers import campaign_body, http_session, publish_over_http

pytestmark = pytest.mark.e2e  # a running service: out of the quick loop

GUIDELINE = {"rules": object_scenes.EXAMPLE_RULES}


@pytest.fixture
def server(local_env):
    with LocalService("127.0.0.1", 0) as service:
        publish_over_http(service.url, body={**campaign_body(), "guideline": GUIDELINE})
        yield service


def judged(server, photo: bytes) -> dict:
    store = http_session("store", stores=("S001",))
    created = store.post(
        f"{server.url}/campaigns/autumn/submissions", json={"store_id": "S001", "content_type": "image/jpeg"}, timeout=10
    ).json()
    fields = created["upload"]["fields"]
    sent = requests.post(created["upload"]["url"], data=fields, files={"file": ("w.jpg", photo, "image/jpeg")}, timeout=60)
    assert sent.status_code == 204, sent.text
    deadline = time.time() + 60
    while time.time() < deadline:
        status = store.get(f"{server.url}/submissions/{created['submission_id']}", timeout=10).json()
        if status["status"] in ("done", "rejected", "error"):
            assert status["status"] == "done", status
            return status
        time.sleep(0.2)
    raise AssertionError("the submission was not judged in 60 s")


def edge_colour(overlay: np.ndarray, box: list[int], working_width: int) -> np.ndarray:
    """The overlay's mean colour along the top edge of ``box`` (working-image pixels)."""
    scale = OUTPUT_WIDTH / working_width
    x, y, w, _ = (round(v * scale) for v in box)
    return overlay[y : y + 2, x + 4 : x + w - 4].reshape(-1, 3).mean(axis=0)


def test_the_issue_guideline_is_checked_end_to_end_with_boxes_and_what_is_missing(server):
    scene = object_scenes.window(6, mannequins=2, passers_by=1, poster=True)
    status = judged(server, to_jpeg(scene.rgb, quality=92))
    rules = {rule["id"]: rule for rule in status["result"]["rules"]}

    figures = rules["figures"]
    assert figures["status"] == "pass" and figures["value"] == 3  # the two mannequins and the passer-by
    assert figures["message"] == "Found 3 people or mannequins in the window, as required."
    poster = rules["poster-clear"]
    assert poster["status"] == "fail" and poster["value"] == 1
    assert poster["message"] == (
        "Someone stands in front of the poster. Take the photo when nobody covers it. (Seen 1 person in the zone; there should be none.)"
    )
    bags = rules["bags"]
    assert bags["status"] == "fail" and bags["value"] == 0
    assert bags["message"].endswith("(Seen no handbag in the lower half; at least 1 needed.)")
    assert status["result"]["verdict"] == "fail"

    # Every counted figure is a labelled box on the overlay, in its rule's colour.
    overlay = np.asarray(Image.open(io.BytesIO(requests.get(status["images"]["overlay"], timeout=10).content)).convert("RGB"))
    working_width = 1600  # the composed window is smaller than the working size: analysed as it is
    found = {rule_id: [e for e in rules[rule_id]["evidence"] if e["kind"] == "box"] for rule_id in rules}
    assert [e["label"].split()[0] for e in found["figures"]] == ["person_or_mannequin"] * 3
    assert [e["label"].split()[0] for e in found["poster-clear"]] == ["person"]
    for rule_id, colour in (("figures", STATUS_COLOURS["pass"]), ("poster-clear", STATUS_COLOURS["fail"])):
        for evidence in found[rule_id]:
            assert np.abs(edge_colour(overlay, evidence["box"], working_width) - colour).max() < 40, rule_id
    truth = [box for name, box in scene.objects if name in ("mannequin", "person")]
    for x, y, w, h in truth:
        assert any(
            x <= bx + bw / 2 < x + w and y <= by + bh / 2 < y + h for bx, by, bw, bh in (e["box"] for e in found["figures"])
        )

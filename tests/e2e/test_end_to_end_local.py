"""The loop on the embedded default, as a user drives it: a real HTTP server on loopback, a real
HTTP client, a real phone-sized JPEG through the presigned POST, the worker, the verdict."""

import time

import pytest
import requests

from chalicelib.devtools.synthetic import to_jpeg, window_photo
from chalicelib.local.server import LocalService
from chalicelib.storage import layout
from tests.support.helpers import fresh_services, http_session, publish_over_http


@pytest.fixture(scope="module")
def phone_photo() -> bytes:
    return to_jpeg(window_photo(seed=7), exif_orientation=1)


@pytest.fixture
def server(local_env):
    with LocalService("127.0.0.1", 0) as service:
        yield service


def wait_for(url, statuses, timeout=30):
    deadline = time.time() + timeout
    hq = http_session()
    while time.time() < deadline:
        body = hq.get(url, timeout=10).json()
        if body["status"] in statuses:
            return body
        time.sleep(0.2)
    raise AssertionError(f"still {body['status']} after {timeout}s")


def new_submission(server, store="S001", content_type="image/jpeg"):
    response = http_session("store", stores=(store,)).post(
        f"{server.url}/campaigns/autumn/submissions", json={"store_id": store, "content_type": content_type}, timeout=10
    )
    assert response.status_code == 201, response.text
    return response.json()


def upload(created, data, filename="photo.jpg", **field_changes):
    fields = {**created["upload"]["fields"], **field_changes}
    return requests.post(created["upload"]["url"], data=fields, files={"file": (filename, data, "image/jpeg")}, timeout=60)


@pytest.fixture
def campaign(server):
    publish_over_http(server.url)


def test_a_phone_photo_comes_back_done_with_quality_verdicts(server, campaign, phone_photo):
    created = new_submission(server)
    assert created["upload"]["url"] == f"{server.url}/local/uploads"
    assert upload(created, phone_photo).status_code == 204

    status = wait_for(f"{server.url}/submissions/{created['submission_id']}", ("done", "rejected", "error"))
    assert status["status"] == "done", status
    result = status["result"]
    assert result["verdict"] == "pass", result
    assert [r["id"] for r in result["rules"]] == ["sharp", "exposed", "level"]
    for rule in result["rules"]:
        assert rule["status"] == "pass" and rule["type"] == "photo_quality"
        assert isinstance(rule["value"], (int, float)) and rule["threshold"] and rule["message"]

    # The short-lived links serve the untouched original, the normalised image and the thumbnail.
    images = status["images"]
    assert requests.get(images["original"], timeout=10).content == phone_photo
    thumbnail = requests.get(images["thumbnail"], timeout=10)
    assert thumbnail.status_code == 200 and thumbnail.headers["Content-Type"] == "image/jpeg"
    assert thumbnail.content[:2] == b"\xff\xd8"
    tampered = images["thumbnail"].replace("thumbnail.jpg", "normalised.jpg")
    assert requests.get(tampered, timeout=10).status_code == 403


def test_a_reused_upload_form_cannot_replace_the_judged_photo(server, campaign, phone_photo):
    created = new_submission(server)
    assert upload(created, phone_photo).status_code == 204
    status = wait_for(f"{server.url}/submissions/{created['submission_id']}", ("done", "rejected", "error"))
    again = upload(created, b"\xff\xd8 another photo")
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_uploaded"
    # The original link still serves the photo that was judged.
    assert requests.get(status["images"]["original"], timeout=10).content == phone_photo


def test_a_signed_link_to_a_key_outside_the_store_is_refused(server):
    from chalicelib.core import keyfile
    from chalicelib.storage.signing import sign_url_params

    key = keyfile.load_or_create(server.services.settings.data_dir / "signing.key")
    for bad in ("../auth.key", "incoming/../../auth.key", "/etc/passwd"):
        params = sign_url_params(key, bad, 60)
        response = requests.get(f"{server.url}/local/blobs", params=params, timeout=10)
        assert response.status_code == 403 and response.json()["error"]["code"] == "link_refused", bad


def test_the_local_upload_enforces_the_policy(server, campaign, phone_photo):
    created = new_submission(server)
    too_big = upload(created, b"\xff\xd8\xff" + b"\0" * (25 * 1024 * 1024))
    assert too_big.status_code == 400 and too_big.json()["error"]["code"] == "file_too_large"
    empty = upload(created, b"")
    assert empty.status_code == 400 and "empty" in empty.json()["error"]["message"]
    other_key = upload(created, phone_photo, key=layout.upload_key("sub_01JAAAAAAAAAAAAAAAAAAAAAAA"))
    assert other_key.status_code == 403 and "key" in other_key.json()["error"]["message"]
    other_type = upload(created, phone_photo, **{"Content-Type": "image/png"})
    assert other_type.status_code == 403 and "Content-Type" in other_type.json()["error"]["message"]
    forged = upload(created, phone_photo, **{"x-vetrina-signature": "0" * 64})
    assert forged.status_code == 403
    no_file = requests.post(created["upload"]["url"], data=created["upload"]["fields"], files={"other": ("x", b"x")}, timeout=10)
    assert no_file.status_code == 400 and no_file.json()["error"]["code"] == "missing_file"
    # Nothing was stored by the refused uploads.
    assert (
        http_session().get(f"{server.url}/submissions/{created['submission_id']}", timeout=10).json()["status"]
        == "awaiting_upload"
    )


def test_an_expired_upload_link_is_refused(local_env, monkeypatch, phone_photo):
    monkeypatch.setenv("VETRINA_UPLOAD_EXPIRES_IN", "1")
    with LocalService("127.0.0.1", 0) as server:
        publish_over_http(server.url)
        created = new_submission(server)
        time.sleep(2.1)
        refused = upload(created, phone_photo)
        assert refused.status_code == 403 and "expired" in refused.json()["error"]["message"]


def test_a_text_file_named_jpg_is_rejected_with_a_reason(server, campaign):
    created = new_submission(server)
    assert upload(created, b"hello, this is not a photo\n" * 10, filename="window.jpg").status_code == 204
    status = wait_for(f"{server.url}/submissions/{created['submission_id']}", ("done", "rejected", "error"))
    assert status["status"] == "rejected"
    assert status["reason"] and status["reason_code"]


def test_data_and_accepted_uploads_survive_a_restart(local_env, phone_photo):
    with LocalService("127.0.0.1", 0) as server:
        publish_over_http(server.url)
        created = new_submission(server)
        server.worker.stop()  # the worker dies: the upload is accepted but not analysed yet
        assert upload(created, phone_photo).status_code == 204
        assert http_session().get(f"{server.url}/submissions/{created['submission_id']}", timeout=10).json()["status"] == "queued"

    with LocalService("127.0.0.1", 0) as server:  # a restart on the same data folder
        assert http_session().get(f"{server.url}/campaigns/autumn", timeout=10).status_code == 200
        status = wait_for(f"{server.url}/submissions/{created['submission_id']}", ("done", "rejected", "error"))
        assert status["status"] == "done"
    assert fresh_services(local_env).submissions.load(created["submission_id"])["attempts"] == 1

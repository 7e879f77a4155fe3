"""The blob store contract: the folder adapter and the S3 adapter behave the same."""

import pytest
import requests

from chalicelib.storage.ports import BlobNotFound


def test_put_get_exists_delete(svc):
    blobs = svc.blobs
    assert not blobs.exists("derived/x/a.jpg")
    blobs.put("derived/x/a.jpg", b"\xff\xd8hello", "image/jpeg")
    assert blobs.exists("derived/x/a.jpg")
    assert blobs.get("derived/x/a.jpg") == b"\xff\xd8hello"
    blobs.put("derived/x/a.jpg", b"second", "image/jpeg")  # overwrite is allowed
    assert blobs.get("derived/x/a.jpg") == b"second"
    blobs.delete("derived/x/a.jpg")
    assert not blobs.exists("derived/x/a.jpg")


def test_missing_blob_raises_not_found(svc):
    with pytest.raises(BlobNotFound):
        svc.blobs.get("derived/nothing/here.jpg")


def test_copy(svc):
    svc.blobs.put("derived/x/src.jpg", b"abc", "image/jpeg")
    svc.blobs.copy("derived/x/src.jpg", "derived/y/dst.jpg")
    assert svc.blobs.get("derived/y/dst.jpg") == b"abc"


def test_presigned_post_fixes_key_type_and_size(svc):
    post = svc.blobs.presigned_post("incoming/sub_TEST", "image/jpeg", 1024, 600)
    assert post.url.startswith("http")
    assert post.fields["key"] == "incoming/sub_TEST"
    assert post.fields["Content-Type"] == "image/jpeg"
    assert "policy" in post.fields


def test_presigned_get_serves_the_bytes(svc, backend):
    svc.blobs.put("derived/x/get.jpg", b"\xff\xd8\xff" + b"x" * 100, "image/jpeg")
    url = svc.blobs.presigned_get("derived/x/get.jpg", 60)
    if backend == "local":
        # The local URL is served by the app's own route; check its signature instead of HTTP.
        from urllib.parse import parse_qsl, urlsplit

        data, content_type = svc.blobs.read_signed(dict(parse_qsl(urlsplit(url).query)))
    else:
        response = requests.get(url, timeout=10)
        assert response.status_code == 200
        data, content_type = response.content, response.headers["Content-Type"]
    assert data == b"\xff\xd8\xff" + b"x" * 100
    assert content_type == "image/jpeg"


def test_put_file_stores_a_file_from_disk(svc, tmp_path):
    source = tmp_path / "export.csv"
    source.write_bytes(b"a,b\n" + b"1,2\n" * 50_000)
    svc.blobs.put_file("exports/exp_1.csv", source, "text/csv")
    assert svc.blobs.get("exports/exp_1.csv") == source.read_bytes()


def test_a_version_is_read_and_linked_as_it_was(svc, backend):
    """The judged photo stays the judged photo: the version read is the one served, whatever was
    written over the key since (S3, versioned bucket); the folder store holds one version."""
    key = "incoming/sub_VERSIONED"
    svc.blobs.put(key, b"\xff\xd8\xff judged", "image/jpeg")
    data, version = svc.blobs.get_version(key)
    assert data == b"\xff\xd8\xff judged"
    if backend == "local":
        assert version is None
        return
    assert version
    svc.blobs.put(key, b"<html>written over</html>", "image/jpeg")
    assert svc.blobs.get_version(key, version)[0] == b"\xff\xd8\xff judged"
    response = requests.get(svc.blobs.presigned_get(key, 60, version_id=version, attachment=True), timeout=10)
    assert response.status_code == 200 and response.content == b"\xff\xd8\xff judged"
    assert response.headers["Content-Disposition"] == "attachment"

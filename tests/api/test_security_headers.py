"""The pages' security headers, and originals served as downloads (issue 13, item 7)."""

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support.helpers import hq_caller, seed_campaign

STATIC = Path(__file__).resolve().parents[2] / "chalicelib" / "web" / "static"


@pytest.mark.parametrize("path", ["/", "/gallery", "/review", "/static/store.js"])
def test_pages_carry_a_csp_without_inline_script_and_no_framing(client, path):
    response = client.anonymous().get(path)
    assert response.status_code == 200
    headers = {k.lower(): v for k, v in response.headers.items()}
    csp = headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'" and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert directives["frame-ancestors"] == "'none'"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"


def test_the_pages_have_no_inline_script_or_style():
    """What the CSP forbids, the pages must not need."""
    for page in STATIC.glob("*.html"):
        html = page.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), page.name
        assert not re.search(r"\son[a-z]+\s*=", html), page.name
        assert "<style" not in html and "style=" not in html and "javascript:" not in html, page.name


def test_an_original_is_served_as_a_download_never_rendered(client, svc, backend):
    seed_campaign(svc, "c1")
    created = svc.submissions.create(hq_caller(), "c1", {"store_id": "S001", "content_type": "image/jpeg"})
    key = created["upload"]["fields"]["key"]
    svc.blobs.put(key, b"<html><script>alert(1)</script></html>", "image/jpeg")  # HTML named .jpg
    link = svc.submissions.get(hq_caller(), created["submission_id"])["images"]["original"]
    parts = urlsplit(link)
    if backend == "aws":  # S3 serves the link: the presigned URL asks it for an attachment
        assert "response-content-disposition=attachment" in parts.query
        return
    response = client.anonymous().get(f"{parts.path}?{parts.query}", headers={"Accept": "image/jpeg"})
    assert response.status_code == 200, response.body
    headers = {k.lower(): v for k, v in response.headers.items()}
    assert headers["content-disposition"] == "attachment"
    assert headers["x-content-type-options"] == "nosniff"

"""The demo campaign that ``make run`` seeds: a guideline, generated window photos, and one
submission per photo sent through the real API and upload path, so the loop is there to see."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

CAMPAIGN_ID = "demo-autumn-2026"
STORES = ["S001", "S002", "S003", "S004", "S005", "S006"]

GUIDELINE: dict[str, Any] = {
    "name": "Autumn 2026 window",
    "rules": [
        {"id": "photo-sharp", "type": "photo_quality", "weight": 1,
         "message": "The photo is blurry. Hold the phone still, tap the window to focus and take it again.",
         "parameters": {"check": "sharpness"}},
        {"id": "photo-exposure", "type": "photo_quality", "weight": 1,
         "message": "The photo is too dark or too bright. Turn on the window lights and avoid shooting into the sun.",
         "parameters": {"check": "exposure"}},
        {"id": "photo-clipping", "type": "photo_quality", "weight": 1,
         "message": "Parts of the photo are burnt out by glare. Step to the side to avoid reflections.",
         "parameters": {"check": "clipping"}},
        {"id": "photo-resolution", "type": "photo_quality", "weight": 1,
         "message": "The photo is too small. Use the phone's main camera, not a screenshot.",
         "parameters": {"check": "resolution"}},
        {"id": "photo-level", "type": "photo_quality", "weight": 1,
         "message": "The photo is tilted. Hold the phone upright, facing the window.",
         "parameters": {"check": "tilt"}},
    ],
}

CAMPAIGN: dict[str, Any] = {
    "name": "Autumn 2026 — The Warm Layers",
    "start_date": "2026-11-16",
    "deadline": "2026-11-30",
    "stores": STORES,
    "guideline": GUIDELINE,
}

# (file name, store, how the photo is spoilt)
PHOTOS = [
    ("window-good.jpg", "S001", {}),
    ("window-blurry.jpg", "S002", {"blur_sigma": 6.0}),
    ("window-dark.jpg", "S003", {"brightness": 0.25}),
    ("window-tilted.jpg", "S004", {"tilt_deg": 9.0}),
]


def write_photos(folder: Path) -> list[tuple[Path, str]]:
    """Generate the demo photos (12 MP phone-like JPEGs) once; return (path, store) pairs."""
    from chalicelib.vision.synthetic import to_jpeg, window_photo

    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for seed, (name, store, spoil) in enumerate(PHOTOS):
        path = folder / name
        if not path.exists():
            path.write_bytes(to_jpeg(window_photo(seed=seed + 1, **spoil), exif_orientation=1))
        out.append((path, store))
    return out


def _call(method: str, url: str, body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def upload(post: dict[str, Any], photo: bytes, filename: str) -> int:
    """Send a photo through a presigned POST, as a browser form would; return the HTTP status."""
    from urllib3 import encode_multipart_formdata

    fields: list[tuple[str, Any]] = list(post["fields"].items())
    fields.append(("file", (filename, photo, post["fields"]["Content-Type"])))
    body, content_type = encode_multipart_formdata(fields)
    request = urllib.request.Request(post["url"], data=body, method="POST", headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def seed(base_url: str, photo_folder: Path) -> bool:
    """Create the demo campaign and submit its photos through the API; False if already there."""
    status, _ = _call("GET", f"{base_url}/campaigns/{CAMPAIGN_ID}")
    if status == 200:
        return False
    status, body = _call("PUT", f"{base_url}/campaigns/{CAMPAIGN_ID}", CAMPAIGN)
    if status not in (200, 201):
        raise RuntimeError(f"could not create the demo campaign: {status} {body}")
    for path, store in write_photos(photo_folder):
        status, created = _call("POST", f"{base_url}/campaigns/{CAMPAIGN_ID}/submissions",
                                {"store_id": store, "content_type": "image/jpeg"})
        if status != 201:
            raise RuntimeError(f"could not create a demo submission: {status} {created}")
        upload_status = upload(created["upload"], path.read_bytes(), path.name)
        log.info("demo photo %s from %s → %s (upload %s)", path.name, store, created["submission_id"], upload_status)
    return True

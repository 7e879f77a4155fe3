"""The demo campaign that ``make run`` seeds: a guideline of every rule type with its pack (the
poster and a reference photo), generated window photos, and one submission per photo sent
through the real API and upload path, so the loop is there to see."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

CAMPAIGN_ID = "demo-autumn-2026"
STORE_LIST = [
    {"store_id": "S001", "name": "Milano Duomo", "region": "north", "cluster": "flagship"},
    {"store_id": "S002", "name": "Torino Centro", "region": "north", "cluster": "high-street"},
    {"store_id": "S003", "name": "Roma Corso", "region": "centre", "cluster": "flagship"},
    {"store_id": "S004", "name": "Firenze Tornabuoni", "region": "centre", "cluster": "high-street"},
    {"store_id": "S005", "name": "Napoli Toledo", "region": "south", "cluster": "high-street"},
    {"store_id": "S006", "name": "Bari Sparano", "region": "south", "cluster": "outlet"},
]
STORES = [store["store_id"] for store in STORE_LIST]

POSTER = "warm-layers.png"
REFERENCE = "reference.jpg"

# Messages in English and Italian (the store page shows the page's language); instructions are
# left to the pages' defaults per rule type.
GUIDELINE: dict[str, Any] = {
    "name": "Autumn 2026 window",
    "rules": [
        {
            "id": "photo-sharp",
            "type": "photo_quality",
            "weight": 1,
            "message": {
                "en": "The photo is blurry. Hold the phone still, tap the window to focus and take it again.",
                "it": "La foto è sfocata. Tieni fermo il telefono, tocca la vetrina per mettere a fuoco e scatta di nuovo.",
            },
            "parameters": {"check": "sharpness"},
        },
        {
            "id": "photo-exposure",
            "type": "photo_quality",
            "weight": 1,
            "message": {
                "en": "The photo is too dark or too bright. Turn on the window lights and avoid shooting into the sun.",
                "it": "La foto è troppo scura o troppo chiara. Accendi le luci della vetrina ed evita di scattare controsole.",
            },
            "parameters": {"check": "exposure"},
        },
        {
            "id": "photo-clipping",
            "type": "photo_quality",
            "weight": 1,
            "message": {
                "en": "Parts of the photo are burnt out by glare. Step to the side to avoid reflections.",
                "it": "Parti della foto sono bruciate dai riflessi. Spostati di lato per evitarli.",
            },
            "parameters": {"check": "clipping"},
        },
        {
            "id": "photo-resolution",
            "type": "photo_quality",
            "weight": 1,
            "message": {
                "en": "The photo is too small. Use the phone's main camera, not a screenshot.",
                "it": "La foto è troppo piccola. Usa la fotocamera principale del telefono, non uno screenshot.",
            },
            "parameters": {"check": "resolution"},
        },
        {
            "id": "photo-level",
            "type": "photo_quality",
            "weight": 1,
            "message": {
                "en": "The photo is tilted. Hold the phone upright, facing the window.",
                "it": "La foto è storta. Tieni il telefono dritto, di fronte alla vetrina.",
            },
            "parameters": {"check": "tilt"},
        },
        {
            "id": "poster",
            "type": "artwork_present",
            "weight": 3,
            "message": {
                "en": "The Warm Layers poster is missing. Put it up in the window, fully visible.",
                "it": "Manca il poster Warm Layers. Esponilo in vetrina, tutto visibile.",
            },
            "parameters": {"artwork": POSTER, "min_share": 0.01, "min_visible": 0.6},
            "instruction": {
                "en": "Put up the Warm Layers poster, fully visible, with nothing in front of it.",
                "it": "Esponi il poster Warm Layers, tutto visibile, senza nulla davanti.",
            },
        },
        {
            "id": "promo-text",
            "type": "text",
            "weight": 2,
            "message": {
                "en": "The poster must show the promotion: Warm Layers, -30%.",
                "it": "Il poster deve mostrare la promozione: Warm Layers, -30%.",
            },
            "parameters": {"phrases": ["Warm Layers", "-30%"], "artwork": POSTER},
        },
        {
            "id": "nobody-in-front",
            "type": "objects",
            "weight": 1,
            "message": {
                "en": "Someone is in front of the window. Take the photo when nobody blocks it.",
                "it": "C'è qualcuno davanti alla vetrina. Scatta quando nessuno la copre.",
            },
            "parameters": {"label": "person", "min_count": 0, "max_count": 0},
        },
        {
            "id": "dressed-mannequins",
            "type": "objects",
            "weight": 2,
            "message": {
                "en": "The window needs two dressed mannequins. Put them on the platform, fully visible.",
                "it": "In vetrina servono due manichini vestiti. Mettili sulla pedana, ben visibili.",
            },
            "parameters": {"label": "person_or_mannequin", "min_count": 2},
            "instruction": {
                "en": "Dress two mannequins and stand them on the platform, fully visible.",
                "it": "Vesti due manichini e mettili sulla pedana, ben visibili.",
            },
        },
        {
            "id": "brand-colours",
            "type": "palette",
            "weight": 1,
            "message": {
                "en": "The brand colours (navy and red) are not visible enough.",
                "it": "I colori del marchio (blu e rosso) non si vedono abbastanza.",
            },
            "instruction": {
                "en": "Keep the brand colours, navy and red, clear: the poster carries them, clean and well lit.",
                "it": "Fai vedere bene i colori del marchio, blu e rosso: li porta il poster, pulito e ben illuminato.",
            },
            "parameters": {
                "colours": [
                    {"name": "navy", "hex": "#12346E", "min_share": 0.01},
                    {"name": "red", "hex": "#E64632", "min_share": 0.001},
                ]
            },
        },
        {
            "id": "like-reference",
            "type": "reference_similarity",
            "weight": 1,
            "message": {
                "en": "The window does not look like the reference photo. Compare it with the guideline.",
                "it": "La vetrina non somiglia alla foto di riferimento. Confrontala con le linee guida.",
            },
            "parameters": {"references": [REFERENCE]},
        },
        {
            "id": "window-lit",
            "type": "lighting",
            "weight": 1,
            "message": {
                "en": "The window is not lit. Switch on the window lights.",
                "it": "La vetrina non è illuminata. Accendi le luci della vetrina.",
            },
            "parameters": {},
        },
    ],
}

CAMPAIGN: dict[str, Any] = {
    "name": "Autumn 2026 — The Warm Layers",
    "start_date": "2026-11-16",
    "deadline": "2026-11-30",
    "targets": {"regions": sorted({store["region"] for store in STORE_LIST})},
    "guideline": GUIDELINE,
}

# The window's two dressed mannequins (bust forms: a white and a black plastic head) stand in the
# middle of the platform, in front of the shop's own print: (centre x, feet y, plastic).
MANNEQUINS = ((0.40, 0.76, "white"), (0.58, 0.76, "black"))

# (file name, store, which posters are up, other brand posters, defects)
PHOTOS = [
    ("window-poster.jpg", "S001", [POSTER], False, ()),
    ("window-no-poster.jpg", "S002", [], False, ()),
    ("window-other-poster.jpg", "S003", [], True, ()),
    ("window-blurry.jpg", "S004", [POSTER], False, ("blur",)),
]


def pack_files() -> dict[str, bytes]:
    """The campaign's artwork and its reference photo: the window as HQ wants it."""
    from chalicelib.devtools import scenes

    poster = scenes.poster(POSTER, "Warm Layers", "-30%", 7, "brand-a")
    return {POSTER: poster, REFERENCE: _scene({POSTER: poster}, [POSTER], (), (), (2400, 1800)).jpeg}


def _scene(artworks: dict[str, bytes], present: list[str], distractors: tuple, defects: tuple, size: tuple[int, int]) -> Any:
    from chalicelib.devtools import scenes

    # The demo's shop: the first seed whose backdrop is a shop window rather than a photograph.
    seed = next(
        s for s in range(1, 200) if scenes.window_scene(s, artworks, [], size=(320, 240)).labels["backdrop"] == "synthetic"
    )
    return scenes.window_scene(seed, artworks, present, distractors, defects, size, mannequins=MANNEQUINS)


def write_photos(folder: Path, pack: dict[str, bytes]) -> list[tuple[Path, str]]:
    """Generate the demo photos (12 MP phone-like JPEGs) once; return (path, store) pairs."""
    from chalicelib.devtools import scenes

    other = scenes.poster("flash-deals.png", "Flash Deals", "-50%", 8, "brand-a")
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, store, present, with_other, defects in PHOTOS:
        path = folder / name
        if not path.exists():
            scene = _scene({POSTER: pack[POSTER]}, present, (other,) if with_other else (), defects, (4032, 3024))
            path.write_bytes(scene.jpeg)
        out.append((path, store))
    return out


def _call(method: str, url: str, token: str, body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
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


def seed(base_url: str, photo_folder: Path, sign_in: Callable[..., str]) -> bool:
    """Create and publish the demo campaign as HQ, and submit its photos as each store, through
    the API; False if it is already there. ``sign_in(role, stores=...)`` mints a token."""
    hq = sign_in("hq", username="hq-demo")
    status, _ = _call("GET", f"{base_url}/campaigns/{CAMPAIGN_ID}", hq)
    if status == 200:
        return False
    status, body = _call("PUT", f"{base_url}/stores", hq, STORE_LIST)
    if status != 200:
        raise RuntimeError(f"could not import the demo stores: {status} {body}")
    status, body = _call("PUT", f"{base_url}/campaigns/{CAMPAIGN_ID}", hq, CAMPAIGN)
    if status not in (200, 201):
        raise RuntimeError(f"could not create the demo campaign: {status} {body}")
    pack = pack_files()
    for name, data in pack.items():
        content_type = "image/png" if name.endswith(".png") else "image/jpeg"
        status, created = _call(
            "POST", f"{base_url}/campaigns/{CAMPAIGN_ID}/pack", hq, {"name": name, "content_type": content_type}
        )
        if status != 201 or upload(created["upload"], data, name) not in (200, 201, 204):
            raise RuntimeError(f"could not upload the demo pack file {name}: {status} {created}")
        (photo_folder / name).parent.mkdir(parents=True, exist_ok=True)
        (photo_folder / name).write_bytes(data)
    status, body = _call("POST", f"{base_url}/campaigns/{CAMPAIGN_ID}/publish", hq)
    if status != 200:
        raise RuntimeError(f"could not publish the demo campaign: {status} {body}")
    for path, store in write_photos(photo_folder, pack):
        status, created = _call(
            "POST",
            f"{base_url}/campaigns/{CAMPAIGN_ID}/submissions",
            sign_in("store", stores=(store,)),
            {"store_id": store, "content_type": "image/jpeg"},
        )
        if status != 201:
            raise RuntimeError(f"could not create a demo submission: {status} {created}")
        upload_status = upload(created["upload"], path.read_bytes(), path.name)
        log.info("demo photo %s from %s → %s (upload %s)", path.name, store, created["submission_id"], upload_status)
    return True

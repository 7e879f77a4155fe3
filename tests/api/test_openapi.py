"""The OpenAPI document (chalicelib.api.openapi, served at /openapi.json): a valid OpenAPI 3.1
document, every route of the app in it (and nothing else) with the roles of its permission, and
true to the running service: schemathesis drives a real local server, seeded with a published
campaign and an analysed photo, and finds no 5xx and no answer outside the document."""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from chalicelib.core.auth import PERMISSIONS
from chalicelib.api.openapi import OPERATIONS, PATH_PARAMETERS, document

# Hypothesis keeps caches (and, unless told otherwise, a database) in ./.hypothesis: not in the
# repository. The run below also sets database=None, so nothing is replayed from one run to the next.
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", os.path.join(tempfile.gettempdir(), "vetrina-hypothesis"))

PATH_EXAMPLES = {name: spec["example"] for name, spec in PATH_PARAMETERS.items()}

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def app_routes() -> dict[tuple[str, str], str | None]:
    """(method, path) -> the permission each route of app.py is registered with (None: PUBLIC)."""
    from app import app

    return {(method, path): entry.view_function.permission
            for path, methods in app.routes.items() for method, entry in methods.items()}


def operations(doc: dict) -> dict[tuple[str, str], dict]:
    return {(method.upper(), path): op for path, item in doc["paths"].items()
            for method, op in item.items() if method in HTTP_METHODS}


# --- the document itself ---------------------------------------------------------------------------


def test_the_document_is_valid_openapi():
    from openapi_spec_validator import validate

    doc = document()
    validate(doc)
    assert doc["openapi"].startswith("3.1")
    assert doc["info"]["title"] == "Vetrina" and doc["info"]["version"]
    assert doc["servers"] == [{"url": "/"}]
    ids = [op["operationId"] for op in operations(doc).values()]
    assert len(ids) == len(set(ids))


def test_schemathesis_loads_every_operation():
    import schemathesis

    schema = schemathesis.openapi.from_dict(document())
    loaded = [result.ok().label for result in schema.get_all_operations()]
    assert len(loaded) == len(OPERATIONS)


def test_every_route_is_documented_and_nothing_else():
    routes = app_routes()
    documented = operations(document())
    assert set(documented) - set(routes) == set(), "documented but not a route"
    assert set(routes) - set(documented) == set(), "a route the document lacks"
    assert set(OPERATIONS) == set(routes)


def test_each_operation_names_the_roles_of_its_route_and_its_security():
    documented = operations(document())
    for key, permission in app_routes().items():
        op = documented[key]
        assert OPERATIONS[key].permission == permission, key
        assert op["x-permission"] == permission, key
        if permission is None:
            assert op["security"] == [] and op["x-roles"] == [], key
            assert "Public" in op["description"], key
        else:
            assert op["x-roles"] == sorted(PERMISSIONS[permission]), key
            assert op["security"] == [{"bearerAuth": []}], key
            assert f"Roles: {', '.join(sorted(PERMISSIONS[permission]))}." in op["description"], key
            assert {"401", "403", "500"} <= set(op["responses"]), key
        assert op["summary"], key


def query_parameters_read(view) -> set[str]:
    """The query parameters a view of app.py reads (through _param, _page, or local_routes)."""
    from chalicelib.local import routes as local_routes

    source = inspect.getsource(view)
    for name in re.findall(r"local_routes\.(\w+)\(", source):
        source += inspect.getsource(getattr(local_routes, name))
    names = set(re.findall(r"""(?:_param|params\.get)\(\s*["'](\w+)["']""", source))
    if re.search(r"(?<!\w)_page\(", source):
        names |= {"limit", "cursor"}
    return names


def test_every_query_parameter_a_route_reads_is_documented():
    from app import app

    documented = operations(document())
    for path, methods in app.routes.items():
        for method, entry in methods.items():
            view = inspect.unwrap(entry.view_function)
            listed = {p["name"] for p in documented[(method, path)].get("parameters", []) if p["in"] == "query"}
            assert query_parameters_read(view) <= listed, (method, path)


def test_request_bodies_come_from_the_services_models():
    from chalicelib.services.campaigns import CampaignIn
    from chalicelib.services.review import OverrideIn

    schemas = document()["components"]["schemas"]
    expected = OverrideIn.model_json_schema(ref_template="#/components/schemas/{model}")
    assert schemas["OverrideIn"] == expected
    assert set(schemas["CampaignIn"]["required"]) == set(CampaignIn.model_json_schema()["required"])
    assert schemas["CampaignIn"]["properties"]["guideline"] == {"$ref": "#/components/schemas/Guideline"}
    body = operations(document())[("PUT", "/campaigns/{campaign_id}")]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/CampaignIn"}


def test_the_examples_in_the_document_are_valid():
    import jsonschema

    doc = document()
    for op in operations(doc).values():
        for content in op.get("requestBody", {}).get("content", {}).values():
            if "example" in content:
                schema = {**content["schema"], "components": doc["components"]}
                jsonschema.Draft202012Validator(schema).validate(content["example"])


def test_the_document_module_stays_light():
    """The API function imports it: nothing of the image stack may come with it."""
    code = ("import sys, chalicelib.api.openapi as o; o.document(); "
            "print(sorted(m for m in ('cv2', 'numpy', 'onnxruntime', 'PIL', 'pillow_heif') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- against a real local server ----------------------------------------------------------------------

# The document's own examples name the data the server is seeded with: the campaign and store ids
# directly, the ids the service chooses (a submission, an export) through these stand-ins.
EXAMPLE_CAMPAIGN = PATH_EXAMPLES["campaign_id"]
EXAMPLE_SUBMISSION = PATH_EXAMPLES["submission_id"]
EXAMPLE_EXPORT = PATH_EXAMPLES["export_id"]
CAMPAIGN_TO_CLOSE = "summer-2026"
NEW_CAMPAIGN = "winter-2026"
UPLOAD_EXAMPLE = operations(document())[("POST", "/local/uploads")]["requestBody"]["content"]["multipart/form-data"]["example"]
LINK_EXAMPLE = {p["name"]: p["example"] for p in operations(document())[("GET", "/local/blobs")]["parameters"]}
MAX_EXAMPLES = 12  # per operation, in the fuzzing phase: the whole run stays well under two minutes


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A real local server (HTTP on loopback, the in-process worker) on a fresh data folder."""
    from chalicelib.local.server import LocalService
    from tests.support.helpers import local_environment

    env = local_environment(tmp_path_factory.mktemp("openapi") / "data")
    env.pop("VETRINA_PUBLIC_URL")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("VETRINA_PUBLIC_URL", raising=False)
        for key, value in env.items():
            patch.setenv(key, value)
        with LocalService("127.0.0.1", 0) as service:
            yield service


@pytest.fixture(scope="module")
def hq_headers(server) -> dict[str, str]:
    from chalicelib.core.auth import mint
    from chalicelib.core.settings import Settings

    return {"Authorization": f"Bearer {mint(Settings.from_env(), 'hq')}"}


def _wait(url: str, headers: dict[str, str], done, timeout: float = 60) -> dict:
    deadline = time.time() + timeout
    while True:
        body = requests.get(url, headers=headers, timeout=10).json()
        if done(body) or time.time() > deadline:
            return body
        time.sleep(0.1)


@pytest.fixture(scope="module")
def seeded(server, hq_headers) -> dict[str, str]:
    """Stores; the document's example campaign and another, published; an analysed photo and one
    awaiting its upload; an export. Returns the ids the service chose."""
    from chalicelib.devtools.synthetic import to_jpeg, window_photo
    from tests.support.helpers import store_rows

    url, headers = server.url, hq_headers

    def call(method: str, path: str, expect: int, **kwargs) -> dict:
        response = requests.request(method, url + path, headers=headers, timeout=30, **kwargs)
        assert response.status_code == expect, (method, path, response.text)
        return response.json() if response.content else {}

    stores = ("S001", "S002", "S003")
    call("PUT", "/stores", 200, json=store_rows(stores, "north") + store_rows(("S101",), "south"))
    today = date.today()
    campaign = {**body_example("PUT", "/campaigns/{campaign_id}"),
                "start_date": (today - timedelta(days=7)).isoformat(), "deadline": (today + timedelta(days=30)).isoformat()}
    for campaign_id in (EXAMPLE_CAMPAIGN, CAMPAIGN_TO_CLOSE):
        call("PUT", f"/campaigns/{campaign_id}", 201, json=campaign)
        call("POST", f"/campaigns/{campaign_id}/publish", 200)
    created = call("POST", f"/campaigns/{EXAMPLE_CAMPAIGN}/submissions", 201,
                   json=body_example("POST", "/campaigns/{campaign_id}/submissions"))
    photo = to_jpeg(window_photo(seed=7), exif_orientation=1)
    upload = requests.post(created["upload"]["url"], data=created["upload"]["fields"],
                           files={"file": ("window.jpg", photo, "image/jpeg")}, timeout=60)
    assert upload.status_code == 204, upload.text
    done = _wait(f"{url}/submissions/{created['submission_id']}", headers, lambda b: b["status"] in ("done", "rejected", "error"))
    assert done["status"] == "done", done
    submissions = f"/campaigns/{EXAMPLE_CAMPAIGN}/submissions"
    waiting = call("POST", submissions, 201, json={"store_id": "S002", "content_type": "image/png"})
    to_upload = call("POST", submissions, 201, json={"store_id": "S003", "content_type": "image/jpeg"})
    export = call("POST", "/exports", 202, json=body_example("POST", "/exports"))
    _wait(f"{url}/exports/{export['export_id']}", headers, lambda b: b["status"] == "done")
    link = urlsplit(done["images"]["thumbnail"])
    return {EXAMPLE_SUBMISSION: created["submission_id"], EXAMPLE_EXPORT: export["export_id"],
            "waiting": waiting["submission_id"], "upload_fields": to_upload["upload"]["fields"],
            "link": dict(parse_qsl(link.query))}


def body_example(method: str, path: str):
    return operations(document())[(method, path)]["requestBody"]["content"]["application/json"]["example"]


def test_the_server_serves_the_document(server):
    response = requests.get(f"{server.url}/openapi.json", timeout=10)
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
    assert response.json() == document()


def _load_schema():
    import schemathesis

    config = schemathesis.Config.from_dict({
        "seed": 20261125,
        "request-timeout": 30,
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
        # Methods a route does not have are answered 405, except TRACE: the local development
        # server (Python's http.server) answers it 501 itself, before the app; not the service's.
        "phases": {"coverage": {"unexpected-methods": ["get", "put", "post", "delete", "patch", "options"]}},
    })
    return schemathesis.openapi.from_dict(document(), config=config)


schema = _load_schema()


def point_at_seeded_data(case, seeded: dict[str, str]) -> None:
    """Replace the stand-ins of the examples by the ids the service chose; send the example
    campaign's close and re-creation to campaigns of their own (the others keep using it)."""
    parameters = case.path_parameters or {}
    for name, value in parameters.items():
        parameters[name] = seeded.get(value, value)
    label = case.operation.label
    if parameters.get("campaign_id") == EXAMPLE_CAMPAIGN:
        if label == "POST /campaigns/{campaign_id}/close":
            parameters["campaign_id"] = CAMPAIGN_TO_CLOSE
        elif label == "PUT /campaigns/{campaign_id}":
            parameters["campaign_id"] = NEW_CAMPAIGN
    if label == "POST /submissions/{submission_id}/retake" and parameters.get("submission_id") == seeded[EXAMPLE_SUBMISSION]:
        parameters["submission_id"] = seeded["waiting"]
    # The local stand-ins for S3 take signed data only: the examples become a real upload and link.
    if label == "POST /local/uploads" and case.body == UPLOAD_EXAMPLE:
        case.body = {**seeded["upload_fields"], "file": case.body["file"]}
    if label == "GET /local/blobs" and case.query == LINK_EXAMPLE:
        case.query = dict(seeded["link"])


SEEN: dict[str, set[tuple[str, int]]] = {}  # operation -> (method sent, status answered)


@schema.parametrize()
def test_the_service_answers_as_documented(case, server, hq_headers, seeded):
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    point_at_seeded_data(case, seeded)
    response = case.call_and_validate(
        base_url=server.url,
        headers=hq_headers,
        checks=[not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance,
                response_headers_conformance],
    )
    SEEN.setdefault(case.operation.label, set()).add((case.method.upper(), response.status_code))


def test_every_operation_was_answered_with_success_at_least_once():
    """The examples reach the seeded data: every operation's success answer was checked too."""
    if len(SEEN) < len(OPERATIONS):
        pytest.skip("only after the whole schemathesis run")
    missing = []
    for (method, path), op in operations(document()).items():
        successes = {int(status) for status in op["responses"] if status.startswith("2")}
        answered = {status for sent, status in SEEN[f"{method} {path}"] if sent == method}
        if not successes & answered:
            missing.append(f"{method} {path}: {sorted(answered)}")
    assert not missing


def _bad_request(name: str, server, hq_headers, seeded) -> requests.Response:
    url = server.url
    if name == "upload signature":
        fields = {**seeded["upload_fields"], "x-vetrina-signature": "é" * 64}
        return requests.post(f"{url}/local/uploads", data=fields, files={"file": ("w.jpg", b"x", "image/jpeg")}, timeout=10)
    if name == "link signature":
        return requests.get(f"{url}/local/blobs", params={**seeded["link"], "signature": "é"}, timeout=10)
    if name in ("stores cursor", "missing cursor"):
        route = name.split()[0]
        return requests.get(f"{url}/compliance/campaigns/{EXAMPLE_CAMPAIGN}/{route}", params={"cursor": "²."},
                            headers=hq_headers, timeout=10)
    content_type = "text/csv" if name == "CSV not UTF-8" else "application/json"
    return requests.put(f"{url}/stores", data=b"\xff\xfe store_id", headers={**hq_headers, "Content-Type": content_type},
                        timeout=10)


@pytest.mark.parametrize(("name", "expected"), [
    ("upload signature", 403),
    ("link signature", 403),
    ("stores cursor", 400),
    ("missing cursor", 400),
    ("CSV not UTF-8", 400),
    ("JSON not UTF-8", 400),
])
def test_bad_input_is_refused_not_a_server_error(name, expected, server, hq_headers, seeded):
    """The 5xx the schemathesis run once found, kept as regressions."""
    response = _bad_request(name, server, hq_headers, seeded)
    assert response.status_code == expected, response.text
    assert response.json()["error"]["code"]

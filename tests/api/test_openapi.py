"""The OpenAPI document (chalicelib.api.openapi, served at /openapi.json), generated from the route
declarations (chalicelib.api.http.Routes): every route declares a summary, a permission, its answers
and the query parameters it reads; the document is valid OpenAPI 3.1 with the roles of each
permission; and it is true to the running service: schemathesis drives a real local server, seeded
with a published campaign and an analysed photo, and finds no 5xx and no answer outside the document."""

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

from app import app
from chalicelib.api.http import RouteDoc
from chalicelib.api.openapi import document as document_of
from chalicelib.api.parameters import PATH_PARAMETERS
from chalicelib.core.auth import PERMISSIONS

# Hypothesis keeps caches (and, unless told otherwise, a database) in ./.hypothesis: not in the
# repository. The run below also sets database=None, so nothing is replayed from one run to the next.
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", os.path.join(tempfile.gettempdir(), "vetrina-hypothesis"))

PATH_EXAMPLES = {name: spec["example"] for name, spec in PATH_PARAMETERS.items()}

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def document() -> dict:
    """The document of the app the tests serve (the local backend's: its stand-ins for S3 included)."""
    return document_of(app)


def app_routes() -> dict[tuple[str, str], object]:
    """(method, path) -> the handler each route of the app is registered with."""
    return {(method, path): entry.view_function for path, methods in app.routes.items() for method, entry in methods.items()}


def operations(doc: dict) -> dict[tuple[str, str], dict]:
    return {
        (method.upper(), path): op for path, item in doc["paths"].items() for method, op in item.items() if method in HTTP_METHODS
    }


# --- the declarations ---------------------------------------------------------------------------------


def test_every_route_is_declared_with_a_summary_a_permission_and_its_answers():
    for (method, path), handler in app_routes().items():
        doc = getattr(handler, "doc", None)
        assert isinstance(doc, RouteDoc), f"{method} {path} is registered without chalicelib.api.http.Routes"
        assert (doc.method, doc.path) == (method, path)
        assert doc.permission == handler.permission and (doc.permission is None or doc.permission in PERMISSIONS)
        assert doc.summary and doc.tag.name and doc.tag.description, (method, path)
        assert doc.response and all(200 <= status < 300 for status in doc.response), (method, path)
        assert all(400 <= status < 500 for status in doc.errors), (method, path)
        for name in re.findall(r"{([^}]+)}", path):
            assert name in PATH_PARAMETERS, f"{method} {path}: path parameter {name!r} is not described"


def query_parameters_read(view) -> set[str]:
    """The query parameters a view reads: query["name"], query.page() (limit and cursor), or the
    whole query (every declared one; the signed links' check)."""
    source = inspect.getsource(view)
    names = set(re.findall(r"""query\[\s*["'](\w+)["']\s*\]""", source))
    if "query.page()" in source:
        names |= {"limit", "cursor"}
    return names


def test_every_query_parameter_a_route_reads_is_declared_and_every_declared_one_is_read():
    for (method, path), handler in app_routes().items():
        view = inspect.unwrap(handler)
        declared = {param.name for param in handler.doc.query}
        source = inspect.getsource(view)
        if "request.query_params" in source:  # reads the whole query: the signed link's parts, all required
            assert declared and all(param.required for param in handler.doc.query), (method, path)
            continue
        assert "query_param" not in source and "current_request" not in source, (method, path)
        assert query_parameters_read(view) == declared, (method, path)
        assert ("query" in inspect.signature(view).parameters) == bool(declared), (method, path)


def test_reading_an_undeclared_query_parameter_is_a_mistake_not_a_silent_none():
    from chalicelib.api.http import Query, paged

    class Request:
        query_params = {"limit": "7", "region": "north"}

    query = Query(Request(), paged(50, 100))
    assert query.page() == {"limit": 7, "cursor": None}
    with pytest.raises(KeyError):
        query["region"]


def test_page_sizes_are_the_services_maxima():
    from chalicelib.services import analytics, campaigns, review, stores

    maxima = {
        (method, path): param.schema["maximum"]
        for (method, path), handler in app_routes().items()
        for param in handler.doc.query
        if param.name == "limit"
    }
    assert maxima[("GET", "/campaigns")] == campaigns.MAX_LIST
    assert maxima[("GET", "/stores")] == stores.MAX_PAGE
    assert maxima[("GET", "/showcase")] == review.MAX_PAGE
    assert maxima[("GET", "/compliance/campaigns/{campaign_id}/stores")] == analytics.MAX_PAGE


def test_the_enumerations_are_the_vocabularys():
    from chalicelib.core import vocabulary

    schemas = document()["components"]["schemas"]
    assert schemas["Submission"]["properties"]["status"]["enum"] == list(vocabulary.SUBMISSION_STATUSES)
    assert schemas["AnalysisResult"]["properties"]["verdict"]["enum"] == list(vocabulary.VERDICTS)
    assert schemas["RuleResult"]["properties"]["status"]["enum"] == list(vocabulary.RULE_STATUSES)
    assert schemas["Campaign"]["properties"]["status"]["enum"] == list(vocabulary.CAMPAIGN_STATUSES)
    assert schemas["StoreOutcome"]["properties"]["state"]["enum"] == list(vocabulary.OUTCOME_STATES)
    assert schemas["Review"]["properties"]["state"]["enum"] == list(vocabulary.REVIEW_STATES)
    assert schemas["Export"]["properties"]["kind"]["enum"] == list(vocabulary.EXPORT_KINDS)
    assert list(schemas["StateCounts"]["properties"]) == list(vocabulary.OUTCOME_STATES)


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
    assert len(loaded) == len(app_routes())


def test_every_route_is_documented_and_nothing_else():
    assert set(operations(document())) == set(app_routes())


def test_each_operation_names_the_roles_of_its_route_and_its_security():
    documented = operations(document())
    for key, handler in app_routes().items():
        op, permission = documented[key], handler.permission
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


def test_every_declared_query_parameter_is_documented():
    documented = operations(document())
    for key, handler in app_routes().items():
        listed = {p["name"] for p in documented[key].get("parameters", []) if p["in"] == "query"}
        assert listed == {param.name for param in handler.doc.query}, key


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
    code = (
        "import sys, chalicelib.api.openapi as o; from app import app; o.document(app); "
        "print(sorted(m for m in ('cv2', 'numpy', 'onnxruntime', 'PIL', 'pillow_heif') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- against a real local server ----------------------------------------------------------------------

# The document's own examples name the data the server is seeded with: the campaign and store ids
# directly, the ids the service chooses (a submission, an export) through these stand-ins.
EXAMPLE_CAMPAIGN = PATH_EXAMPLES["campaign_id"]
EXAMPLE_SUBMISSION = PATH_EXAMPLES["submission_id"]
EXAMPLE_EXPORT = PATH_EXAMPLES["export_id"]
EXAMPLE_TRIAL = PATH_EXAMPLES["trial_id"]
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
    campaign = {
        **body_example("PUT", "/campaigns/{campaign_id}"),
        "start_date": (today - timedelta(days=7)).isoformat(),
        "deadline": (today + timedelta(days=30)).isoformat(),
    }
    for campaign_id in (EXAMPLE_CAMPAIGN, CAMPAIGN_TO_CLOSE):
        call("PUT", f"/campaigns/{campaign_id}", 201, json=campaign)
        call("POST", f"/campaigns/{campaign_id}/publish", 200)
    created = call(
        "POST",
        f"/campaigns/{EXAMPLE_CAMPAIGN}/submissions",
        201,
        json=body_example("POST", "/campaigns/{campaign_id}/submissions"),
    )
    photo = to_jpeg(window_photo(seed=7), exif_orientation=1)
    upload = requests.post(
        created["upload"]["url"],
        data=created["upload"]["fields"],
        files={"file": ("window.jpg", photo, "image/jpeg")},
        timeout=60,
    )
    assert upload.status_code == 204, upload.text
    done = _wait(f"{url}/submissions/{created['submission_id']}", headers, lambda b: b["status"] in ("done", "rejected", "error"))
    assert done["status"] == "done", done
    submissions = f"/campaigns/{EXAMPLE_CAMPAIGN}/submissions"
    waiting = call("POST", submissions, 201, json={"store_id": "S002", "content_type": "image/png"})
    to_upload = call("POST", submissions, 201, json={"store_id": "S003", "content_type": "image/jpeg"})
    export = call("POST", "/exports", 202, json=body_example("POST", "/exports"))
    _wait(f"{url}/exports/{export['export_id']}", headers, lambda b: b["status"] == "done")
    trials = f"/campaigns/{EXAMPLE_CAMPAIGN}/trials"
    trial = call("POST", trials, 201, json=body_example("POST", "/campaigns/{campaign_id}/trials"))
    sent = requests.post(
        trial["upload"]["url"], data=trial["upload"]["fields"], files={"file": ("t.jpg", photo, "image/jpeg")}, timeout=60
    )
    assert sent.status_code == 204, sent.text
    call("POST", f"{trials}/{trial['trial_id']}/run", 202)
    judged = _wait(f"{url}{trials}/{trial['trial_id']}", headers, lambda b: b["status"] in ("done", "rejected", "failed"))
    assert judged["status"] == "done", judged
    link = urlsplit(done["images"]["thumbnail"])
    return {
        EXAMPLE_SUBMISSION: created["submission_id"],
        EXAMPLE_EXPORT: export["export_id"],
        EXAMPLE_TRIAL: trial["trial_id"],
        "waiting": waiting["submission_id"],
        "upload_fields": to_upload["upload"]["fields"],
        "link": dict(parse_qsl(link.query)),
    }


def body_example(method: str, path: str):
    return operations(document())[(method, path)]["requestBody"]["content"]["application/json"]["example"]


@pytest.mark.e2e  # a running server
def test_the_server_serves_the_document(server):
    response = requests.get(f"{server.url}/openapi.json", timeout=10)
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
    assert response.json() == document()


def _load_schema():
    import schemathesis

    config = schemathesis.Config.from_dict(
        {
            "seed": 20261125,
            "request-timeout": 30,
            "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
            # Methods a route does not have are answered 405, except TRACE: the local development
            # server (Python's http.server) answers it 501 itself, before the app; not the service's.
            "phases": {"coverage": {"unexpected-methods": ["get", "put", "post", "delete", "patch", "options"]}},
        }
    )
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


@pytest.mark.e2e  # a running server driven by generated requests (~10 s)
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
        checks=[
            not_a_server_error,
            response_schema_conformance,
            status_code_conformance,
            content_type_conformance,
            response_headers_conformance,
        ],
    )
    SEEN.setdefault(case.operation.label, set()).add((case.method.upper(), response.status_code))


@pytest.mark.e2e  # reads what the schemathesis run saw
def test_every_operation_was_answered_with_success_at_least_once():
    """The examples reach the seeded data: every operation's success answer was checked too."""
    if len(SEEN) < len(app_routes()):
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
        return requests.get(
            f"{url}/compliance/campaigns/{EXAMPLE_CAMPAIGN}/{route}", params={"cursor": "²."}, headers=hq_headers, timeout=10
        )
    content_type = "text/csv" if name == "CSV not UTF-8" else "application/json"
    return requests.put(
        f"{url}/stores", data=b"\xff\xfe store_id", headers={**hq_headers, "Content-Type": content_type}, timeout=10
    )


@pytest.mark.e2e  # a running server, seeded through the real upload path
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("upload signature", 403),
        ("link signature", 403),
        ("stores cursor", 400),
        ("missing cursor", 400),
        ("CSV not UTF-8", 400),
        ("JSON not UTF-8", 400),
    ],
)
def test_bad_input_is_refused_not_a_server_error(name, expected, server, hq_headers, seeded):
    """The 5xx the schemathesis run once found, kept as regressions."""
    response = _bad_request(name, server, hq_headers, seeded)
    assert response.status_code == expected, response.text
    assert response.json()["error"]["code"]

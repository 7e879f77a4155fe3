"""The API functions stay small and start fast: serving a route never loads the image stack (nor
chalicelib.analyzer or chalicelib.vision), and the app for AWS does not even import the local
backend's stand-ins (the API's zip does not ship chalicelib/local/)."""

import json
import os
import subprocess
import sys

HEAVY = ("cv2", "numpy", "onnxruntime", "PIL", "pillow_heif", "chalicelib.analyzer", "chalicelib.vision")


def _run(script: str, env: dict[str, str]) -> list:
    out = subprocess.run([sys.executable, "-c", script], env={**os.environ, **env}, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_serving_api_routes_does_not_import_the_image_stack(tmp_path):
    script = f"""
import json, sys
from chalice.test import Client
from app import app
with Client(app, stage_name="test") as client:
    for path in ("/campaigns", "/submissions/sub_01JAAAAAAAAAAAAAAAAAAAAAAA", "/notifications", "/openapi.json", "/",
                 "/local/blobs?key=k&expires=1&signature=s"):
        client.http.get(path)
print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))
"""
    assert _run(script, {"VETRINA_BACKEND": "local", "VETRINA_DATA_DIR": str(tmp_path)}) == []


def test_the_aws_app_has_no_local_stand_ins_and_imports_no_local_code():
    script = f"""
import json, sys
from chalice.test import Client
from app import app
with Client(app, stage_name="test") as client:
    described = client.http.get("/openapi.json").json_body
    assert not [path for path in described["paths"] if path.startswith("/local/")]
    assert "local" not in [tag["name"] for tag in described["tags"]]
    assert client.http.get("/local/blobs").status_code in (403, 404)  # not a route: API Gateway's "missing token"
local = sorted(path for path in app.routes if path.startswith("/local/"))
print(json.dumps([m for m in (*{HEAVY!r}, "chalicelib.local") if m in sys.modules] + local))
"""
    assert _run(script, {"VETRINA_BACKEND": "aws", "VETRINA_AUTH": "local"}) == []

"""The API functions stay small and start fast: serving a route never loads the image stack."""

import json
import os
import subprocess
import sys

HEAVY = ("cv2", "numpy", "onnxruntime", "PIL", "pillow_heif")


def test_serving_api_routes_does_not_import_the_image_stack(tmp_path):
    script = f"""
import json, sys
from chalice.test import Client
from app import app
with Client(app, stage_name="test") as client:
    client.http.get("/campaigns")
    client.http.get("/submissions/sub_01JAAAAAAAAAAAAAAAAAAAAAAA")
print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))
"""
    env = {**os.environ, "VETRINA_BACKEND": "local", "VETRINA_DATA_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []

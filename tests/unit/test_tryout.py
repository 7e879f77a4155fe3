"""Trying a guideline before publishing it: the check and eval commands, as HQ runs them."""

import json
import subprocess
import sys

import pytest
import yaml

from chalicelib.devtools.demo import GUIDELINE
from chalicelib.devtools.synthetic import to_jpeg, window_photo


@pytest.fixture(scope="module")
def labelled(tmp_path_factory):
    folder = tmp_path_factory.mktemp("labelled")
    (folder / "guideline.yaml").write_text(yaml.safe_dump(GUIDELINE, sort_keys=False))
    photos = {
        "good.jpg": ({}, {"photo-sharp": "pass", "photo-exposure": "pass", "photo-level": "pass"}),
        "blurry.jpg": ({"blur_sigma": 6.0}, {"photo-sharp": "fail"}),
        "dark.jpg": ({"brightness": 0.25}, {"photo-exposure": "fail", "photo-sharp": "pass"}),
        "tilted.jpg": ({"tilt_deg": 9.0}, {"photo-level": "fail"}),
    }
    for seed, (name, (defects, _)) in enumerate(photos.items()):
        (folder / name).write_bytes(to_jpeg(window_photo(seed + 1, size=(2000, 1500), **defects)))
    (folder / "labels.json").write_text(json.dumps({name: labels for name, (_, labels) in photos.items()}))
    return folder


def run(*args):
    return subprocess.run([sys.executable, "-m", "chalicelib.devtools.cli", *args], capture_output=True, text=True)


def test_check_prints_the_rule_table_and_writes_the_overlay(labelled, tmp_path):
    overlay = tmp_path / "out.jpg"
    done = run("check", str(labelled / "tilted.jpg"), "--guideline", str(labelled / "guideline.yaml"), "--overlay", str(overlay))
    assert done.returncode == 1, done.stderr
    assert "RETAKE" in done.stdout
    assert "photo-level" in done.stdout and "fail" in done.stdout
    assert overlay.read_bytes()[:2] == b"\xff\xd8"


def test_eval_scores_each_rule(labelled, tmp_path):
    figures = tmp_path / "figures.json"
    done = run("eval", str(labelled), "--guideline", str(labelled / "guideline.yaml"), "--json", str(figures))
    assert done.returncode == 0, done.stderr
    assert "4/4" in done.stderr  # the progress bar ends at the last photo
    report = json.loads(figures.read_text())
    assert report["rules"]["photo-level"]["recall"] == 1.0 and report["rules"]["photo-level"]["precision"] == 1.0
    assert report["rules"]["photo-sharp"]["confusion"]["fail->fail"] == 1
    assert "precision" in done.stdout and "latency per photo" in done.stdout


def test_a_bad_guideline_file_names_the_field(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - id: x\n    type: photo_quality\n    message: m\n    parameters: {check: focus}\n")
    done = run("check", str(tmp_path / "any.jpg"), "--guideline", str(bad))
    assert done.returncode == 2
    assert "rules[0].parameters.check" in done.stderr and "Traceback" not in done.stderr

"""The analyzer's logs and metrics as CloudWatch reads them: one JSON object per line, the
submission id on every line of its analysis, embedded-metric-format records for the outcomes."""

import json
import logging

import pytest

from chalicelib.analyzer import observability
from chalicelib.analyzer.processing import UploadProcessor
from chalicelib.storage.notifications import object_created_event
from chalicelib.vision.intake import IntakeRejected
from tests.support.helpers import hq_caller, seed_campaign


@pytest.fixture
def lambda_output(monkeypatch, capsys):
    """The Lambda configuration, undone after the test; returns the stdout lines as JSON."""
    monkeypatch.setattr(observability, "_metrics_enabled", False)
    logger = logging.getLogger("chalicelib")
    before = (list(logger.handlers), logger.level, logger.propagate)
    observability.configure_for_lambda()
    yield lambda: [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    logger.handlers[:], logger.level, logger.propagate = before


def test_every_line_carries_the_submission_id_and_outcomes_are_metrics(svc, lambda_output):
    seed_campaign(svc, "c1")
    created = svc.submissions.create(hq_caller(), "c1", {"store_id": "S001", "content_type": "image/jpeg"})
    key = created["upload"]["fields"]["key"]
    svc.blobs.put(key, b"not a photo", "image/jpeg")

    def reject(photo, guideline, pack):
        raise IntakeRejected("not_an_image", "The file is not a photo.")

    UploadProcessor(svc.records, svc.blobs, svc.campaigns, svc.settings, analyse=reject).handle_message(
        object_created_event("b", key, 11)
    )
    lines = lambda_output()
    logs = [line for line in lines if "_aws" not in line]
    metrics = {
        name: line for line in lines if "_aws" in line for name in [line["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"]]
    }
    assert logs and all(line["submission_id"] == created["submission_id"] for line in logs)
    assert metrics["Analyses"]["Outcome"] == "rejected" and metrics["Analyses"]["Analyses"] == 1
    assert metrics["Rejections"]["Reason"] == "not_an_image"
    assert metrics["AnalysisTime"]["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"] == "Milliseconds"
    assert metrics["Analyses"]["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Outcome"]]


def test_no_metrics_outside_lambda(capsys, monkeypatch):
    monkeypatch.setattr(observability, "_metrics_enabled", False)
    observability.metric("Analyses", 1, Outcome="done")
    assert capsys.readouterr().out == ""

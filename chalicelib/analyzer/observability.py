"""Structured logs and metrics for the analyzer.

Every log line is one JSON object carrying the submission id being worked on (a context
variable, set by ``working_on``), so one photo's story can be read across retries. Metrics are
CloudWatch embedded-metric-format lines: CloudWatch turns them into metrics from the logs, with
no API call on the hot path and nothing to install.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import sys
import time
from collections.abc import Iterator
from typing import Any

NAMESPACE = "Vetrina"
# Metrics go to stdout only where CloudWatch reads them (the Lambda handler turns them on).
_metrics_enabled = False
_submission: contextvars.ContextVar[str | None] = contextvars.ContextVar("submission_id", default=None)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": round(record.created, 3),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        submission_id = _submission.get()
        if submission_id:
            line["submission_id"] = submission_id
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class _StdoutHandler(logging.StreamHandler):
    """Writes to whatever sys.stdout is when a line is logged (as print does for the metrics)."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    @property
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def configure_for_lambda(level: int = logging.INFO) -> None:
    """JSON log lines and metrics on stdout for the chalicelib loggers (Lambda sends stdout to
    CloudWatch). Idempotent: the handler calls it on every event, it acts on the first."""
    global _metrics_enabled
    _metrics_enabled = True
    logger = logging.getLogger("chalicelib")
    if any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
        return
    handler = _StdoutHandler()
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False


@contextlib.contextmanager
def working_on(submission_id: str) -> Iterator[None]:
    """Tag every log line and metric emitted inside with this submission id."""
    token = _submission.set(submission_id)
    try:
        yield
    finally:
        _submission.reset(token)


def metric(name: str, value: float, unit: str = "Count", **dimensions: str) -> None:
    """One CloudWatch embedded-metric-format record on stdout (where enabled)."""
    if not _metrics_enabled:
        return
    record: dict[str, Any] = {
        "_aws": {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": NAMESPACE,
                    "Dimensions": [sorted(dimensions)] if dimensions else [[]],
                    "Metrics": [{"Name": name, "Unit": unit}],
                }
            ],
        },
        name: value,
        **dimensions,
    }
    submission_id = _submission.get()
    if submission_id:
        record["submission_id"] = submission_id  # a property, searchable in the logs; not a dimension
    print(json.dumps(record), flush=True)

"""Configuration from the environment (the Chalice stage's environment_variables in AWS).

``VETRINA_BACKEND=local`` (the default) keeps everything in a data folder on this machine;
``VETRINA_BACKEND=aws`` uses the bucket, table and queues named by the stage.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

MB = 1024 * 1024


class ConfigurationError(RuntimeError):
    pass


def backend_of(env: Mapping[str, str]) -> str:
    """``local`` (the default) or ``aws``; readable before the rest of the configuration (app.py
    registers the local backend's routes by it when it is imported, and packaged)."""
    backend = env.get("VETRINA_BACKEND", "local")
    if backend not in ("local", "aws"):
        raise ConfigurationError(f"VETRINA_BACKEND must be 'local' or 'aws', not {backend!r}")
    return backend


def auth_mode(env: Mapping[str, str]) -> str:
    """Who verifies tokens: ``cognito`` (API Gateway) on the AWS backend unless VETRINA_AUTH says
    otherwise, ``local`` (chalicelib.core.auth, with the local key) elsewhere."""
    return env.get("VETRINA_AUTH", "cognito" if env.get("VETRINA_BACKEND") == "aws" else "local")


@dataclass(frozen=True)
class Settings:
    backend: Literal["local", "aws"] = "local"
    # who signs the callers' tokens: Cognito (verified by API Gateway) or the local key
    auth: Literal["local", "cognito"] = "local"
    # local backend
    data_dir: Path = Path("data")
    public_url: str = "http://127.0.0.1:8000"
    # aws backend
    bucket: str = ""
    table: str = ""
    queue_name: str = "vetrina-analysis"  # its dead-letter queue is "<name>-dlq"
    topic_arn: str = ""  # SNS topic of the events (analysis finished, review decided)
    s3_addressing_style: str = "virtual"
    # uploads and links
    max_upload_bytes: int = 25 * MB
    upload_expires_in: int = 600
    link_expires_in: int = 900
    # analysis: attempts per photo (equal to the queue's maxReceiveCount) and the claim lease,
    # longer than the analyzer's timeout so that a live worker is never overtaken.
    max_attempts: int = 3
    lease_seconds: int = 120
    # the sweep (chalicelib.services.recovery): a stored photo not analysed this long after its
    # last message is queued again; a link unused this long after it expired ends the submission.
    sweep_after: int = 300
    sweep_interval: int = 60  # local worker; in AWS the schedule's rate (infra)
    # a review decision's message to the store waits this long (a delayed queue message) and goes
    # out only if the decision is still the photo's latest: two quick decisions, one message
    review_notice_delay: int = 30

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        backend = backend_of(env)
        port = env.get("PORT", "8000")
        auth = auth_mode(env)
        if auth not in ("local", "cognito"):
            raise ConfigurationError(f"VETRINA_AUTH must be 'local' or 'cognito', not {auth!r}")
        settings = cls(
            backend=backend,  # type: ignore[arg-type]
            auth=auth,  # type: ignore[arg-type]
            data_dir=Path(env.get("VETRINA_DATA_DIR", "data")),
            public_url=env.get("VETRINA_PUBLIC_URL", f"http://127.0.0.1:{port}"),
            bucket=env.get("VETRINA_BUCKET", ""),
            table=env.get("VETRINA_TABLE", ""),
            queue_name=env.get("VETRINA_QUEUE_NAME", "vetrina-analysis"),
            topic_arn=env.get("VETRINA_TOPIC_ARN", ""),
            s3_addressing_style=env.get("VETRINA_S3_ADDRESSING_STYLE", "virtual"),
            upload_expires_in=int(env.get("VETRINA_UPLOAD_EXPIRES_IN", "600")),
            link_expires_in=int(env.get("VETRINA_LINK_EXPIRES_IN", "900")),
            max_attempts=int(env.get("VETRINA_MAX_ATTEMPTS", "3")),
            lease_seconds=int(env.get("VETRINA_LEASE_SECONDS", "120")),
            sweep_after=int(env.get("VETRINA_SWEEP_AFTER", "300")),
            sweep_interval=int(env.get("VETRINA_SWEEP_INTERVAL", "60")),
            review_notice_delay=int(env.get("VETRINA_REVIEW_NOTICE_DELAY", "30")),
        )
        if not 0 <= settings.review_notice_delay <= 900:
            raise ConfigurationError("VETRINA_REVIEW_NOTICE_DELAY is 0 to 900 seconds (SQS's longest delay)")
        if backend == "aws":
            missing = [
                name
                for name, value in (
                    ("VETRINA_BUCKET", settings.bucket),
                    ("VETRINA_TABLE", settings.table),
                    ("VETRINA_TOPIC_ARN", settings.topic_arn),
                )
                if not value
            ]
            if missing:
                raise ConfigurationError(f"VETRINA_BACKEND=aws needs {', '.join(missing)} in the stage's environment")
        return settings

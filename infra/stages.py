"""What differs between Vetrina's deployments: one stack per stage, ``vetrina-<stage>``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Stage:
    name: str
    # Prod keeps its data (bucket, table, user pool, queues, topic) when the stack is deleted.
    retain_data: bool
    # The analyzer: 2048 MB (the bench's peak is ~400 MB, but Lambda's CPU share grows with memory:
    # one full vCPU from 1,769 MB, which is what the bench's one-core figures assume), 60 s
    # timeout (a photo takes ~0.6 s warm, ~2.5 s cold), and at most this many at once: the
    # reserved concurrency and the SQS event source's maximum concurrency (so the poller never
    # hands a throttled function messages, which would count as receives towards the DLQ).
    analyzer_concurrency: int
    # Originals under incoming/ are the submissions' evidence (the API links them, re-runs read
    # them): they expire only with the retention horizon (docs/ARCHITECTURE.md: 3 years in prod).
    incoming_retention_days: int
    log_retention_days: int
    # Reserve that concurrency for the analyzer (guaranteed capacity, and a hard cap). An account
    # must keep 100 executions unreserved, so a new account with a low limit deploys with
    # `-c reserve_concurrency=false`: then only the event source's maximum concurrency caps it.
    reserve_concurrency: bool = True
    analyzer_memory_mb: int = 2048
    analyzer_timeout_s: int = 60
    api_memory_mb: int = 512
    api_timeout_s: int = 29  # API Gateway's integration timeout
    # Automatic reminders: hourly, the stores still owing a photo this many hours before their deadline.
    reminder_lead_hours: int = 24
    architecture: str = "x86_64"  # both functions; the bench and size table measured x86_64
    lease_seconds: int = 90  # > the analyzer's timeout (a live worker is never overtaken)
    max_attempts: int = 3  # = the queue's maxReceiveCount
    # Browser origins allowed to POST uploads to the bucket besides the API's own URL (a custom
    # domain in front of the pages, for example): `-c extra_origins=https://a.example,https://b.example`.
    extra_origins: tuple[str, ...] = ()


STAGES = {
    "dev": Stage("dev", retain_data=False, analyzer_concurrency=5, incoming_retention_days=30, log_retention_days=14),
    "prod": Stage("prod", retain_data=True, analyzer_concurrency=50, incoming_retention_days=3 * 365, log_retention_days=365),
}


def stack_name(stage: str) -> str:
    return f"vetrina-{stage}"

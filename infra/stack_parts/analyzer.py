"""The analyzer: the container image (infra/analyzer/Dockerfile), the analysis queue's only consumer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import (
    aws_ecr_assets as ecr_assets,
)
from aws_cdk import (
    aws_iam as iam,
)
from aws_cdk import (
    aws_lambda as lambda_,
)
from aws_cdk import (
    aws_lambda_event_sources as event_sources,
)
from aws_cdk import (
    aws_logs as logs,
)
from aws_cdk import (
    aws_sqs as sqs,
)
from stages import Stage

from stack_parts import LOG_RETENTION, data_removal

ROOT = Path(__file__).resolve().parents[2]  # the image's build context, narrowed by /.dockerignore


class Analyzer:
    def __init__(self, stack: cdk.Stack, *, stage: Stage, environment: dict[str, Any], queue: sqs.IQueue) -> None:
        if stage.analyzer_concurrency < 2:
            raise SystemExit("analyzer_concurrency must be at least 2 (an SQS event source's smallest maximum)")
        arm = stage.architecture == "arm64"
        self.function = lambda_.DockerImageFunction(
            stack,
            "Analyzer",
            description="Analyses uploaded photos and runs background jobs (app.analyze, on the analysis queue)",
            code=lambda_.DockerImageCode.from_image_asset(
                str(ROOT),
                file="infra/analyzer/Dockerfile",
                cmd=["app.analyze"],
                platform=ecr_assets.Platform.LINUX_ARM64 if arm else ecr_assets.Platform.LINUX_AMD64,
            ),
            architecture=lambda_.Architecture.ARM_64 if arm else lambda_.Architecture.X86_64,
            memory_size=stage.analyzer_memory_mb,
            timeout=cdk.Duration.seconds(stage.analyzer_timeout_s),
            reserved_concurrent_executions=stage.analyzer_concurrency if stage.reserve_concurrency else None,
            environment=environment,
            log_group=logs.LogGroup(
                stack, "AnalyzerLogs", retention=LOG_RETENTION[stage.log_retention_days], removal_policy=data_removal(stage)
            ),
        )
        # Batch size 1, and at most as many at once as are reserved: the poller never hands a
        # throttled function messages, which would count as receives towards the DLQ.
        self.function.add_event_source(
            event_sources.SqsEventSource(
                queue,
                batch_size=1,
                max_concurrency=stage.analyzer_concurrency,
            )
        )

    @property
    def role(self) -> iam.IRole:
        role = self.function.role
        assert role is not None  # a function the CDK creates has its own role
        return role

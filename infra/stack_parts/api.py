"""The API: the Chalice app (chalice_api.py) with its own role and log group, and the pages' URLs."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from chalice_api import RECOVERY_FUNCTIONS, chalice_api, kebab
from stages import Stage

from stack_parts import LOG_RETENTION, data_removal

PAGES = ("/", "/gallery", "/review")


class Api:
    def __init__(self, stack: cdk.Stack, *, stage: Stage, environment: dict[str, Any], user_pool_arn: str) -> None:
        self.role = iam.Role(
            stack,
            "ApiRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="The API function (Chalice): presigned uploads and links, records, jobs, events",
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AWSLambdaBasicExecutionRole")],
        )
        function_name = f"{stack.stack_name}-api"
        self.chalice = chalice_api(
            stack,
            arch=stage.architecture,
            function_name=function_name,
            user_pool_arn=user_pool_arn,
            stage_config={
                "api_gateway_stage": "api",
                "manage_iam_role": False,
                "iam_role_arn": self.role.role_arn,
                "lambda_memory_size": stage.api_memory_mb,
                "lambda_timeout": stage.api_timeout_s,
                "environment_variables": environment,
            },
        )
        logs.LogGroup(
            stack,
            "ApiLogs",
            log_group_name=f"/aws/lambda/{function_name}",
            retention=LOG_RETENTION[stage.log_retention_days],
            removal_policy=data_removal(stage),
        )
        self.recovery_functions = [self.chalice.get_resource(name) for name in RECOVERY_FUNCTIONS]
        for name in RECOVERY_FUNCTIONS:
            logs.LogGroup(
                stack,
                f"{name}Logs",
                log_group_name=f"/aws/lambda/{function_name}-{kebab(name)}",
                retention=LOG_RETENTION[stage.log_retention_days],
                removal_policy=data_removal(stage),
            )
        self.rest_api_id = self.chalice.get_resource("RestAPI").ref
        # The pages are served by the API: its own URL is their origin (uploads, sign-in callbacks).
        self.origin = f"https://{self.rest_api_id}.execute-api.{cdk.Aws.REGION}.{cdk.Aws.URL_SUFFIX}"
        self.pages = [
            f"{origin}{prefix}{page}"
            for origin, prefix in ((self.origin, "/api"), *((o, "") for o in stage.extra_origins))
            for page in PAGES
        ]

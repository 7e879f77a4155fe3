"""One Vetrina deployment, wired from its parts (stack_parts/): storage, queues, table, topic, user
pool, the API (Chalice) and the analyzer (a container image). The resource contract is infra/README.md."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct
from stack_parts.analyzer import Analyzer
from stack_parts.api import Api
from stack_parts.bucket import PhotoBucket, bucket_name
from stack_parts.queues import AnalysisQueues
from stack_parts.table import RecordsTable
from stack_parts.topic import EventsTopic
from stack_parts.users import Users
from stages import Stage

from chalicelib.storage.layout import DERIVED_PREFIX, EXPORT_PREFIX, PACK_PREFIX, TRIAL_PREFIX, UPLOAD_PREFIX


class VetrinaStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, *, stage: Stage, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.stage = stage
        cdk.Tags.of(self).add("app", "vetrina")
        cdk.Tags.of(self).add("stage", stage.name)
        self.queues = AnalysisQueues(self, stage=stage)
        self.records = RecordsTable(self, stage=stage)
        self.events = EventsTopic(self, stage=stage)
        self.users = Users(self, stage=stage)
        # Both functions get the same environment; it names the bucket by its fixed name, as the
        # bucket comes after the API (its CORS allows the pages' origin, the API's URL).
        environment = self._environment()
        self.api = Api(self, stage=stage, environment=environment, user_pool_arn=self.users.pool.user_pool_arn)
        self.users.return_to(self.api.pages)
        self.photos = PhotoBucket(
            self, stage=stage, upload_origins=[self.api.origin, *stage.extra_origins], notify=self.queues.queue
        )
        self.analyzer = Analyzer(self, stage=stage, environment=environment, queue=self.queues.queue)
        self._grant_api(self.api.role)
        self._grant_analyzer(self.analyzer.role)
        self._outputs()

    def _environment(self) -> dict[str, str]:
        return {
            "VETRINA_BACKEND": "aws",
            "VETRINA_AUTH": "cognito",
            "VETRINA_BUCKET": bucket_name(self),
            "VETRINA_TABLE": self.records.table.table_name,
            "VETRINA_QUEUE_NAME": self.queues.name,
            "VETRINA_TOPIC_ARN": self.events.topic.topic_arn,
            "VETRINA_LEASE_SECONDS": str(self.stage.lease_seconds),
            "VETRINA_MAX_ATTEMPTS": str(self.stage.max_attempts),
            "VETRINA_USER_POOL_ID": self.users.pool.user_pool_id,
            "VETRINA_USER_POOL_CLIENT_ID": self.users.pages_client.user_pool_client_id,
            "VETRINA_USER_POOL_ARN": self.users.pool.user_pool_arn,
            # Cognito's hosted sign-in for the pages (…/login?client_id=…&response_type=token&…)
            "VETRINA_USER_POOL_DOMAIN": self.users.sign_in.base_url(),
        }

    # --- permissions: each function gets what its code calls, on these resources only ------------

    def _grant_api(self, role: iam.IRole) -> None:
        # its presigned links (any blob) are signed with its role; its presigned POSTs upload photos, pack files
        # and HQ's test photos (trials)
        self.photos.grant_objects(
            role,
            read=(UPLOAD_PREFIX, DERIVED_PREFIX, PACK_PREFIX, EXPORT_PREFIX, TRIAL_PREFIX),
            write=(UPLOAD_PREFIX, PACK_PREFIX, TRIAL_PREFIX),
        )
        self.records.grant_records(role)
        self.queues.grant_enqueue(role)  # re-runs and exports are queued for the worker; the sweep re-queues lost uploads
        self.queues.grant_consume_dead_letters(role)  # app.stop_dead_letters runs with the API's role
        self.events.grant_publish(role)
        # Lambda checks the role when it creates the dead-letter queue's event source: the grant first.
        policy = role.node.try_find_child("DefaultPolicy")
        if policy is not None:
            for function in self.api.recovery_functions:
                function.node.add_dependency(policy)

    def _grant_analyzer(self, role: iam.IRole) -> None:
        # Receiving from the queue is granted by the event source (Receive/Delete/ChangeVisibility/
        # GetQueueAttributes/GetQueueUrl on this queue only).
        # a trial reads HQ's test photo and writes its overlay beside it
        self.photos.grant_objects(
            role,
            read=(UPLOAD_PREFIX, PACK_PREFIX, DERIVED_PREFIX, TRIAL_PREFIX),
            write=(DERIVED_PREFIX, EXPORT_PREFIX, TRIAL_PREFIX),
        )
        self.records.grant_records(role)
        self.queues.grant_enqueue(role)  # a job may queue follow-up work
        self.events.grant_publish(role)

    def _outputs(self) -> None:
        users, rest_api_id = self.users, self.api.rest_api_id
        for key, value, description in (
            ("ApiUrl", cdk.Fn.join("", [self.api.origin, "/api/"]), "The pages and the API"),
            (
                "SignInUrl",
                cdk.Fn.join(
                    "",
                    [
                        users.sign_in.base_url(),
                        "/login?response_type=token&scope=openid+email+profile&client_id=",
                        users.pages_client.user_pool_client_id,
                        "&redirect_uri=https%3A%2F%2F",
                        rest_api_id,
                        ".execute-api.",
                        cdk.Aws.REGION,
                        ".",
                        cdk.Aws.URL_SUFFIX,
                        "%2Fapi%2F",
                    ],
                ),
                "Cognito's sign-in for the store page",
            ),
            ("BucketName", self.photos.bucket.bucket_name, "VETRINA_BUCKET"),
            ("TableName", self.records.table.table_name, "VETRINA_TABLE"),
            ("QueueName", self.queues.queue.queue_name, "VETRINA_QUEUE_NAME (its DLQ: <name>-dlq)"),
            ("TopicArn", self.events.topic.topic_arn, "VETRINA_TOPIC_ARN"),
            ("UserPoolId", users.pool.user_pool_id, "VETRINA_USER_POOL_ID"),
            ("UserPoolClientId", users.pages_client.user_pool_client_id, "VETRINA_USER_POOL_CLIENT_ID"),
            ("AnalyzerFunction", self.analyzer.function.function_name, "The analyzer (container image)"),
        ):
            cdk.CfnOutput(self, key, value=value, description=description)

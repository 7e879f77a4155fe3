"""One Vetrina deployment: storage, queue, table, user pool, topic, the API (Chalice) and the
analyzer (a container image). The resource contract is infra/README.md."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import (
    aws_cloudwatch as cloudwatch,
    aws_cognito as cognito,
    aws_dynamodb as dynamodb,
    aws_ecr_assets as ecr_assets,
    aws_iam as iam,
    aws_kms as kms,
    aws_lambda as lambda_,
    aws_lambda_event_sources as event_sources,
    aws_logs as logs,
    aws_s3 as s3,
    aws_s3_notifications as s3n,
    aws_sns as sns,
    aws_sqs as sqs,
)
from constructs import Construct

from chalice_api import chalice_api
from stages import Stage

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))
from chalicelib.storage.dynamodb_records import TABLE_KEY_SCHEMA  # noqa: E402  (the table's one definition)

GROUPS = {
    "store": "Store staff: submissions and results of the stores in custom:stores",
    "merchandiser": "Visual merchandisers: review the submissions of the regions in custom:regions",
    "hq": "Headquarters: campaigns, guidelines, analytics, exports; everything",
}
RETENTION = {7: logs.RetentionDays.ONE_WEEK, 14: logs.RetentionDays.TWO_WEEKS, 30: logs.RetentionDays.ONE_MONTH,
             90: logs.RetentionDays.THREE_MONTHS, 365: logs.RetentionDays.ONE_YEAR}
UPLOAD_PREFIX = "incoming/"  # the photos: the notification's filter (chalicelib/wiring.py NOTIFIED_PREFIX)


class VetrinaStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, *, stage: Stage, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.stage = stage
        data_removal = cdk.RemovalPolicy.RETAIN if stage.retain_data else cdk.RemovalPolicy.DESTROY
        name = self.stack_name
        cdk.Tags.of(self).add("app", "vetrina")
        cdk.Tags.of(self).add("stage", stage.name)

        # --- queue and dead-letter queue ------------------------------------------------------------
        queue_name = f"{name}-analysis"  # the app finds the DLQ as "<queue>-dlq" (chalicelib/storage/sqs_queue.py)
        self.dlq = sqs.Queue(
            self, "AnalysisDLQ", queue_name=f"{queue_name}-dlq", encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True, retention_period=cdk.Duration.days(14), removal_policy=data_removal,
        )
        self.queue = sqs.Queue(
            self, "AnalysisQueue", queue_name=queue_name, encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True,
            visibility_timeout=cdk.Duration.seconds(6 * stage.analyzer_timeout_s),
            retention_period=cdk.Duration.days(4),
            dead_letter_queue=sqs.DeadLetterQueue(queue=self.dlq, max_receive_count=stage.max_attempts),
            removal_policy=data_removal,
        )
        self.dlq_alarm = cloudwatch.Alarm(
            self, "AnalysisDLQNotEmpty", alarm_name=f"{name}-analysis-dead-letters",
            alarm_description="Photos whose analysis failed every attempt are in the dead-letter queue: "
                              "fix the cause, then `python -m chalicelib.devtools.cli redrive`.",
            metric=self.dlq.metric_approximate_number_of_messages_visible(
                period=cdk.Duration.minutes(1), statistic="Maximum"),
            threshold=0, comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1, treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )

        # --- table ----------------------------------------------------------------------------------
        self.table = self._table(data_removal)

        # --- topic ----------------------------------------------------------------------------------
        self.topic = sns.Topic(
            self, "Events", topic_name=f"{name}-events", enforce_ssl=True,
            master_key=kms.Alias.from_alias_name(self, "SnsManagedKey", "alias/aws/sns"),
        )
        self.topic.apply_removal_policy(data_removal)

        # --- users ----------------------------------------------------------------------------------
        self.user_pool, self.pages_client, self.sign_in_domain = self._users(data_removal)

        # --- the API (Chalice) ----------------------------------------------------------------------
        # A fixed bucket name (unique by account and region): the functions' environment names it
        # before the bucket, whose CORS needs the API's URL, is defined below.
        bucket_name = f"{name}-photos-{cdk.Aws.ACCOUNT_ID}-{cdk.Aws.REGION}"
        environment = {
            "VETRINA_BACKEND": "aws",
            "VETRINA_AUTH": "cognito",
            "VETRINA_BUCKET": bucket_name,
            "VETRINA_TABLE": self.table.table_name,
            "VETRINA_QUEUE_NAME": queue_name,
            "VETRINA_TOPIC_ARN": self.topic.topic_arn,
            "VETRINA_LEASE_SECONDS": str(stage.lease_seconds),
            "VETRINA_MAX_ATTEMPTS": str(stage.max_attempts),
            "VETRINA_USER_POOL_ID": self.user_pool.user_pool_id,
            "VETRINA_USER_POOL_CLIENT_ID": self.pages_client.user_pool_client_id,
            "VETRINA_USER_POOL_ARN": self.user_pool.user_pool_arn,
            # Cognito's hosted sign-in for the pages (…/login?client_id=…&response_type=token&…)
            "VETRINA_USER_POOL_DOMAIN": self.sign_in_domain.base_url(),
        }
        self.api_role = iam.Role(
            self, "ApiRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="The API function (Chalice): presigned uploads and links, records, jobs, events",
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AWSLambdaBasicExecutionRole")],
        )
        api_function_name = f"{name}-api"
        self.api = chalice_api(self, arch=stage.architecture, function_name=api_function_name,
                               user_pool_arn=self.user_pool.user_pool_arn, stage_config={
            "api_gateway_stage": "api",
            "manage_iam_role": False,
            "iam_role_arn": self.api_role.role_arn,
            "lambda_memory_size": stage.api_memory_mb,
            "lambda_timeout": stage.api_timeout_s,
            "environment_variables": environment,
        })
        logs.LogGroup(self, "ApiLogs", log_group_name=f"/aws/lambda/{api_function_name}",
                      retention=RETENTION[stage.log_retention_days], removal_policy=data_removal)
        rest_api_id = self.api.get_resource("RestAPI").ref
        pages_origin = f"https://{rest_api_id}.execute-api.{cdk.Aws.REGION}.{cdk.Aws.URL_SUFFIX}"
        pages = [f"{origin}{path}" for origin, prefix in ((pages_origin, "/api"), *((o, "") for o in stage.extra_origins))
                 for path in (f"{prefix}/", f"{prefix}/gallery", f"{prefix}/review")]
        # The hosted sign-in returns to the page it was opened from (#id_token=…, read by session.js).
        client = self.pages_client.node.default_child
        client.add_property_override("CallbackURLs", pages)
        client.add_property_override("LogoutURLs", pages)

        # --- bucket ---------------------------------------------------------------------------------
        self.bucket = s3.Bucket(
            self, "Photos", bucket_name=bucket_name,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True, minimum_tls_version=1.2,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[
                s3.LifecycleRule(id="abort-incomplete-multipart-uploads",
                                 abort_incomplete_multipart_upload_after=cdk.Duration.days(1)),
                s3.LifecycleRule(id="expire-incoming", prefix=UPLOAD_PREFIX,
                                 expiration=cdk.Duration.days(stage.incoming_retention_days)),
            ],
            cors=[s3.CorsRule(
                allowed_methods=[s3.HttpMethods.POST],
                allowed_origins=[pages_origin, *stage.extra_origins],
                allowed_headers=["*"], max_age=3000,
            )],
            removal_policy=data_removal,
        )
        self.bucket.add_event_notification(
            s3.EventType.OBJECT_CREATED, s3n.SqsDestination(self.queue), s3.NotificationKeyFilter(prefix=UPLOAD_PREFIX)
        )

        # --- the analyzer (container image) ---------------------------------------------------------
        platform = ecr_assets.Platform.LINUX_ARM64 if stage.architecture == "arm64" else ecr_assets.Platform.LINUX_AMD64
        self.analyzer = lambda_.DockerImageFunction(
            self, "Analyzer",
            description="Analyses uploaded photos and runs background jobs (app.analyze, on the analysis queue)",
            code=lambda_.DockerImageCode.from_image_asset(
                str(ROOT), file="infra/analyzer/Dockerfile", platform=platform, cmd=["app.analyze"],
            ),
            architecture=lambda_.Architecture.ARM_64 if stage.architecture == "arm64" else lambda_.Architecture.X86_64,
            memory_size=stage.analyzer_memory_mb,
            timeout=cdk.Duration.seconds(stage.analyzer_timeout_s),
            reserved_concurrent_executions=stage.analyzer_concurrency if stage.reserve_concurrency else None,
            environment=environment,
            log_group=logs.LogGroup(self, "AnalyzerLogs", retention=RETENTION[stage.log_retention_days],
                                    removal_policy=data_removal),
        )
        if stage.analyzer_concurrency < 2:
            raise SystemExit("analyzer_concurrency must be at least 2 (an SQS event source's smallest maximum)")
        self.analyzer.add_event_source(event_sources.SqsEventSource(
            self.queue, batch_size=1, max_concurrency=stage.analyzer_concurrency,
        ))

        # --- permissions: each function gets what its code calls, on these resources only ------------
        self._grant_api(self.api_role)
        self._grant_analyzer(self.analyzer.role)

        for key, value, description in (
            ("ApiUrl", cdk.Fn.join("", [pages_origin, "/api/"]), "The pages and the API"),
            ("SignInUrl", cdk.Fn.join("", [
                self.sign_in_domain.base_url(), "/login?response_type=token&scope=openid+email+profile&client_id=",
                self.pages_client.user_pool_client_id, "&redirect_uri=https%3A%2F%2F", rest_api_id, ".execute-api.",
                cdk.Aws.REGION, ".", cdk.Aws.URL_SUFFIX, "%2Fapi%2F"]), "Cognito's sign-in for the store page"),
            ("BucketName", self.bucket.bucket_name, "VETRINA_BUCKET"),
            ("TableName", self.table.table_name, "VETRINA_TABLE"),
            ("QueueName", self.queue.queue_name, "VETRINA_QUEUE_NAME (its DLQ: <name>-dlq)"),
            ("TopicArn", self.topic.topic_arn, "VETRINA_TOPIC_ARN"),
            ("UserPoolId", self.user_pool.user_pool_id, "VETRINA_USER_POOL_ID"),
            ("UserPoolClientId", self.pages_client.user_pool_client_id, "VETRINA_USER_POOL_CLIENT_ID"),
            ("AnalyzerFunction", self.analyzer.function_name, "The analyzer (container image)"),
        ):
            cdk.CfnOutput(self, key, value=value, description=description)

    # --- parts -----------------------------------------------------------------------------------

    def _table(self, removal: cdk.RemovalPolicy) -> dynamodb.Table:
        """pk/sk and every global secondary index of chalicelib's TABLE_KEY_SCHEMA, on demand."""
        types = {d["AttributeName"]: dynamodb.AttributeType(
            {"S": "STRING", "N": "NUMBER", "B": "BINARY"}[d["AttributeType"]])
            for d in TABLE_KEY_SCHEMA["AttributeDefinitions"]}

        def keys(schema: list[dict[str, str]]) -> dict[str, dynamodb.Attribute]:
            found = {}
            for key in schema:
                attribute = dynamodb.Attribute(name=key["AttributeName"], type=types[key["AttributeName"]])
                found["partition_key" if key["KeyType"] == "HASH" else "sort_key"] = attribute
            return found

        assert TABLE_KEY_SCHEMA["BillingMode"] == "PAY_PER_REQUEST"
        table = dynamodb.Table(
            self, "Records", **keys(TABLE_KEY_SCHEMA["KeySchema"]),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True),
            deletion_protection=self.stage.retain_data,
            removal_policy=removal,
        )
        for index in TABLE_KEY_SCHEMA.get("GlobalSecondaryIndexes", []):
            projection = index["Projection"]["ProjectionType"]
            table.add_global_secondary_index(
                index_name=index["IndexName"], **keys(index["KeySchema"]),
                projection_type=dynamodb.ProjectionType(projection),
                non_key_attributes=index["Projection"].get("NonKeyAttributes"),
            )
        return table

    def _users(self, removal: cdk.RemovalPolicy) -> tuple[cognito.UserPool, cognito.UserPoolClient,
                                                           cognito.UserPoolDomain]:
        pool = cognito.UserPool(
            self, "Users", user_pool_name=f"{self.stack_name}-users",
            self_sign_up_enabled=False,  # HQ creates the accounts (infra/README.md)
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(email=cognito.StandardAttribute(required=True, mutable=True)),
            custom_attributes={
                # comma-separated ids: the stores a store account acts for, the regions a merchandiser reviews
                "stores": cognito.StringAttribute(min_len=0, max_len=2048, mutable=True),
                "regions": cognito.StringAttribute(min_len=0, max_len=2048, mutable=True),
            },
            password_policy=cognito.PasswordPolicy(min_length=12, require_digits=True, require_lowercase=True,
                                                   require_uppercase=True, require_symbols=False),
            mfa=cognito.Mfa.OPTIONAL, mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            deletion_protection=self.stage.retain_data,
            removal_policy=removal,
        )
        for group, description in GROUPS.items():
            cognito.CfnUserPoolGroup(self, f"Group{group.capitalize()}", user_pool_id=pool.user_pool_id,
                                     group_name=group, description=description)
        # Cognito's hosted sign-in, at https://vetrina-<stage>-<account>.auth.<region>.amazoncognito.com
        domain = pool.add_domain("SignIn", cognito_domain=cognito.CognitoDomainOptions(
            domain_prefix=f"{self.stack_name}-{cdk.Aws.ACCOUNT_ID}"))
        # The pages' client: public (no secret). It may read the scope attributes (they reach the ID
        # token) but not write them: a user changing its own custom:stores would widen its own scope.
        # The pages take the ID token from the hosted sign-in's redirect (the implicit grant, which
        # session.js reads); the callback URLs, the pages' own, are set once the API exists.
        client = pool.add_client(
            "Pages", user_pool_client_name=f"{self.stack_name}-pages", generate_secret=False,
            auth_flows=cognito.AuthFlow(user_srp=True, user_password=True),
            prevent_user_existence_errors=True, enable_token_revocation=True,
            id_token_validity=cdk.Duration.hours(1), access_token_validity=cdk.Duration.hours(1),
            refresh_token_validity=cdk.Duration.days(30),
            read_attributes=cognito.ClientAttributes()
            .with_standard_attributes(email=True, email_verified=True, fullname=True)
            .with_custom_attributes("stores", "regions"),
            write_attributes=cognito.ClientAttributes().with_standard_attributes(fullname=True),
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(implicit_code_grant=True),
                scopes=[cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
            ),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
        )
        return pool, client, domain

    def _grant_api(self, role: iam.IRole) -> None:
        self._grant_s3(role, read=("incoming/*", "derived/*", "packs/*", "exports/*"), write=("incoming/*", "packs/*"))
        self._grant_records(role)
        role.add_to_principal_policy(iam.PolicyStatement(  # re-runs and exports are queued for the worker
            sid="EnqueueJobs", actions=["sqs:SendMessage", "sqs:GetQueueUrl"], resources=[self.queue.queue_arn]))
        self._grant_publish(role)

    def _grant_analyzer(self, role: iam.IRole | None) -> None:
        assert role is not None
        # Receiving from the queue is granted by the event source (Receive/Delete/ChangeVisibility/
        # GetQueueAttributes/GetQueueUrl on this queue only).
        self._grant_s3(role, read=("incoming/*", "packs/*", "derived/*"), write=("derived/*", "exports/*"))
        self._grant_records(role)
        role.add_to_principal_policy(iam.PolicyStatement(  # a job may queue follow-up work
            sid="EnqueueJobs", actions=["sqs:SendMessage", "sqs:GetQueueUrl"], resources=[self.queue.queue_arn]))
        self._grant_publish(role)

    def _grant_s3(self, role: iam.IRole, *, read: tuple[str, ...], write: tuple[str, ...]) -> None:
        role.add_to_principal_policy(iam.PolicyStatement(
            sid="ReadObjects", actions=["s3:GetObject"], resources=[self.bucket.arn_for_objects(k) for k in read]))
        role.add_to_principal_policy(iam.PolicyStatement(
            sid="WriteObjects", actions=["s3:PutObject"], resources=[self.bucket.arn_for_objects(k) for k in write]))
        # Without s3:ListBucket, S3 answers 403 instead of 404 for a missing key, and the blob store
        # could not tell "not uploaded yet" (exists(), BlobNotFound) from a denial.
        role.add_to_principal_policy(iam.PolicyStatement(
            sid="TellMissingKeys", actions=["s3:ListBucket"], resources=[self.bucket.bucket_arn]))

    def _grant_records(self, role: iam.IRole) -> None:
        role.add_to_principal_policy(iam.PolicyStatement(
            sid="Records",
            actions=["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:PutItem",
                     "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
                     "dynamodb:ConditionCheckItem"],
            resources=[self.table.table_arn, f"{self.table.table_arn}/index/*"],
        ))

    def _grant_publish(self, role: iam.IRole) -> None:
        role.add_to_principal_policy(iam.PolicyStatement(
            sid="PublishEvents", actions=["sns:Publish"], resources=[self.topic.topic_arn]))

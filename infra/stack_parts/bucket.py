"""The photo bucket: private, TLS only, its blobs under the storage layout's prefixes
(chalicelib/storage/layout.py); uploads notify the analysis queue."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from aws_cdk import aws_sqs as sqs
from stages import Stage

from chalicelib.storage.layout import BLOB_PREFIXES, TRIAL_PREFIX, TRIAL_RETENTION_DAYS, UPLOAD_PREFIX
from stack_parts import data_removal


def bucket_name(stack: cdk.Stack) -> str:
    """A fixed name, unique by account and region: the functions' environment names the bucket
    before it is defined (its CORS needs the API's URL, and the API its environment)."""
    return f"{stack.stack_name}-photos-{cdk.Aws.ACCOUNT_ID}-{cdk.Aws.REGION}"


class PhotoBucket:
    def __init__(self, stack: cdk.Stack, *, stage: Stage, upload_origins: list[str], notify: sqs.IQueue) -> None:
        self.bucket = s3.Bucket(
            stack,
            "Photos",
            bucket_name=bucket_name(stack),
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            # The judged photo stays the judged photo: a form posted again within its policy's life
            # adds a version; the submission records the version it judged, links serve that one.
            versioned=True,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="abort-incomplete-multipart-uploads", abort_incomplete_multipart_upload_after=cdk.Duration.days(1)
                ),
                s3.LifecycleRule(
                    id="expire-incoming",
                    prefix=UPLOAD_PREFIX,
                    expiration=cdk.Duration.days(stage.incoming_retention_days),
                    noncurrent_version_expiration=cdk.Duration.days(stage.incoming_retention_days),
                ),
                # derived images and exports are rewritten (re-runs): their old versions go soon
                *(
                    s3.LifecycleRule(
                        id=f"expire-old-{prefix.strip('/')}", prefix=prefix, noncurrent_version_expiration=cdk.Duration.days(7)
                    )
                    for prefix in BLOB_PREFIXES
                    if prefix not in (UPLOAD_PREFIX, TRIAL_PREFIX)
                ),
                # HQ's test photos (a draft guideline tried before publishing) and their overlays: a
                # trial is read within minutes, and kept a day for the page to show again
                s3.LifecycleRule(
                    id="expire-trials",
                    prefix=TRIAL_PREFIX,
                    expiration=cdk.Duration.days(TRIAL_RETENTION_DAYS),
                    noncurrent_version_expiration=cdk.Duration.days(TRIAL_RETENTION_DAYS),
                ),
            ],
            cors=[
                s3.CorsRule(
                    allowed_methods=[s3.HttpMethods.POST],
                    allowed_origins=upload_origins,
                    allowed_headers=["*"],
                    max_age=3000,
                )
            ],
            removal_policy=data_removal(stage),
        )
        self.bucket.add_event_notification(
            s3.EventType.OBJECT_CREATED, s3n.SqsDestination(notify), s3.NotificationKeyFilter(prefix=UPLOAD_PREFIX)
        )

    def grant_objects(self, role: iam.IRole, *, read: tuple[str, ...], write: tuple[str, ...]) -> None:
        """GetObject under the ``read`` prefixes and PutObject under the ``write`` ones (the layout's
        blob prefixes), and ListBucket."""
        unknown = set(read + write) - set(BLOB_PREFIXES)
        assert not unknown, f"not a blob prefix of chalicelib/storage/layout.py: {sorted(unknown)}"
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ReadObjects",
                actions=["s3:GetObject", "s3:GetObjectVersion"],
                resources=[self.bucket.arn_for_objects(f"{p}*") for p in read],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="WriteObjects", actions=["s3:PutObject"], resources=[self.bucket.arn_for_objects(f"{p}*") for p in write]
            )
        )
        # Without s3:ListBucket, S3 answers 403 instead of 404 for a missing key, and the blob store
        # could not tell "not uploaded yet" (exists(), BlobNotFound) from a denial.
        role.add_to_principal_policy(
            iam.PolicyStatement(sid="TellMissingKeys", actions=["s3:ListBucket"], resources=[self.bucket.bucket_arn])
        )

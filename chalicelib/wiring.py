"""The one place where configuration picks the storage adapters and builds the services."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from chalicelib.core.settings import Settings
from chalicelib.services.analytics import Analytics, Counters
from chalicelib.services.campaigns import Campaigns
from chalicelib.services.jobs import Jobs
from chalicelib.services.notifications import DecisionNotices, Notifications
from chalicelib.services.recovery import Recovery
from chalicelib.services.reminders import Reminders
from chalicelib.services.review import Review
from chalicelib.services.store_directory import StoreDirectory
from chalicelib.services.stores import Stores
from chalicelib.services.submissions import Submissions
from chalicelib.services.trials import Trials
from chalicelib.storage import layout
from chalicelib.storage.ports import BlobStore, EventFeed, EventPublisher, RecordStore, WorkQueue

LOCAL_BUCKET = "local"


@dataclass
class Services:
    settings: Settings
    blobs: BlobStore
    records: RecordStore
    queue: WorkQueue
    events: EventPublisher
    campaigns: Campaigns
    stores: Stores
    submissions: Submissions
    review: Review
    counters: Counters
    analytics: Analytics
    jobs: Jobs
    notifications: Notifications
    recovery: Recovery
    reminders: Reminders
    trials: Trials
    store_directory: StoreDirectory
    notices: DecisionNotices  # a review decision's message to the store, once and the latest


def build_services(settings: Settings) -> Services:
    if settings.backend == "aws":
        blobs, records, queue, events, feed = _aws_adapters(settings)
    else:
        blobs, records, queue, events, feed = _local_adapters(settings)
    counters = Counters(records)
    stores = Stores(records)
    campaigns = Campaigns(records, blobs, stores, settings, counters)
    submissions = Submissions(records, blobs, campaigns, settings)
    notices = DecisionNotices(records, queue, events, settings.review_notice_delay)
    review = Review(records, blobs, campaigns, submissions, notices, counters, settings.link_expires_in)
    reminders = Reminders(records, events)
    jobs = Jobs(records, blobs, queue, campaigns, settings, reminders)
    notifications = Notifications(feed, stores)
    recovery = Recovery(
        records, blobs, queue, events, counters, settings, bucket=settings.bucket if settings.backend == "aws" else LOCAL_BUCKET
    )
    return Services(
        settings,
        blobs,
        records,
        queue,
        events,
        campaigns,
        stores,
        submissions,
        review,
        counters,
        Analytics(records),
        jobs,
        notifications,
        recovery,
        reminders,
        Trials(records, blobs, campaigns, queue, settings),
        StoreDirectory(records),
        notices,
    )


Adapters = tuple[BlobStore, RecordStore, WorkQueue, EventPublisher, EventFeed | None]


def _local_adapters(settings: Settings) -> Adapters:
    from chalicelib.storage.local_blobs import LocalBlobStore
    from chalicelib.storage.notifications import object_created_event
    from chalicelib.storage.outbox_events import OutboxPublisher
    from chalicelib.storage.sqlite_queue import SQLiteWorkQueue
    from chalicelib.storage.sqlite_records import SQLiteRecordStore

    root = settings.data_dir
    queue = SQLiteWorkQueue(
        root / "queue.sqlite3",
        visibility_timeout=settings.lease_seconds + 15,
        max_receives=settings.max_attempts,
    )

    # The local stand-in for the bucket notification (the upload prefix, as in AWS): an accepted
    # photo upload is queued for analysis.
    def notify(key: str, size: int) -> None:
        if key.startswith(layout.UPLOAD_PREFIX):
            queue.send(object_created_event(LOCAL_BUCKET, key, size))

    blobs = LocalBlobStore(root, settings.public_url, on_created=notify)
    records = SQLiteRecordStore(root / "records.sqlite3")
    outbox = OutboxPublisher(records)  # the events, and the feed that reads them back
    return blobs, records, queue, outbox, outbox


def _aws_adapters(settings: Settings) -> Adapters:
    import boto3
    from botocore.config import Config

    from chalicelib.storage.dynamodb_records import DynamoRecordStore
    from chalicelib.storage.s3_blobs import S3BlobStore
    from chalicelib.storage.sns_events import SNSPublisher
    from chalicelib.storage.sqs_queue import SQSWorkQueue

    # Presigned URLs must be SigV4 (the bucket is KMS-encrypted); the emulator in the tests
    # needs path-style addressing, AWS prefers virtual-hosted style.
    s3 = boto3.client("s3", config=Config(signature_version="s3v4", s3={"addressing_style": settings.s3_addressing_style}))
    table = boto3.resource("dynamodb").Table(settings.table)
    queue = SQSWorkQueue(boto3.client("sqs"), settings.queue_name)
    events = SNSPublisher(boto3.client("sns"), settings.topic_arn)
    return S3BlobStore(s3, settings.bucket), DynamoRecordStore(table), queue, events, None  # events leave through SNS


@functools.lru_cache(maxsize=1)
def services() -> Services:
    """The process's services, from the environment; built on first use (cold start)."""
    return build_services(Settings.from_env())

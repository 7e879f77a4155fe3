"""Background jobs that a request starts and the worker finishes: re-running a campaign's photos
against its current guideline, and exports of any size.

A job is a message on the analysis queue (``{"job": ...}``) beside the storage notifications, so
it gets the same retries and dead-letter queue. Long jobs go a page at a time: each page's
message sends the next one, so no single run is long and a retry repeats one page only.
"""

from __future__ import annotations

import csv
import json
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from chalicelib.core import clock
from chalicelib.core.auth import Caller
from chalicelib.core.errors import Conflict, NotFound
from chalicelib.core.ids import new_export_id
from chalicelib.core.settings import Settings
from chalicelib.core.validation import parse_model
from chalicelib.services.campaigns import Campaigns, check_campaign_id
from chalicelib.services.reminders import Reminders
from chalicelib.storage import layout
from chalicelib.storage.layout import submission_key
from chalicelib.storage.notifications import object_created_event
from chalicelib.storage.ports import BlobStore, ConditionFailed, RecordStore, WorkQueue, eq

RERUN_PAGE = 100
EXPORT_PAGE = 500
BUCKET_PLACEHOLDER = "vetrina"  # the worker reads the key only; the bucket is its own


class ExportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["results", "labels"]
    campaign_id: str


RESULT_COLUMNS = [
    "submission_id",
    "campaign_id",
    "store_id",
    "region",
    "status",
    "verdict",
    "score",
    "guideline_version",
    "review_state",
    "reviewed_by",
    "created_at",
    "analyzed_at",
    "failed_rules",
]
LABEL_COLUMNS = [
    "submission_id",
    "campaign_id",
    "store_id",
    "region",
    "photo_key",
    "normalised_key",
    "guideline_version",
    "rule_id",
    "rule_type",
    "value",
    "model_status",
    "reviewer_status",
    "overridden",
    "labelled_by",
    "labelled_at",
    "photo_version",
    "photo_sha256",
]


class Jobs:
    def __init__(
        self,
        records: RecordStore,
        blobs: BlobStore,
        queue: WorkQueue,
        campaigns: Campaigns,
        settings: Settings,
        reminders: Reminders | None = None,
    ):
        self._records = records
        self._blobs = blobs
        self._queue = queue
        self._campaigns = campaigns
        self._settings = settings
        self._reminders = reminders  # the scheduled reminders (in AWS an EventBridge rule queues them hourly)

    # --- starting (API) ----------------------------------------------------------------------------

    def start_rerun(self, campaign_id: str) -> dict[str, Any]:
        """Judge the campaign's analysed photos again, by its current guideline version."""
        campaign = self._campaigns.load(campaign_id)
        if campaign["status"] == "draft":
            raise Conflict(f"campaign {campaign_id!r} is a draft: it has no photos to re-run yet", code="campaign_draft")
        version = campaign["guideline_version"]
        self._queue.send(json.dumps({"job": "rerun", "campaign_id": campaign_id, "version": version, "cursor": None}))
        return {"campaign_id": campaign_id, "guideline_version": version, "status": "queued"}

    def start_export(self, caller: Caller, body: Any) -> dict[str, Any]:
        request = parse_model(ExportIn, body)
        check_campaign_id(request.campaign_id)
        self._campaigns.load(request.campaign_id)
        export_id = new_export_id()
        pk, sk = layout.export_key(export_id)
        self._records.put(
            {
                "pk": pk,
                "sk": sk,
                "export_id": export_id,
                "kind": request.kind,
                "campaign_id": request.campaign_id,
                "status": "queued",
                "requested_by": caller.username,
                "created_at": clock.now_iso(),
            }
        )
        self._queue.send(json.dumps({"job": "export", "export_id": export_id}))
        return {"export_id": export_id, "status": "queued", "kind": request.kind, "campaign_id": request.campaign_id}

    def export(self, export_id: str) -> dict[str, Any]:
        item = self._records.get(*layout.export_key(export_id)) if export_id.startswith("exp_") else None
        if item is None:
            raise NotFound(f"export {export_id!r} does not exist", code="export_not_found")
        out: dict[str, Any] = {k: item[k] for k in ("export_id", "kind", "campaign_id", "status", "created_at") if k in item}
        if item["status"] == "failed":
            out.update(reason=item.get("reason", ""), finished_at=item["finished_at"])
        if item["status"] == "done":
            out.update(
                rows=item["rows"],
                finished_at=item["finished_at"],
                download=self._blobs.presigned_get(item["key"], self._settings.link_expires_in),
            )
        return out

    # --- running (worker) -------------------------------------------------------------------------

    def handle(self, body: str) -> str:
        message = json.loads(body)
        if message["job"] == "rerun":
            return self._rerun_page(message)
        if message["job"] == "export":
            return self._export(message["export_id"])
        if message["job"] == "reminders" and self._reminders is not None:
            return f"reminders: {self._reminders.remind_due(float(message.get('lead_hours', 24)))['sent']} sent"
        raise ValueError(f"unknown job {message['job']!r}")

    def _rerun_page(self, message: dict[str, Any]) -> str:
        campaign_id, version = message["campaign_id"], message["version"]
        page = self._records.query(
            layout.campaign_submissions_partition(campaign_id),
            index="gsi1",
            sk_prefix=layout.SUBMISSION_PREFIX,
            limit=RERUN_PAGE,
            cursor=message["cursor"],
        )
        queued = 0
        for item in page.items:
            if item["status"] != "done" or item.get("guideline_version") == version:
                continue
            # the sweep's marker first: if the message below is lost, the sweep queues the photo again
            pending_pk, pending_sk = layout.pending_key(time.time(), item["submission_id"])
            self._records.put({"pk": pending_pk, "sk": pending_sk, "submission_id": item["submission_id"]})
            try:  # only a finished photo goes back to the queue; its current result stays until the new one
                self._records.update(
                    *submission_key(item["submission_id"]),
                    set={"status": "queued", "updated_at": clock.now_iso()},
                    condition=eq("status", "done"),
                )
            except ConditionFailed:
                continue
            self._queue.send(object_created_event(BUCKET_PLACEHOLDER, item["upload_key"], 0))
            queued += 1
        if page.cursor:
            self._queue.send(json.dumps({**message, "cursor": page.cursor}))
        return f"rerun: {queued} photo(s) queued"

    def _export(self, export_id: str) -> str:
        item = self._records.get(*layout.export_key(export_id))
        if item is None or item["status"] == "done":
            return "export: nothing to do"
        rows = self._labels(item["campaign_id"]) if item["kind"] == "labels" else self._results(item["campaign_id"])
        columns = LABEL_COLUMNS if item["kind"] == "labels" else RESULT_COLUMNS
        key = layout.export_blob_key(export_id)
        with tempfile.TemporaryDirectory() as folder:  # rows stream to disk, then to storage: any size
            path = Path(folder) / "export.csv"
            count = 0
            with path.open("w", newline="", encoding="utf-8") as file:
                writer = csv.DictWriter(file, fieldnames=columns)
                writer.writeheader()
                for row in rows:
                    writer.writerow({name: spreadsheet_safe(value) for name, value in row.items()})
                    count += 1
            self._blobs.put_file(key, path, "text/csv")
        self._records.update(
            *layout.export_key(export_id), set={"status": "done", "key": key, "rows": count, "finished_at": clock.now_iso()}
        )
        return f"export: {count} row(s)"

    def _submissions(self, campaign_id: str) -> Iterator[dict[str, Any]]:
        cursor = None
        while True:
            page = self._records.query(
                layout.campaign_submissions_partition(campaign_id),
                index="gsi1",
                sk_prefix=layout.SUBMISSION_PREFIX,
                limit=EXPORT_PAGE,
                cursor=cursor,
            )
            yield from page.items
            if not (cursor := page.cursor):
                return

    def _results(self, campaign_id: str) -> Iterator[dict[str, Any]]:
        for item in self._submissions(campaign_id):
            result = item.get("result") or {}
            review = item.get("review") or {}
            overrides = item.get("overrides") or {}
            failed = [
                r["id"] for r in result.get("rules", []) if overrides.get(r["id"], {}).get("reviewer", r["status"]) == "fail"
            ]
            yield {
                **{
                    k: item.get(k, "")
                    for k in (
                        "submission_id",
                        "campaign_id",
                        "store_id",
                        "region",
                        "status",
                        "guideline_version",
                        "created_at",
                        "analyzed_at",
                    )
                },
                "verdict": result.get("verdict", ""),
                "score": result.get("score", ""),
                "review_state": review.get("state", "pending"),
                "reviewed_by": review.get("by", ""),
                "failed_rules": " ".join(failed),
            }

    def _labels(self, campaign_id: str) -> Iterator[dict[str, Any]]:
        """Every rule a reviewer labelled: explicitly (an override), or by deciding without one."""
        for item in self._submissions(campaign_id):
            review = item.get("review") or {}
            overrides = item.get("overrides") or {}
            if not review and not overrides:
                continue
            for rule in (item.get("result") or {}).get("rules", []):
                override = overrides.get(rule["id"])
                reviewer = (
                    override["reviewer"]
                    if override
                    else (rule["status"] if review and rule["status"] in ("pass", "fail") else None)
                )
                if reviewer is None:
                    continue
                yield {
                    **{k: item.get(k, "") for k in ("submission_id", "campaign_id", "store_id", "region", "guideline_version")},
                    "photo_key": item["upload_key"],
                    "normalised_key": (item.get("derived") or {}).get("normalised", ""),
                    "rule_id": rule["id"],
                    "rule_type": rule["type"],
                    "value": rule.get("value", ""),
                    "model_status": rule["status"],
                    "reviewer_status": reviewer,
                    "overridden": bool(override and reviewer != rule["status"]),
                    "labelled_by": (override or review).get("by", ""),
                    "labelled_at": (override or review).get("at", ""),
                    # the judged bytes: the key's version (AWS, versioned bucket) and their sha256
                    "photo_version": item.get("photo_version") or "",
                    "photo_sha256": item.get("photo_sha256", ""),
                }


# A spreadsheet runs a cell that starts with one of these as a formula (=HYPERLINK(...) in a
# reviewer's name, say): such text gets a leading apostrophe, which shows it as typed.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """A CSV cell that a spreadsheet shows as text, never evaluates; numbers are left as they are."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value

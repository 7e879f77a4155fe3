"""The events a store is told about (an analysis finished, a review was decided), read back.

Locally they wait in the outbox, which the pages read; in AWS they leave through the SNS topic to
its subscribers and there is nothing to read here (no feed: the answer says where they went).
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from chalicelib.core.auth import Caller, Forbidden
from chalicelib.core.errors import InvalidInput, NotFound
from chalicelib.core.vocabulary import REVIEW_DECISIONS
from chalicelib.services.stores import Stores
from chalicelib.storage import layout
from chalicelib.storage.ports import ConditionFailed, EventFeed, EventPublisher, RecordStore, WorkQueue

log = logging.getLogger(__name__)

PAGE_SIZE = 50
FIELDS = ("type", "at", "payload")


class Notifications:
    def __init__(self, feed: EventFeed | None, stores: Stores):
        self._feed = feed
        self._stores = stores

    def recent(self, caller: Caller, store_id: str | None = None, cursor: str | None = None) -> dict[str, Any]:
        """Newest first, every store's (HQ) or one store's (?store_id=); a store or merchandiser
        reads its own store's only."""
        if self._feed is None:
            raise NotFound("in AWS the events go to the SNS topic's subscribers (email, push), not to this API", code="not_found")
        if caller.role != "hq" and (store_id is None or not caller.may_see(store_id, self._region(store_id))):
            raise Forbidden(
                f"{caller.describe()} reads the notifications of its own store(s): add ?store_id=", code="out_of_scope"
            )
        try:
            page = self._feed.recent(store_id=store_id, limit=PAGE_SIZE, cursor=cursor)
        except ValueError as err:
            raise InvalidInput(str(err), code="invalid_cursor") from None
        return {"notifications": [{k: event[k] for k in FIELDS} for event in page.items], "cursor": page.cursor}

    def _region(self, store_id: str) -> str | None:
        store = self._stores.get(store_id)
        return store["region"] if store else None


NOTICE_JOB = "review_notice"
SETTLE_PAGE = 100
RESEND_AFTER = 600  # seconds: a marker's message sent again is not sent again sooner
DECISION_WORDS = {state: word for word, state in REVIEW_DECISIONS.items()}


class DecisionNotices:
    """A store hears once of a photo's decision, the latest one, a short while after it.

    The decision is recorded at once; its message to the store (``review.decided``) waits
    ``delay`` seconds as a delayed message on the work queue and, delivered, goes out only if
    that decision is still the photo's latest and was not told already. Two quick decisions (a
    then r, two tabs, two reviewers, an API client) send one message, and an SNS message cannot
    be taken back, so the waiting is the server's.

    Nothing accepted is lost: a marker in ``NOTICES`` is written before the decision and removed
    once it is settled; the sweep sends the message again for a marker overdue (the process died
    between the decision and the queue, or the message reached the dead-letter queue). At least
    once, like every event: a crash between the publish and its mark repeats the message.
    """

    def __init__(self, records: RecordStore, queue: WorkQueue, events: EventPublisher, delay: int):
        self._records = records
        self._queue = queue
        self._events = events
        self._delay = delay

    def expect(self, submission_id: str, decision_id: str) -> dict[str, Any]:
        """Before the decision is written: the marker the sweep finds if the message never leaves."""
        due = time.time() + self._delay
        pk, sk = layout.notice_key(due, submission_id, decision_id)
        marker = {"pk": pk, "sk": sk, "submission_id": submission_id, "decision_id": decision_id}
        self._records.put(marker)
        return marker

    def send(self, marker: dict[str, Any], delay: int | None = None) -> None:
        """After the decision is written: the delayed message that settles it."""
        body = {"job": NOTICE_JOB, "submission_id": marker["submission_id"], "decision_id": marker["decision_id"]}
        self._queue.send(json.dumps({**body, "marker": marker["sk"]}), delay_seconds=self._delay if delay is None else delay)

    def deliver(self, body: str) -> str:
        """The delayed message, delivered: tell the store if this decision is still the latest."""
        message = json.loads(body)
        outcome = self._settle(str(message["submission_id"]), str(message["decision_id"]))
        self._records.delete(layout.NOTICES, str(message["marker"]))
        return outcome

    def _settle(self, submission_id: str, decision_id: str) -> str:
        item = self._records.get(*layout.submission_key(submission_id))
        if item is None:
            return "gone"
        review = item.get("review") or {}
        if item.get("review_id") != decision_id or review.get("state") not in DECISION_WORDS:
            return "superseded"  # a later decision (or none recorded: the write failed) has its own message
        if item.get("review_notified") == decision_id:
            return "told already"  # a duplicate delivery
        self._events.publish(
            "review.decided",
            {
                "submission_id": submission_id,
                "campaign_id": item["campaign_id"],
                "store_id": item["store_id"],
                "decision": DECISION_WORDS[review["state"]],
                "comment": review.get("comment"),
            },
        )
        # Not a review change: updated_at stays, so a reviewer's open page is not made stale.
        self._records.update(*layout.submission_key(submission_id), set={"review_notified": decision_id})
        return "told"

    def settle_overdue(self, now: float | None = None, grace: int = 60) -> int:
        """The sweep's part: send again the message of every marker ``grace`` seconds past due
        (its message was lost, or is dead); return how many were sent."""
        now = time.time() if now is None else now
        sent = 0
        cursor: str | None = None
        while True:
            page = self._records.query(layout.NOTICES, limit=SETTLE_PAGE, cursor=cursor)
            for marker in page.items:
                if layout.notice_due(marker["sk"]) > now - grace:
                    return sent  # the rest are younger: their messages are still on their way
                if marker.get("resent_at", 0) > now - RESEND_AFTER:
                    continue  # sent again lately: a deep queue delays it, give it its time
                log.warning("%s: decision %s not settled in time; sent again", marker["submission_id"], marker["decision_id"])
                self.send(marker, delay=0)
                try:
                    self._records.update(marker["pk"], marker["sk"], set={"resent_at": now})
                except ConditionFailed:
                    pass  # settled meanwhile: the marker is gone
                sent += 1
            cursor = page.cursor
            if cursor is None:
                return sent

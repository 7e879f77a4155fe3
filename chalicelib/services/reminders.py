"""Reminders: HQ tells the stores still without a usable photo (missing, or asked to retake) that
the deadline is near. Each reminder is an event (``reminder.sent``: the local outbox, the SNS topic
in AWS) and its time is kept on the store's target record, so the missing-stores list shows when
the last one went without reading anything else.

HQ reminds from the dashboard (``send``); ``remind_due`` is the scheduled run (the local server's
timer, chalicelib.local.worker.ReminderTimer): each store still owing a photo is reminded
automatically once per campaign and deadline, a set time before its deadline.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.core import clock
from chalicelib.core.auth import Caller
from chalicelib.core.errors import Conflict
from chalicelib.core.ids import CLIENT_ID_PATTERN
from chalicelib.core.validation import parse_model
from chalicelib.services.analytics.outcomes import NOT_IN
from chalicelib.services.campaigns import load_campaign
from chalicelib.storage import layout
from chalicelib.storage.layout import target_key
from chalicelib.storage.ports import ConditionFailed, EventPublisher, RecordStore, eq

MAX_STORES = 500  # one page of the missing list
WRITE_TRIES = 5
AUTOMATIC = "automatic"  # who sent a scheduled reminder


class ReminderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    store_ids: list[Annotated[str, Field(pattern=CLIENT_ID_PATTERN)]] = Field(min_length=1, max_length=MAX_STORES)
    message: str = Field(default="", max_length=500)


class Reminders:
    def __init__(self, records: RecordStore, events: EventPublisher):
        self._records = records
        self._events = events

    def send(self, caller: Caller, campaign_id: str, body: Any) -> dict[str, Any]:
        """Remind each named store that still owes a photo; the others are listed as skipped, with why."""
        request = parse_model(ReminderIn, body)
        campaign = load_campaign(self._records, campaign_id)
        if campaign["status"] != "published":
            raise Conflict(
                f"campaign {campaign_id!r} is {campaign['status']}: only a published campaign's stores are reminded",
                code=f"campaign_{campaign['status']}",
            )
        sent, skipped = [], []
        for store_id in dict.fromkeys(request.store_ids):  # each once, in the order given
            target = self._records.get(*target_key(campaign_id, store_id))
            if target is None:
                skipped.append({"store_id": store_id, "reason": "not_targeted"})
                continue
            if target["state"] not in NOT_IN:
                skipped.append({"store_id": store_id, "reason": "has_photo"})
                continue
            at = clock.now_iso()
            # The event first: a reminder recorded but never sent would hide a store that was not told.
            self._events.publish(
                "reminder.sent",
                {
                    "campaign_id": campaign_id,
                    "campaign_name": campaign["name"],
                    "store_id": store_id,
                    "deadline_at": target["deadline_at"],
                    "state": target["state"],
                    "by": caller.username,
                    "message": request.message,
                },
            )
            self._mark(target, at)
            sent.append({"store_id": store_id, "reminded_at": at})
        return {"campaign_id": campaign_id, "sent": sent, "skipped": skipped}

    def remind_due(self, lead_hours: float, now: datetime | None = None) -> dict[str, Any]:
        """The scheduled run: remind every store still owing a photo whose deadline is less than
        ``lead_hours`` away, once per campaign and deadline (the deadline reminded is kept on the
        target, so a rerun, or the next run, skips it). Reads the campaigns index (a few hundred
        items over three years of weekly campaigns) and, of the published ones with a deadline in
        reach, the missing and retake state partitions: never a scan of the photos or targets."""
        now = now or clock.now()
        horizon = now + timedelta(hours=lead_hours)
        sent, cursor = 0, None
        while True:
            page = self._records.query(layout.CAMPAIGNS, index="gsi1", limit=100, cursor=cursor, descending=True)
            for campaign in page.items:
                # Deadlines are the end of a local day: a day either side covers every timezone.
                last_day = datetime.fromisoformat(campaign["deadline"]).date()
                if campaign["status"] != "published" or not now.date() - timedelta(
                    days=1
                ) <= last_day <= horizon.date() + timedelta(days=1):
                    continue
                sent += self._remind_campaign(campaign, now, horizon)
            if not (cursor := page.cursor):
                return {"sent": sent}

    def _remind_campaign(self, campaign: dict[str, Any], now: datetime, horizon: datetime) -> int:
        sent = 0
        for state in NOT_IN:
            cursor = None
            while True:
                page = self._records.query(
                    layout.target_state_partition(campaign["campaign_id"], state), index="gsi1", limit=500, cursor=cursor
                )
                for target in page.items:
                    deadline = datetime.fromisoformat(target["deadline_at"])
                    if not now < deadline <= horizon or target.get("auto_reminded_for") == target["deadline_at"]:
                        continue
                    self._events.publish(
                        "reminder.sent",
                        {
                            "campaign_id": campaign["campaign_id"],
                            "campaign_name": campaign["name"],
                            "store_id": target["store_id"],
                            "deadline_at": target["deadline_at"],
                            "state": target["state"],
                            "by": AUTOMATIC,
                            "message": "",
                        },
                    )
                    self._mark(target, clock.now_iso(), automatic=True)
                    sent += 1
                if not (cursor := page.cursor):
                    break
        return sent

    def _mark(self, target: dict[str, Any], at: str, automatic: bool = False) -> None:
        """Keep the time on the target, over the version read (the counters write the same record
        whole, over its version: bumping it makes a concurrent writer read again, keeping both)."""
        for _ in range(WRITE_TRIES):
            try:
                changes = {"reminded_at": at, "reminders": int(target.get("reminders", 0)) + 1, "version": target["version"] + 1}
                if automatic:  # once per campaign and deadline
                    changes["auto_reminded_for"] = target["deadline_at"]
                self._records.update(target["pk"], target["sk"], condition=eq("version", target["version"]), set=changes)
                return
            except ConditionFailed:
                fresh = self._records.get(target["pk"], target["sk"])
                if fresh is None:
                    return
                target = fresh
        raise Conflict("the store's outcome kept changing while the reminder was recorded: send it again")

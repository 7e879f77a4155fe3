"""HQ's compliance queries: rates by campaign, region, store and rule, trends by week, the stores
still missing, a store's history and reviewer–model agreement. Each reads maintained counters or
one index partition (chalicelib.services.analytics.counters keeps them), never a scan.

HQ reads the whole network; a merchandiser the published campaigns that reach its regions, each
figure from those regions' own counters (the campaign's ALL counter, which holds the others'
stores too, is never read for it), and its regions' store lists one region at a time."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from chalicelib.core import clock
from chalicelib.core.auth import Caller
from chalicelib.core.errors import InvalidInput, NotFound
from chalicelib.core.vocabulary import OUTCOME_STATES
from chalicelib.services.analytics.outcomes import NOT_IN, counters, rates, rule_rates, summed
from chalicelib.services.analytics.thresholds import MIN_LABELS, agreement_of
from chalicelib.services.campaigns import check_campaign_id, load_campaign
from chalicelib.services.paging import bad_cursor, check_limit
from chalicelib.storage import layout
from chalicelib.storage.ports import RecordStore

MAX_PAGE = 500


class Analytics:
    """HQ's numbers, read from the counters."""

    def __init__(self, records: RecordStore):
        self._records = records

    def campaign(self, caller: Caller, campaign_id: str) -> dict[str, Any]:
        item, scope = self._visible(caller, campaign_id)
        overall, aggregates = self._aggregates(campaign_id, scope)
        return {
            "campaign_id": campaign_id,
            "name": item["name"],
            "status": item["status"],
            "deadline": item["deadline"],
            "guideline_version": item["guideline_version"],
            "overall": rates(overall),
            "regions": [{"region": layout.region_of_sk(a["sk"]), **rates(a)} for a in aggregates if a["sk"] != layout.ALL],
            "rules": rule_rates(overall),
            "scope": None if scope is None else sorted(scope),
        }

    def _visible(self, caller: Caller, campaign_id: str) -> tuple[dict[str, Any], frozenset[str] | None]:
        """The campaign and the regions whose counters and stores the caller reads: None for HQ (the
        whole network); a merchandiser's regions the published campaign reaches. Outside them the
        campaign answers exactly as one that does not exist (chalicelib.services.campaigns' words),
        so no one learns which ids or drafts there are."""
        if caller.role == "hq":
            return load_campaign(self._records, campaign_id), None
        check_campaign_id(campaign_id)
        item = self._records.get(*layout.campaign_key(campaign_id))
        reached = set(item.get("target_regions", item["targets"]["regions"])) & caller.regions if item else set()
        if item is None or item["status"] == "draft" or not reached:
            raise NotFound(
                f"campaign {campaign_id!r} does not exist, or is not one of yours: check the id", code="campaign_not_found"
            )
        return item, frozenset(reached)

    def _aggregates(self, campaign_id: str, scope: frozenset[str] | None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The campaign's overall counts and its regions' counters, within ``scope`` (None: all)."""
        aggregates = self._records.query(layout.campaign_aggregates_partition(campaign_id), limit=MAX_PAGE).items
        if scope is None:
            return next((a for a in aggregates if a["sk"] == layout.ALL), {}), aggregates
        mine = [a for a in aggregates if a["sk"] != layout.ALL and layout.region_of_sk(a["sk"]) in scope]
        return dict(summed(mine)), mine

    def rule_spread(self, caller: Caller, campaign_id: str) -> dict[str, Any]:
        """Per rule, its pass rate network-wide and in each region, and how far the regions differ
        (the rules where they differ most first): read from the campaign's own counters."""
        _, scope = self._visible(caller, campaign_id)
        overall, aggregates = self._aggregates(campaign_id, scope)
        by_region = {
            layout.region_of_sk(a["sk"]): {r["rule_id"]: r for r in rule_rates(a)} for a in aggregates if a["sk"] != layout.ALL
        }
        rules = []
        for rule in rule_rates(overall):
            rule_id, statuses = rule["rule_id"], rule["statuses"]
            judged = statuses.get("pass", 0) + statuses.get("fail", 0)
            regions = [
                {
                    "region": region,
                    "pass_rate": rows[rule_id]["pass_rate"],
                    "judged": rows[rule_id]["statuses"].get("pass", 0) + rows[rule_id]["statuses"].get("fail", 0),
                    "failed": rows[rule_id]["statuses"].get("fail", 0),
                }
                for region, rows in sorted(by_region.items())
                if rule_id in rows
            ]
            known = [r["pass_rate"] for r in regions if r["pass_rate"] is not None]
            p = rule["pass_rate"]
            rules.append(
                {
                    "rule_id": rule_id,
                    "pass_rate": p,
                    "judged": judged,
                    "failed": statuses.get("fail", 0),
                    "regions": regions,
                    "lowest": min(known) if known else None,
                    "highest": max(known) if known else None,
                    "region_spread": round(max(known) - min(known), 4) if known else None,
                    # a store passes (1) or fails (0): the standard deviation of that across judged stores
                    "store_spread": round((p * (1 - p)) ** 0.5, 4) if p is not None else None,
                }
            )
        rules.sort(
            key=lambda r: (
                r["region_spread"] is None,
                -(r["region_spread"] or 0),
                r["pass_rate"] is None,
                r["pass_rate"] or 0,
                r["rule_id"],
            )
        )
        return {"campaign_id": campaign_id, "rules": rules}

    def stores(
        self,
        caller: Caller,
        campaign_id: str,
        state: str | None = None,
        region: str | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        """The campaign's stores with their outcome, by state (all states, one after the other)."""
        if state is not None and state not in OUTCOME_STATES:
            raise InvalidInput(f"state must be one of {', '.join(OUTCOME_STATES)}")
        region = self._listing_region(caller, campaign_id, region)
        return self._targets(campaign_id, (state,) if state else OUTCOME_STATES, region, limit, cursor)

    def missing(
        self, caller: Caller, campaign_id: str, region: str | None = None, limit: int = 100, cursor: str | None = None
    ) -> dict[str, Any]:
        """Stores with no usable photo: none yet (or none by the deadline), or the last one failed."""
        region = self._listing_region(caller, campaign_id, region)
        page = self._targets(campaign_id, NOT_IN, region, limit, cursor)
        now = clock.now()
        for row in page["stores"]:
            row["past_deadline"] = datetime.fromisoformat(row["deadline_at"]) < now
        return page

    def targets(
        self, campaign_id: str, states: tuple[str, ...], region: str | None = None, limit: int = 100, cursor: str | None = None
    ) -> dict[str, Any]:
        """The campaign's stores in these states, one state after the other (index queries only)."""
        return self._targets(campaign_id, states, region, limit, cursor)

    def _listing_region(self, caller: Caller, campaign_id: str, region: str | None) -> str | None:
        """The region a store listing reads: HQ's choice; one of a merchandiser's own regions
        (the campaign must reach them: answered as one that does not exist otherwise)."""
        self._visible(caller, campaign_id)
        return caller.listing_region(region, "may list the stores of its own regions only: add ?region= (one of yours)")

    @staticmethod
    def rows(targets: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [_store_row(t) for t in targets]

    def _targets(
        self, campaign_id: str, states: tuple[str, ...], region: str | None, limit: int, cursor: str | None
    ) -> dict[str, Any]:
        load_campaign(self._records, campaign_id)
        check_limit(limit, MAX_PAGE)
        position, inner = 0, None
        if cursor:  # "<index of the state>.<the store's cursor in that state>"
            head, _, inner = cursor.partition(".")
            if not (head.isascii() and head.isdigit() and len(head) <= 2) or int(head) >= len(states):
                raise bad_cursor()
            position, inner = int(head), inner or None
        rows: list[dict[str, Any]] = []
        while position < len(states) and len(rows) < limit:
            try:
                page = self._records.query(
                    layout.target_state_partition(campaign_id, states[position]),
                    index="gsi1",
                    sk_prefix=f"{region}#" if region else "",
                    limit=limit - len(rows),
                    cursor=inner,
                )
            except ValueError as err:
                raise bad_cursor(str(err)) from None
            rows += [_store_row(t) for t in page.items]
            if page.cursor:
                inner = page.cursor
                break
            position, inner = position + 1, None
        next_cursor = f"{position}.{inner or ''}" if position < len(states) else None
        return {"stores": rows, "cursor": next_cursor}

    def trends(
        self, caller: Caller, region: str | None = None, date_from: str | None = None, date_to: str | None = None
    ) -> dict[str, Any]:
        """Rates by week of campaign start, network-wide or for a region (a merchandiser: one of its own)."""
        region = caller.listing_region(region, "may read the trends of its own regions only: add ?region= (one of yours)")
        weeks = self._weeks(region, date_from, date_to)
        return {
            "region": region,
            "weeks": [{"week": w["sk"], **rates(w), "rules": rule_rates(w)} for w in weeks],
            "total": rates(summed(weeks)),
        }

    def store(self, caller: Caller, store_id: str, date_from: str | None = None, date_to: str | None = None) -> dict[str, Any]:
        """A store's outcome in every campaign it was in (by campaign start), and its rates."""
        if caller.role != "hq":
            store = self._records.get(*layout.store_key(store_id))
            if store is None or not caller.may_see(store_id, store.get("region")):
                raise NotFound(
                    f"store {store_id!r} does not exist, or is not in your regions: check the id", code="store_not_found"
                )
        first, last = _date_range(date_from, date_to)
        rows, cursor = [], None
        while True:
            page = self._records.query(layout.store_campaigns_partition(store_id), index="gsi2", limit=MAX_PAGE, cursor=cursor)
            rows += [t for t in page.items if first <= t["start_date"] <= last]
            if not (cursor := page.cursor):
                break
        counts = summed(counters(t.get("outcome")) | {"targeted": 1} for t in rows)
        return {"store_id": store_id, "campaigns": [_store_row(t) for t in rows], "total": rates(counts)}

    def agreement(
        self, campaign_id: str | None = None, date_from: str | None = None, date_to: str | None = None
    ) -> dict[str, Any]:
        """Reviewer–model agreement per rule, for a campaign or the campaigns that started in a range."""
        if campaign_id:
            load_campaign(self._records, campaign_id)
            items = [i for i in [self._records.get(layout.campaign_aggregates_partition(campaign_id), layout.ALL)] if i]
        else:
            items = self._weeks(None, date_from, date_to)
        thresholds: dict[str, Any] = {}
        for item in items:  # the latest campaign's bound of each rule id
            thresholds.update({k.removeprefix("threshold:"): v for k, v in item.items() if k.startswith("threshold:")})
        return {"campaign_id": campaign_id, "rules": agreement_of(summed(items), thresholds), "min_labels": MIN_LABELS}

    def _weeks(self, region: str | None, date_from: str | None, date_to: str | None) -> list[dict[str, Any]]:
        first, last = _date_range(date_from, date_to)
        first_week, last_week = clock.iso_week(first), clock.iso_week(last)
        weeks, cursor = [], None
        while True:  # a few hundred weeks at most: three years of weekly campaigns is 156
            page = self._records.query(layout.weeks_partition(region), limit=MAX_PAGE, cursor=cursor)
            weeks += [w for w in page.items if first_week <= w["sk"] <= last_week]
            if not (cursor := page.cursor):
                return weeks


def _store_row(target: dict[str, Any]) -> dict[str, Any]:
    outcome = target.get("outcome") or {}
    return {
        **{k: target[k] for k in ("campaign_id", "store_id", "store_name", "region", "timezone", "deadline_at", "state")},
        "submission_id": outcome.get("submission_id"),
        "submitted_at": outcome.get("created_at"),
        "score": outcome.get("score"),
        "on_time": outcome.get("on_time"),
        "failed_rules": sorted(r for r, s in (outcome.get("rules") or {}).items() if s == "fail"),
        "reminded_at": target.get("reminded_at"),
    }


def _date_range(date_from: str | None, date_to: str | None) -> tuple[str, str]:
    try:
        first = date.fromisoformat(date_from).isoformat() if date_from else "0001-01-01"
        last = date.fromisoformat(date_to).isoformat() if date_to else "9999-12-31"
    except ValueError:
        raise InvalidInput("from and to are dates like 2026-11-30") from None
    if first > last:
        raise InvalidInput(f"from ({first}) is after to ({last})")
    return first, last

"""What the campaign set-up needs of the store list without reading it whole (at 5,000 stores the
page spent over a second listing every store): the regions and clusters with their number of stores,
a search by store id or by the start of a word of the name, and how many stores a campaign's
targets reach.

Both are derived records, kept by the store import: ``STORE_FACETS`` counts the stores per
(region, cluster) pair, so the reach of any regions and clusters is exact without a listing;
``STORE_WORDS`` holds an item per word of each name, so a search is one key query. Reads stay key
queries; only the import reads the list whole.

The import writes what changed only (API Gateway gives a request 29 s, and a list of 10,000 stores
is sent again whole to change ten): it reads the stored list once, in pages, and writes the new or
changed stores, their words gone or new, and the counts when they moved. A re-sent list that
changes nothing writes nothing. Words are written before their store, so an import cut short is
finished by sending the list again (the store still differs, its words are written again).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from chalicelib.core.auth import Caller
from chalicelib.core.errors import InvalidInput
from chalicelib.core.ids import CLIENT_ID_PATTERN
from chalicelib.core.validation import parse_model
from chalicelib.storage import layout
from chalicelib.storage.ports import RecordStore

PAIR = "\t"  # between the region and the cluster in a facet's name (neither id may hold a tab)
MAX_RESULTS = 50
MAX_QUERY = 64
LIST_PAGE = 500


def fold(text: str) -> str:
    """Lower case, without accents: "Città" is found as "citta"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def words(name: str) -> set[str]:
    return {w for w in re.split(r"[^0-9a-z]+", fold(name)) if w}


class ReachIn(BaseModel):
    """The targets of a campaign being set up, as PUT /campaigns/{id} takes them (here they may be empty)."""

    model_config = ConfigDict(extra="forbid")

    regions: list[str] = Field(default_factory=list, max_length=200)
    clusters: list[str] = Field(default_factory=list, max_length=200)
    stores: list[str] = Field(default_factory=list, max_length=20000)

    @field_validator("regions", "clusters", "stores")
    @classmethod
    def _ids(cls, values: list[str]) -> list[str]:
        bad = [v for v in values if not re.match(CLIENT_ID_PATTERN, v)]
        if bad:
            raise ValueError(f"ids must be 1-64 letters, digits, '-' or '_': {bad[:3]}")
        return sorted(set(values))


class SearchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: str = Field(min_length=1, max_length=MAX_QUERY)
    limit: int = Field(ge=1, le=MAX_RESULTS)


def _pair(store: dict[str, Any]) -> str:
    return f"{store['region']}{PAIR}{store.get('cluster') or ''}"


def _word_entry(word: str, store: dict[str, Any]) -> dict[str, Any]:
    """The search's item for one word of a store's name: what a result shows, without a read."""
    pk, sk = layout.store_word_key(word, store["store_id"])
    return {"pk": pk, "sk": sk, **{k: store.get(k, "") for k in ("store_id", "name", "region", "cluster")}}


class StoreDirectory:
    def __init__(self, records: RecordStore):
        self._records = records

    # --- the import's part ------------------------------------------------------------------------

    def import_stores(self, imported: list[dict[str, Any]]) -> int:
        """Write the stores of an import (whole store records, keys included) that are new or
        changed, with their word entries and the facet counts; return how many stores changed."""
        stored = {item["store_id"]: item for item in self._all(layout.STORES)}
        changed = {}
        for store in imported:  # a store listed twice: the later row wins, as a write would
            changed[store["store_id"]] = store
        changed = {sid: store for sid, store in changed.items() if stored.get(sid) != store}
        if not changed:
            return 0
        new_words: list[dict[str, Any]] = []
        stale_words: list[str] = []
        for store_id, store in changed.items():
            before = {w: _word_entry(w, stored[store_id]) for w in words(stored[store_id]["name"])} if store_id in stored else {}
            after = {w: _word_entry(w, store) for w in words(store["name"])}
            new_words += [entry for w, entry in after.items() if before.get(w) != entry]
            stale_words += [entry["sk"] for w, entry in before.items() if w not in after]
        self._records.put_many(new_words)
        for sk in stale_words:
            self._records.delete(layout.STORE_WORDS, sk)
        self._records.put_many(list(changed.values()))
        stored.update(changed)
        facets = self._records.get(*layout.store_facets_key())
        if facets is None and len(stored) > len(changed):
            self.rebuild()  # a list imported before the directory existed: its words are missing too
            return len(changed)
        pairs = Counter(_pair(store) for store in stored.values())
        if facets is None or facets.get("pairs") != dict(pairs):
            pk, sk = layout.store_facets_key()
            self._records.put({"pk": pk, "sk": sk, "pairs": dict(pairs), "stores": sum(pairs.values())})
        return len(changed)

    def rebuild(self) -> None:
        """Recount the facets and bring the name words in line with the store list (the whole
        list: for a list imported before the directory existed)."""
        pairs: Counter[str] = Counter()
        wanted: dict[str, dict[str, Any]] = {}
        for store in self._all(layout.STORES):
            pairs[_pair(store)] += 1
            for word in words(store["name"]):
                entry = _word_entry(word, store)
                wanted[entry["sk"]] = entry
        stale = []
        for item in self._all(layout.STORE_WORDS):
            if wanted.get(item["sk"]) == {k: item.get(k) for k in ("pk", "sk", "store_id", "name", "region", "cluster")}:
                del wanted[item["sk"]]  # already there as it should be
            elif item["sk"] not in wanted:
                stale.append(item["sk"])
        self._records.put_many(list(wanted.values()))
        for sk in stale:
            self._records.delete(layout.STORE_WORDS, sk)
        pk, sk = layout.store_facets_key()
        self._records.put({"pk": pk, "sk": sk, "pairs": dict(pairs), "stores": sum(pairs.values())})

    def _all(self, pk: str) -> Iterator[dict[str, Any]]:
        cursor = None
        while True:
            page = self._records.query(pk, limit=LIST_PAGE, cursor=cursor)
            yield from page.items
            if not (cursor := page.cursor):
                return

    # --- the picker's reads -------------------------------------------------------------------------

    def facets(self, caller: Caller) -> dict[str, Any]:
        """The regions and clusters of the store list, with their number of stores (a merchandiser:
        its regions' only)."""
        regions: Counter[str] = Counter()
        clusters: Counter[str] = Counter()
        for region, cluster, count in self._pairs():
            if caller.role == "hq" or region in caller.regions:
                regions[region] += count
                if cluster:
                    clusters[cluster] += count
        return {
            "stores": sum(regions.values()),
            "regions": [{"region": r, "stores": n} for r, n in sorted(regions.items())],
            "clusters": [{"cluster": c, "stores": n} for c, n in sorted(clusters.items())],
        }

    def search(self, caller: Caller, q: str | None, limit: str | int | None = None) -> dict[str, Any]:
        """Stores whose id starts with ``q`` (as typed), then those with a word of the name starting
        with it; at most ``limit`` (20 unless given)."""
        if not q or not q.strip():
            raise InvalidInput("add ?q= with the start of a store id or of a word of its name", code="query_required")
        request = parse_model(SearchIn, {"q": q.strip(), "limit": 20 if limit is None else limit})
        limit = request.limit
        found: dict[str, dict[str, Any]] = {}
        for typed in dict.fromkeys((request.q, request.q.upper())):  # "s00" finds S001 too
            for item in self._records.query(layout.STORES, sk_prefix=typed, limit=limit).items:
                found[item["store_id"]] = layout.without_keys(item)
        prefix = fold(request.q)
        if len(found) < limit and words(prefix) == {prefix}:  # one word: its items are a key range
            for item in self._records.query(layout.STORE_WORDS, sk_prefix=prefix, limit=limit * 3).items:
                if item["store_id"] not in found:
                    store = self._records.get(*layout.store_key(item["store_id"]))
                    if store is not None:
                        found[item["store_id"]] = layout.without_keys(store)
                if len(found) >= limit:
                    break
        shown = [s for s in found.values() if caller.may_see(s["store_id"], s["region"])]
        return {"stores": shown[:limit]}

    def reach(self, body: Any) -> dict[str, Any]:
        """How many stores of the store list the targets reach (as publishing resolves them), and
        the named stores as the list has them (or unknown)."""
        targets = parse_model(ReachIn, body)
        regions, clusters = set(targets.regions), set(targets.clusters)
        count = sum(n for region, cluster, n in self._pairs() if region in regions or (cluster and cluster in clusters))
        named, unknown = [], []
        for store_id in targets.stores:
            store = self._records.get(*layout.store_key(store_id))
            if store is None:
                unknown.append(store_id)
                continue
            named.append(layout.without_keys(store))
            if store["region"] not in regions and (store.get("cluster") or "") not in clusters:
                count += 1
        return {"stores": count, "named": named, "unknown": unknown}

    def _pairs(self) -> Iterator[tuple[str, str, int]]:
        item = self._records.get(*layout.store_facets_key())
        if item is None:  # a store list imported before the facets existed: built once, here
            self.rebuild()
            item = self._records.get(*layout.store_facets_key()) or {}
        for name, count in (item.get("pairs") or {}).items():
            region, _, cluster = name.partition(PAIR)
            yield region, cluster, int(count)

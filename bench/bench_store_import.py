"""Benchmark: what a store import asks of the record store, before and after the import wrote
only what changed (chalicelib/services/store_directory.py, import_stores).

    .venv/bin/python bench/bench_store_import.py [--stores 10000] [--changed 10]

Counts requests in DynamoDB's terms (bench/record_calls.py: a get or query is one read request, a
put, update or delete one write, put_many one BatchWriteItem per 25 items) and items read and
written; nothing is timed (the machine is shared), the counts do not depend on it. Two cases on a
scratch SQLite store each:

- the first import of the list (bench/hq_dataset.py's stores: names "Store <n> <region>");
- the same list sent again with --changed stores changed (half renamed, half moved to another
  region and cluster).

"before" is the import as it was: every store written, then StoreDirectory.rebuild() (which reads
the whole store list and every word entry, and writes the missing word entries and the facets);
"after" is Stores.import_list as it is now.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import hq_dataset  # noqa: E402
from record_calls import CountingRecords  # noqa: E402

from chalicelib.services.store_directory import StoreDirectory  # noqa: E402
from chalicelib.services.stores import StoreIn, Stores  # noqa: E402
from chalicelib.storage import layout  # noqa: E402
from chalicelib.storage.sqlite_records import SQLiteRecordStore  # noqa: E402


def changed_list(stores: list[dict[str, str]], changed: int) -> list[dict[str, str]]:
    """The list with ``changed`` stores changed: half renamed, half moved (the list is at the
    import's maximum already, so none is added)."""
    out = [dict(s) for s in stores]
    renamed = changed // 2
    for s in out[:renamed]:
        s["name"] = s["name"].replace("Store", "Boutique")
    for s in out[renamed:changed]:
        s["region"], s["cluster"] = "gr", "travel"
    return out


def import_before(records: Any, stores: list[dict[str, str]]) -> None:
    """The import before this change: validate, write every store, rebuild the directory."""
    items = []
    for row in stores:
        store = StoreIn.model_validate(row)
        pk, sk = layout.store_key(store.store_id)
        items.append(
            {"pk": pk, "sk": sk, **layout.store_index(store.store_id, store.region, store.cluster), **store.model_dump()}
        )
    records.put_many(items)
    StoreDirectory(records).rebuild()


def import_after(records: Any, stores: list[dict[str, str]]) -> None:
    Stores(records).import_list(json.dumps(stores), "application/json")


def measure(kind: str, stores: list[dict[str, str]], second: list[dict[str, str]]) -> dict[str, dict[str, int]]:
    run = import_before if kind == "before" else import_after
    out = {}
    with tempfile.TemporaryDirectory() as folder:
        store = SQLiteRecordStore(Path(folder) / "records.db")
        for case, rows in (("first import", stores), ("changed", second)):
            counting = CountingRecords(store)
            run(counting, rows)
            out[case] = {
                "read requests": counting.reads(),
                "items read": counting.items["read"],
                "write requests": counting.writes(),
                "items written": counting.items["written"],
            }
        facets = StoreDirectory(store).facets(_Hq())
        out["check"] = {"stores in the facets": facets["stores"]}
    return out


class _Hq:
    role = "hq"
    regions: tuple[str, ...] = ()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stores", type=int, default=10000)
    parser.add_argument("--changed", type=int, default=10)
    args = parser.parse_args()
    stores = hq_dataset.make_stores(hq_dataset.Spec(scale=args.stores / hq_dataset.STORES_AT_SCALE_1))
    second = changed_list(stores, args.changed)
    results = {kind: measure(kind, stores, second) for kind in ("before", "after")}
    assert results["before"]["check"] == results["after"]["check"], results  # the same directory either way
    print(f"{len(stores)} stores, then {args.changed} changed (record-store requests; items in brackets)")
    print(f"{'':16} {'':7} {'reads':>16} {'writes':>18}")
    for case in ("first import", "changed"):
        for kind in ("before", "after"):
            r = results[kind][case]
            print(
                f"{case:16} {kind:7} {r['read requests']:>7} ({r['items read']:>6}) "
                f"{r['write requests']:>7} ({r['items written']:>6})"
            )
    print(f"stores in the facets after both imports: {results['after']['check']['stores in the facets']}")


if __name__ == "__main__":
    main()

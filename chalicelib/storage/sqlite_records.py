"""Record store adapter on SQLite: one table of JSON items keyed like the DynamoDB table.

Conditional writes run inside ``BEGIN IMMEDIATE`` so that the read-check-write is atomic across
the server's threads and the analysis worker, as a DynamoDB condition expression is.
"""

from __future__ import annotations

import base64
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from chalicelib.storage.layout import INDEX_ATTRIBUTES, INDEXES, TTL_ATTRIBUTE
from chalicelib.storage.ports import MAX_TRANSACTION, Cond, ConditionFailed, Page, PutOp, UpdateOp

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    pk TEXT NOT NULL,
    sk TEXT NOT NULL,
    gsi1pk TEXT,
    gsi1sk TEXT,
    item TEXT NOT NULL,
    gsi2pk TEXT,
    gsi2sk TEXT,
    gsi3pk TEXT,
    gsi3sk TEXT,
    expires_at REAL,
    PRIMARY KEY (pk, sk)
) WITHOUT ROWID;
"""
# Added after the first release: a data folder made before gets the columns on open.
_ADDED_COLUMNS = {"gsi2pk": "TEXT", "gsi2sk": "TEXT", "gsi3pk": "TEXT", "gsi3sk": "TEXT", "expires_at": "REAL"}
_INDEXES = (
    "".join(
        f"CREATE INDEX IF NOT EXISTS records_{name} ON records ({name}pk, {name}sk) WHERE {name}pk IS NOT NULL;\n"
        for name in INDEXES
    )
    + "CREATE INDEX IF NOT EXISTS records_expires_at ON records (expires_at) WHERE expires_at IS NOT NULL;\n"
)
# An item past its time to live reads as absent (DynamoDB's adapter does the same), until the
# local worker's sweep deletes it (delete_expired).
_LIVE = "(expires_at IS NULL OR expires_at > ?)"

_INDEX_COLUMNS = ", ".join(INDEX_ATTRIBUTES)
_INDEX_MARKS = ", ".join("?" for _ in INDEX_ATTRIBUTES)


def _encode_cursor(values: list[str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode()


def _decode_cursor(cursor: str) -> list[str]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError):
        raise ValueError("invalid cursor: pass back the cursor of the previous page unchanged") from None
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValueError("invalid cursor: pass back the cursor of the previous page unchanged")
    return values


class SQLiteRecordStore:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = str(path)
        self._local = threading.local()
        db = self._connection()
        db.executescript(_SCHEMA)
        columns = {row[1] for row in db.execute("PRAGMA table_info(records)")}
        for column, kind in _ADDED_COLUMNS.items():
            if column not in columns:
                db.execute(f"ALTER TABLE records ADD COLUMN {column} {kind}")
        db.executescript(_INDEXES)

    def _connection(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self._path, isolation_level=None, timeout=30)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        db = self._connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    @staticmethod
    def _read(db: sqlite3.Connection, pk: str, sk: str) -> dict[str, Any] | None:
        row = db.execute("SELECT item FROM records WHERE pk = ? AND sk = ?", (pk, sk)).fetchone()
        return json.loads(row[0]) if row else None

    @staticmethod
    def _write(db: sqlite3.Connection, item: dict[str, Any]) -> None:
        db.execute(
            f"INSERT OR REPLACE INTO records (pk, sk, {_INDEX_COLUMNS}, expires_at, item) VALUES (?, ?, {_INDEX_MARKS}, ?, ?)",
            (item["pk"], item["sk"], *(item.get(c) for c in INDEX_ATTRIBUTES), _expiry(item), json.dumps(item)),
        )

    def get(self, pk: str, sk: str) -> dict[str, Any] | None:
        row = (
            self._connection()
            .execute(f"SELECT item FROM records WHERE pk = ? AND sk = ? AND {_LIVE}", (pk, sk, time.time()))
            .fetchone()
        )
        return json.loads(row[0]) if row else None

    def put(self, item: dict[str, Any], *, condition: Cond | None = None) -> None:
        with self._transaction() as db:
            if condition is not None and not condition.holds_for(self._read(db, item["pk"], item["sk"])):
                raise ConditionFailed(f"{item['pk']}/{item['sk']}")
            self._write(db, item)

    def put_many(self, items: list[dict[str, Any]]) -> None:
        with self._transaction() as db:
            for item in items:
                self._write(db, item)

    def update(
        self,
        pk: str,
        sk: str,
        *,
        set: dict[str, Any] | None = None,
        add: dict[str, int | float] | None = None,
        remove: tuple[str, ...] = (),
        condition: Cond | None = None,
        upsert: bool = False,
    ) -> dict[str, Any]:
        with self._transaction() as db:
            return self._apply_update(db, UpdateOp(pk, sk, set or {}, add or {}, condition, upsert), remove)

    def _apply_update(self, db: sqlite3.Connection, op: UpdateOp, remove: tuple[str, ...] = ()) -> dict[str, Any]:
        current = self._read(db, op.pk, op.sk)
        if (current is None and not op.upsert) or (op.condition is not None and not op.condition.holds_for(current)):
            raise ConditionFailed(f"{op.pk}/{op.sk}")
        item = current or {"pk": op.pk, "sk": op.sk}
        item.update(op.set)
        for name, amount in op.add.items():
            item[name] = item.get(name, 0) + amount
        for name in remove:
            item.pop(name, None)
        self._write(db, item)
        return item

    def transact(self, ops: list[PutOp | UpdateOp]) -> None:
        if len(ops) > MAX_TRANSACTION:
            raise ValueError(f"a transaction takes at most {MAX_TRANSACTION} writes")
        with self._transaction() as db:  # a failed condition raises, and the whole transaction rolls back
            for op in ops:
                if isinstance(op, PutOp):
                    if op.condition is not None and not op.condition.holds_for(self._read(db, op.item["pk"], op.item["sk"])):
                        raise ConditionFailed(f"{op.item['pk']}/{op.item['sk']}")
                    self._write(db, op.item)
                else:
                    self._apply_update(db, op)

    def query(
        self,
        pk: str,
        *,
        index: str | None = None,
        sk_prefix: str = "",
        limit: int = 50,
        cursor: str | None = None,
        descending: bool = False,
    ) -> Page:
        if index is not None and index not in INDEXES:
            raise ValueError(f"unknown index {index!r}")
        pk_col, sk_col = (f"{index}pk", f"{index}sk") if index else ("pk", "sk")
        order = "DESC" if descending else "ASC"
        sql = f"SELECT item, {sk_col}, pk, sk FROM records WHERE {pk_col} = ? AND {sk_col} >= ? AND {sk_col} < ? AND {_LIVE}"
        args: list[Any] = [pk, sk_prefix, sk_prefix + "\U0010ffff", time.time()]
        if cursor:
            # Resume strictly after the last item of the previous page, in the index's order.
            after_sk, after_pk, after_key_sk = _decode_cursor(cursor)
            cmp = "<" if descending else ">"
            sql += f" AND ({sk_col}, pk, sk) {cmp} (?, ?, ?)"
            args += [after_sk, after_pk, after_key_sk]
        sql += f" ORDER BY {sk_col} {order}, pk {order}, sk {order} LIMIT ?"
        args.append(limit + 1)
        rows = self._connection().execute(sql, args).fetchall()
        more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = _encode_cursor([rows[-1][1], rows[-1][2], rows[-1][3]]) if more and rows else None
        return Page(items=[json.loads(r[0]) for r in rows], cursor=next_cursor)

    def delete(self, pk: str, sk: str) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM records WHERE pk = ? AND sk = ?", (pk, sk))

    def delete_expired(self, now: float | None = None) -> int:
        """Delete the items whose time to live has passed (DynamoDB does this itself); return how many."""
        with self._transaction() as db:
            cursor = db.execute("DELETE FROM records WHERE expires_at <= ?", (time.time() if now is None else now,))
        return cursor.rowcount


def _expiry(item: dict[str, Any]) -> float | None:
    """The item's time to live as a number (DynamoDB ignores a TTL attribute that is not a number)."""
    value = item.get(TTL_ATTRIBUTE)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

"""Work queue adapter on SQLite, with SQS's semantics: at-least-once delivery, a visibility
timeout, a receive count, and a dead-letter table after ``max_receives`` deliveries.

Messages survive restarts of the local server: an upload accepted before a crash is analysed
after it.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
import time
from pathlib import Path

from chalicelib.storage.ports import Message, checked_delay

_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    body TEXT NOT NULL,
    visible_at REAL NOT NULL,
    receive_count INTEGER NOT NULL DEFAULT 0,
    receipt TEXT
);
CREATE INDEX IF NOT EXISTS messages_ready ON messages (queue, visible_at);
"""


class SQLiteWorkQueue:
    def __init__(self, path: Path, name: str = "analysis", visibility_timeout: float = 120.0, max_receives: int = 3):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = str(path)
        self._name = name
        self._dlq = f"{name}-dlq"
        self.visibility_timeout = visibility_timeout
        self.max_receives = max_receives
        self._local = threading.local()
        self._db().executescript(_SCHEMA)

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self._path, isolation_level=None, timeout=30)
            db.execute("PRAGMA journal_mode=WAL")
            self._local.db = db
        return db

    def send(self, body: str, delay_seconds: int = 0) -> None:
        visible_at = time.time() + checked_delay(delay_seconds)  # SQS's DelaySeconds: hidden until then
        self._db().execute("INSERT INTO messages (queue, body, visible_at) VALUES (?, ?, ?)", (self._name, body, visible_at))

    def _receive_from(self, queue: str, max_messages: int, redrive_to_dlq: bool) -> list[Message]:
        db = self._db()
        now = time.time()
        received: list[Message] = []
        db.execute("BEGIN IMMEDIATE")
        try:
            rows = db.execute(
                "SELECT id, body, receive_count FROM messages WHERE queue = ? AND visible_at <= ? ORDER BY id LIMIT ?",
                (queue, now, max_messages * 4),
            ).fetchall()
            for msg_id, body, count in rows:
                if redrive_to_dlq and count >= self.max_receives:
                    # As SQS does: a message delivered max_receives times moves to the DLQ.
                    db.execute(
                        "UPDATE messages SET queue = ?, receive_count = 0, visible_at = ? WHERE id = ?", (self._dlq, now, msg_id)
                    )
                    continue
                if len(received) == max_messages:
                    break
                receipt = f"{msg_id}:{secrets.token_hex(8)}"
                db.execute(
                    "UPDATE messages SET receive_count = receive_count + 1, visible_at = ?, receipt = ? WHERE id = ?",
                    (now + self.visibility_timeout, receipt, msg_id),
                )
                received.append(Message(body=body, receipt=receipt, receive_count=count + 1))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return received

    def receive(self, max_messages: int = 1) -> list[Message]:
        return self._receive_from(self._name, max_messages, redrive_to_dlq=True)

    def ack(self, message: Message) -> None:
        # A stale receipt (the message was delivered again since) deletes nothing, as in SQS.
        self._db().execute("DELETE FROM messages WHERE receipt = ?", (message.receipt,))

    def dead_letters(self, max_messages: int = 10) -> list[Message]:
        return self._receive_from(self._dlq, max_messages, redrive_to_dlq=False)

    def ack_dead_letter(self, message: Message) -> None:
        self.ack(message)  # receipts are unique across both tables' rows

    def redrive(self) -> int:
        cursor = self._db().execute(
            "UPDATE messages SET queue = ?, receive_count = 0, visible_at = ? WHERE queue = ?",
            (self._name, time.time(), self._dlq),
        )
        return cursor.rowcount

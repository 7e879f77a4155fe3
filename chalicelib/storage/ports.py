"""The storage ports: what the services need from blobs, records and the analysis queue.

Each port has a local adapter (the embedded default: a folder, SQLite, an in-process worker) and
an AWS adapter (S3, DynamoDB, SQS). Both pass the same contract tests (tests/contract/).
Services depend on these protocols only; ``chalicelib.wiring`` picks the adapters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

# --- blobs ---------------------------------------------------------------------------------


class BlobNotFound(KeyError):
    pass


@dataclass(frozen=True)
class PresignedPost:
    """A browser form upload: POST ``fields`` plus the file (as the last field, named "file")."""

    url: str
    fields: dict[str, str]


class BlobStore(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def put_file(self, key: str, path: Path, content_type: str) -> None:
        """Store a file of any size from disk (S3: a multipart upload), without reading it into memory."""
        ...

    def get(self, key: str) -> bytes:
        """Raise BlobNotFound when the key does not exist."""
        ...

    def get_version(self, key: str, version_id: str | None = None) -> tuple[bytes, str | None]:
        """The bytes (of ``version_id``, or the current ones) and their version id: S3's on a
        versioned bucket; None where a key holds one version (the folder store's uploads are
        write-once). The analyzer records the version it judged; links serve that one."""
        ...

    def exists(self, key: str) -> bool: ...

    def copy(self, source_key: str, target_key: str) -> None: ...

    def delete(self, key: str) -> None: ...

    def presigned_get(self, key: str, expires_in: int, *, version_id: str | None = None, attachment: bool = False) -> str:
        """A link to the key (to ``version_id`` of it when given); ``attachment``: the browser
        downloads it instead of rendering it (an original is whatever bytes the phone sent)."""
        ...

    def presigned_post(self, key: str, content_type: str, max_bytes: int, expires_in: int) -> PresignedPost:
        """A form upload whose policy fixes the key, the content type and the size range."""
        ...


# --- records -------------------------------------------------------------------------------


class ConditionFailed(Exception):
    """A conditional write found the record in another state."""


@dataclass(frozen=True)
class Cond:
    """A condition on a record's attributes; a tiny tree that each adapter translates.

    op: "eq" | "in" | "lt" | "exists" | "absent" | "and" | "or"
    """

    op: str
    field: str = ""
    value: Any = None
    parts: tuple[Cond, ...] = ()

    def __and__(self, other: Cond) -> Cond:
        return Cond("and", parts=(self, other))

    def __or__(self, other: Cond) -> Cond:
        return Cond("or", parts=(self, other))

    def holds_for(self, item: dict[str, Any] | None) -> bool:
        """Evaluate against an item (None when the record does not exist)."""
        item = item or {}
        if self.op == "and":
            return all(p.holds_for(item) for p in self.parts)
        if self.op == "or":
            return any(p.holds_for(item) for p in self.parts)
        present = self.field in item
        if self.op == "exists":
            return present
        if self.op == "absent":
            return not present
        if not present:
            return False
        current = item[self.field]
        if self.op == "eq":
            return current == self.value
        if self.op == "in":
            return current in self.value
        if self.op == "lt":
            return current < self.value
        raise ValueError(f"unknown condition {self.op!r}")


def eq(field: str, value: Any) -> Cond:
    return Cond("eq", field, value)


def one_of(field: str, values: tuple[Any, ...]) -> Cond:
    return Cond("in", field, tuple(values))


def lt(field: str, value: Any) -> Cond:
    return Cond("lt", field, value)


def exists(field: str) -> Cond:
    return Cond("exists", field)


def absent(field: str) -> Cond:
    return Cond("absent", field)


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    cursor: str | None  # opaque; pass back to get the next page, None at the end


@dataclass(frozen=True)
class PutOp:
    """A whole-item write inside a transaction."""

    item: dict[str, Any]
    condition: Cond | None = None


@dataclass(frozen=True)
class UpdateOp:
    """An update inside a transaction; ``upsert`` creates the item when it is missing (counters)."""

    pk: str
    sk: str
    set: dict[str, Any] = field(default_factory=dict)
    add: dict[str, int | float] = field(default_factory=dict)
    condition: Cond | None = None
    upsert: bool = False


MAX_TRANSACTION = 100  # DynamoDB's TransactWriteItems limit


class RecordStore(Protocol):
    """Items keyed by (pk, sk), with secondary indexes ``gsi1`` and ``gsi2`` on
    (gsi1pk, gsi1sk) and (gsi2pk, gsi2sk); an item without an index's pk is not in that index.

    Values are JSON types (str, int, float, bool, None, list, dict). An item with a number in
    ``layout.TTL_ATTRIBUTE`` (epoch seconds) reads as absent (get, query) once that time has passed.
    """

    def get(self, pk: str, sk: str) -> dict[str, Any] | None: ...

    def put(self, item: dict[str, Any], *, condition: Cond | None = None) -> None:
        """Write a whole item; raise ConditionFailed when ``condition`` does not hold."""
        ...

    def put_many(self, items: list[dict[str, Any]]) -> None:
        """Write many whole items without conditions, in batches (not one transaction)."""
        ...

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
        """Change some attributes of an item and return the new item.

        Raise ConditionFailed when ``condition`` does not hold, or when the item is missing and
        ``upsert`` is false (with ``upsert`` a missing item is created from the changes).
        """
        ...

    def transact(self, ops: list[PutOp | UpdateOp]) -> None:
        """Apply every write or none (at most MAX_TRANSACTION, each item at most once);
        raise ConditionFailed when any condition does not hold."""
        ...

    def query(
        self,
        pk: str,
        *,
        index: str | None = None,
        sk_prefix: str = "",
        limit: int = 50,
        cursor: str | None = None,
        descending: bool = False,
    ) -> Page: ...

    def delete(self, pk: str, sk: str) -> None: ...


# --- events ------------------------------------------------------------------------------


class EventPublisher(Protocol):
    """Things that happened (an analysis finished, a review was decided), for whoever listens:
    an SNS topic in AWS (email or push subscribers are configuration), an outbox locally."""

    def publish(self, event_type: str, payload: dict[str, Any]) -> None: ...


class EventFeed(Protocol):
    """The events read back, newest first (the local outbox; in AWS they leave through SNS and
    there is no feed). Items are ``{"type", "at", "payload"}`` records."""

    def recent(self, store_id: str | None = None, limit: int = 50, cursor: str | None = None) -> Page:
        """All events, or one store's; raise ValueError for a cursor it did not hand out."""
        ...


# --- queue ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    body: str
    receipt: str  # handle to acknowledge this delivery
    receive_count: int


MAX_DELAY_SECONDS = 900  # SQS's DelaySeconds limit


def checked_delay(delay_seconds: int) -> int:
    if not 0 <= delay_seconds <= MAX_DELAY_SECONDS:
        raise ValueError(f"a message's delay is 0 to {MAX_DELAY_SECONDS} seconds, not {delay_seconds}")
    return int(delay_seconds)


class WorkQueue(Protocol):
    """At-least-once delivery with a visibility timeout and a dead-letter queue.

    A message received and not acknowledged comes back after the visibility timeout; after
    ``max_receives`` deliveries it moves to the dead-letter queue instead.
    """

    def send(self, body: str, delay_seconds: int = 0) -> None:
        """Queue a message; with ``delay_seconds`` (at most MAX_DELAY_SECONDS, SQS's limit) it is
        received no sooner than that."""
        ...

    def receive(self, max_messages: int = 1) -> list[Message]: ...

    def ack(self, message: Message) -> None: ...

    def dead_letters(self, max_messages: int = 10) -> list[Message]:
        """Messages in the dead-letter queue (received: they come back after the timeout)."""
        ...

    def ack_dead_letter(self, message: Message) -> None:
        """Remove a dead letter received with ``dead_letters`` (its submission was ended)."""
        ...

    def redrive(self) -> int:
        """Move every dead letter back to the main queue; return how many moved."""
        ...

"""The local backend's analysis worker: a thread that does what SQS + Lambda do in AWS.

It receives from the local queue, hands each message to the same UploadProcessor as the Lambda
handler, and acknowledges only on success; a failure leaves the message to come back after the
visibility timeout, and to the dead-letter table after too many tries. Like the dead-letter
queue's handler and the schedule in AWS, it then ends the dead letters' submissions and runs the
sweep on a timer (chalicelib.services.recovery), which also deletes the records past their time
to live (DynamoDB's own job in AWS).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from chalicelib.storage.ports import WorkQueue

log = logging.getLogger(__name__)

DEAD_LETTER_INTERVAL = 2.0  # seconds between looks at the dead-letter table


class MessageHandler(Protocol):
    def handle_message(self, body: str) -> object: ...


class Recoverer(Protocol):
    def dead_letter(self, body: str) -> object: ...

    def sweep(self) -> object: ...


class LocalWorker:
    def __init__(
        self,
        queue: WorkQueue,
        processor: MessageHandler,
        poll_interval: float = 0.25,
        recovery: Recoverer | None = None,
        sweep_interval: float = 60.0,
        delete_expired: Callable[[], int] | None = None,
        settle_notices: Callable[[], int] | None = None,
    ):
        self._queue = queue
        self._processor = processor
        self._poll_interval = poll_interval
        self._recovery = recovery
        self._sweep_interval = sweep_interval
        # DynamoDB deletes the items past their time to live itself; locally the sweep does
        self._delete_expired = delete_expired
        # review decisions whose store message was lost (chalicelib.services.notifications)
        self._settle_notices = settle_notices
        self._next_sweep = 0.0
        self._next_dead_letters = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        """Handle the messages that are visible now; return how many were received."""
        handled = 0
        while messages := self._queue.receive(max_messages=1):
            for message in messages:
                handled += 1
                try:
                    self._processor.handle_message(message.body)
                except Exception:
                    log.exception("analysis failed (delivery %d); the message will come back", message.receive_count)
                    continue
                self._queue.ack(message)
        return handled

    def drain_dead_letters(self) -> int:
        """End the submissions of the dead letters; return how many were handled."""
        if self._recovery is None:
            return 0
        handled = 0
        while messages := self._queue.dead_letters(max_messages=10):
            for message in messages:
                try:
                    self._recovery.dead_letter(message.body)
                except Exception:  # e.g. still under a live lease: it comes back after the timeout
                    log.warning("dead letter not handled yet; it will come back", exc_info=True)
                    continue
                self._queue.ack_dead_letter(message)
                handled += 1
        return handled

    def maintain(self, now: float | None = None) -> None:
        """The dead letters (every couple of seconds: each look takes the queue's write lock), and
        the sweep when its interval has passed."""
        now = time.monotonic() if now is None else now
        if now >= self._next_dead_letters:
            self._next_dead_letters = now + DEAD_LETTER_INTERVAL
            self.drain_dead_letters()
        sweeps = (self._recovery, self._delete_expired, self._settle_notices)
        if now >= self._next_sweep and any(part is not None for part in sweeps):
            self._next_sweep = now + self._sweep_interval
            if self._recovery is not None:
                self._recovery.sweep()
            if self._delete_expired is not None and (deleted := self._delete_expired()):
                log.info("sweep: %d expired records deleted", deleted)
            if self._settle_notices is not None:
                self._settle_notices()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
                self.maintain()
            except Exception:  # the queue itself failed (disk full, locked): keep the worker alive
                log.exception("local worker loop error")
            self._stop.wait(self._poll_interval)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="vetrina-local-worker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)


class ReminderTimer:
    """The local stand-in for a schedule: every ``every_s`` seconds, remind the stores whose
    deadline is less than ``lead_hours`` away (chalicelib.services.reminders; once per campaign
    and deadline, so a restart or a second timer sends nothing twice)."""

    def __init__(self, remind_due: Any, lead_hours: float, every_s: float):
        self._remind_due = remind_due
        self._lead_hours = lead_hours
        self._every_s = every_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _loop(self) -> None:
        while not self._stop.wait(self._every_s):
            try:
                self._remind_due(self._lead_hours)
            except Exception:  # a failed run is retried at the next tick
                log.exception("scheduled reminders failed")

    def start(self) -> None:
        if self._lead_hours <= 0:
            return  # VETRINA_REMINDER_LEAD_HOURS=0: no automatic reminders
        self._thread = threading.Thread(target=self._loop, name="vetrina-reminders", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

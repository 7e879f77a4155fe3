"""The local backend's analysis worker: a thread that does what SQS + Lambda do in AWS.

It receives from the local queue, hands each message to the same UploadProcessor as the Lambda
handler, and acknowledges only on success; a failure leaves the message to come back after the
visibility timeout, and to the dead-letter table after too many tries.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Protocol

from chalicelib.storage.ports import WorkQueue

log = logging.getLogger(__name__)


class MessageHandler(Protocol):
    def handle_message(self, body: str) -> object: ...


class LocalWorker:
    def __init__(self, queue: WorkQueue, processor: MessageHandler, poll_interval: float = 0.25):
        self._queue = queue
        self._processor = processor
        self._poll_interval = poll_interval
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

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
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

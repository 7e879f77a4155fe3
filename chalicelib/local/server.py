"""The service on the local backend: Chalice's local HTTP server plus the analysis worker.

Used by ``python -m chalicelib.devtools.cli serve`` (``make run``) and by the end-to-end tests.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from chalicelib.analyzer.worker import worker_for
from chalicelib.local.worker import LocalWorker, ReminderTimer
from chalicelib.wiring import Services, services


class LocalService:
    def __init__(self, host: str = "127.0.0.1", port: int = 8000):
        from chalice.config import Config
        from chalice.local import LocalChalice, LocalDevServer, create_local_server

        import app as app_module

        config = Config.create(chalice_stage="local", app_name="vetrina", chalice_app=app_module.app)
        if isinstance(app_module.app, LocalChalice):  # already made thread-local by a first server
            self._server = LocalDevServer(app_module.app, config, host, port)
        else:
            self._server = create_local_server(app_module.app, config, host, port)
        self.host, self.port = self._server.server.server_address[:2]
        self.url = f"http://{self.host}:{self.port}"
        # Links the service hands out point at the port actually bound (port 0 picks a free
        # one), unless VETRINA_PUBLIC_URL names another address (e.g. the machine's LAN address).
        self._owns_public_url = "VETRINA_PUBLIC_URL" not in os.environ
        if self._owns_public_url:
            os.environ["VETRINA_PUBLIC_URL"] = self.url
        services.cache_clear()
        self.services: Services = services()
        if self.services.settings.backend != "local":
            raise RuntimeError("the local server runs the local backend only: unset VETRINA_BACKEND")
        self.worker = LocalWorker(self.services.queue, worker_for(self.services))
        # Automatic reminders a set time before each store's deadline (0 hours: none).
        self.reminders = ReminderTimer(self.services.reminders.remind_due,
                                       float(os.environ.get("VETRINA_REMINDER_LEAD_HOURS", "24")),
                                       float(os.environ.get("VETRINA_REMINDER_EVERY_SECONDS", "600")))
        self._thread: threading.Thread | None = None

    def start(self) -> "LocalService":
        self.worker.start()
        self.reminders.start()
        self._thread = threading.Thread(target=self._server.server.serve_forever, name="vetrina-http", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.worker.start()
        self.reminders.start()
        try:
            self._server.server.serve_forever()
        finally:
            self.worker.stop()
            self.reminders.stop()

    def stop(self) -> None:
        self._server.server.shutdown()
        self._server.server.server_close()
        self.worker.stop()
        self.reminders.stop()
        if self._owns_public_url:
            os.environ.pop("VETRINA_PUBLIC_URL", None)
        services.cache_clear()

    def __enter__(self) -> "LocalService":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

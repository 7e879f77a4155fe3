"""The service on the local backend: Chalice's local HTTP server plus the analysis worker.

Used by ``python -m chalicelib.devtools.cli serve`` (``make run``) and by the end-to-end tests.
``make run`` is what a shop's demo or a small pilot runs, on a LAN: so the server guards its
resources as API Gateway and S3 do in AWS (``GuardedHandler``, ``BoundedServer``): a body larger
than its route's limit is refused from its Content-Length before a byte is read, a photo upload
goes to disk as it arrives, a silent connection is dropped, and the threads are bounded.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from typing import Any
from urllib.parse import urlsplit

from chalice.local import ChaliceRequestHandler, RouteMatcher, ThreadedHTTPServer

from chalicelib.analyzer.worker import worker_for
from chalicelib.api.gateway import NOT_FOUND_CODE, not_found_message
from chalicelib.local.worker import LocalWorker, ReminderTimer
from chalicelib.wiring import Services, services

log = logging.getLogger(__name__)

UPLOAD_PATH = "/local/uploads"
FORM_OVERHEAD = 64 * 1024  # the upload form's fields and boundaries around the photo
JSON_LIMIT = 4 * 1024 * 1024  # any other body: campaign documents, store lists (a network's is ~1 MB)
IDLE_TIMEOUT = 20.0  # seconds a connection may stay silent (between requests, or mid-body)
MAX_THREADS = 64  # requests served at once; browsers keep up to 6 connections each
ACCEPT_WAIT = 1.0  # how long a new connection waits for a free thread before a 503


class GuardedHandler(ChaliceRequestHandler):
    """Chalice's request handler, with each body checked against its route's limit first."""

    timeout = IDLE_TIMEOUT  # a socket timeout: a half-open or idle connection is closed
    upload_limit = 25 * 1024 * 1024 + FORM_OVERHEAD  # set from the settings (LocalService)
    routes: RouteMatcher  # the app's paths (LocalService)

    def _guarded_handle(self) -> None:
        raw_length = self.headers.get("content-length")
        if self.headers.get("transfer-encoding"):
            return self._refuse(411, "length_required", "send the body with a Content-Length (no chunked encoding)")
        try:
            length = int(raw_length or 0)
        except ValueError:
            length = -1
        if length < 0:
            return self._refuse(400, "bad_request", "Content-Length must be a whole number of bytes")
        upload = self.command == "POST" and urlsplit(self.path).path == UPLOAD_PATH
        limit = self.upload_limit if upload else JSON_LIMIT
        if length > limit:
            return self._refuse(
                413,
                "body_too_large" if not upload else "file_too_large",
                f"the body is {length / 2**20:.1f} MB; this route takes at most {limit / 2**20:.1f} MB",
            )
        if upload:
            return self._stream_upload(length)
        if self._no_route():
            return self._refuse(404, NOT_FOUND_CODE, not_found_message(self.command, urlsplit(self.path).path))
        return ChaliceRequestHandler._generic_handle(self)

    def _no_route(self) -> bool:
        """No route of the app has this path (Chalice's local gateway would answer API Gateway's
        403 "Missing Authentication Token"; the API answers a JSON 404, as in AWS)."""
        try:
            self.routes.match_route(self.path)
        except ValueError:
            return True
        return False

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _guarded_handle

    def _stream_upload(self, length: int) -> None:
        """The upload route, fed from the socket (Chalice's gateway would read the body into memory)."""
        from chalicelib.local.routes import receive_upload

        response = receive_upload(self.headers.get("content-type", ""), self.rfile, length)
        self.close_connection = True  # a refused form may have left part of its body unread
        body = response.body if isinstance(response.body, (bytes, str)) else json.dumps(response.body)
        self._send_http_response(response.status_code, {**response.headers, "Connection": "close"}, body)

    def _refuse(self, status: int, code: str, message: str) -> None:
        """Answer without reading the body, and close: the unread body must not be taken for a request."""
        self.close_connection = True
        body = json.dumps({"error": {"code": code, "message": message}})
        self._send_http_response(status, {"Content-Type": "application/json", "Connection": "close"}, body)


_BUSY_BODY = b'{"error": {"code": "busy", "message": "the server is busy: try again in a couple of seconds"}}'
BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n"
    b"Retry-After: 2\r\nContent-Length: " + str(len(_BUSY_BODY)).encode() + b"\r\n\r\n" + _BUSY_BODY
)


class BoundedServer(ThreadedHTTPServer):
    """Chalice's threaded server with at most ``max_threads`` requests at once: a connection that
    finds every thread busy for ACCEPT_WAIT gets a 503 instead of a new thread."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: Any, handler: Any, max_threads: int = MAX_THREADS):
        self._slots = threading.BoundedSemaphore(max_threads)
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(timeout=ACCEPT_WAIT):
            try:
                request.settimeout(1.0)
                request.sendall(BUSY)
            except OSError:
                pass
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()


class LocalService:
    def __init__(self, host: str = "127.0.0.1", port: int = 8000, max_threads: int = MAX_THREADS):
        import functools

        from chalice.config import Config
        from chalice.local import CustomLocalChalice, LocalChalice, LocalDevServer

        import app as app_module

        config = Config.create(chalice_stage="local", app_name="vetrina", chalice_app=app_module.app)
        if not isinstance(app_module.app, LocalChalice):
            # what chalice.local.create_local_server does: the app's request state made thread-local
            CustomLocalChalice.__bases__ = (LocalChalice, app_module.app.__class__)
            app_module.app.__class__ = CustomLocalChalice
        handler = type(
            "Handler",
            (GuardedHandler,),
            {"upload_limit": self._upload_limit(), "routes": RouteMatcher(list(app_module.app.routes))},
        )
        self._server = LocalDevServer(
            app_module.app,
            config,
            host,
            port,
            handler_cls=handler,
            server_cls=functools.partial(BoundedServer, max_threads=max_threads),
        )
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
        self.worker = LocalWorker(
            self.services.queue,
            worker_for(self.services),
            recovery=self.services.recovery,
            sweep_interval=self.services.settings.sweep_interval,
            delete_expired=getattr(self.services.records, "delete_expired", None),
            settle_notices=self.services.notices.settle_overdue,
        )
        # Automatic reminders a set time before each store's deadline (0 hours: none).
        self.reminders = ReminderTimer(
            self.services.reminders.remind_due,
            float(os.environ.get("VETRINA_REMINDER_LEAD_HOURS", "24")),
            float(os.environ.get("VETRINA_REMINDER_EVERY_SECONDS", "600")),
        )
        self._thread: threading.Thread | None = None

    @staticmethod
    def _upload_limit() -> int:
        from chalicelib.core.settings import Settings

        return Settings.from_env().max_upload_bytes + FORM_OVERHEAD

    def start(self) -> LocalService:
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

    def __enter__(self) -> LocalService:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

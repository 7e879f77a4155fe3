"""The local server's resources (issue 13, item 6), on a real server on loopback: bodies over their
route's limit refused from Content-Length before they are read, idle connections dropped, the
threads bounded. Marked e2e (a real server, and timeouts to wait out)."""

from __future__ import annotations

import socket
import time

import pytest
import requests

from chalicelib.local import server as local_server
from chalicelib.local.server import LocalService

pytestmark = pytest.mark.e2e


@pytest.fixture
def service(local_env, monkeypatch):
    monkeypatch.setattr(local_server.GuardedHandler, "timeout", 1.0)
    monkeypatch.setattr(local_server, "ACCEPT_WAIT", 0.3)
    with LocalService("127.0.0.1", 0, max_threads=3) as running:
        yield running


def raw_request(service, head: str, timeout: float = 5.0) -> bytes:
    """Send only the request's head (no body) and read the answer."""
    with socket.create_connection((service.host, service.port), timeout=timeout) as sock:
        sock.sendall(head.encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        return answer


def test_an_upload_larger_than_the_policy_is_refused_before_its_body_is_read(service):
    started = time.perf_counter()
    answer = raw_request(
        service,
        "POST /local/uploads HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
        f"Content-Length: {512 * 2**20}\r\n\r\n",
    )
    assert answer.startswith(b"HTTP/1.1 413") and b'"file_too_large"' in answer
    assert time.perf_counter() - started < 1.0  # answered at once: nothing of the 512 MB was awaited


def test_a_json_body_over_the_cap_is_refused_unread(service):
    answer = raw_request(
        service, f"PUT /stores HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {64 * 2**20}\r\n\r\n"
    )
    assert answer.startswith(b"HTTP/1.1 413") and b'"body_too_large"' in answer


def test_an_idle_connection_is_closed(service):
    with socket.create_connection((service.host, service.port), timeout=5) as sock:
        sock.sendall(b"POST /local/uploads HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n")  # and then silence
        started = time.perf_counter()
        assert sock.recv(1024) == b""  # closed by the server
        assert time.perf_counter() - started < 3


def test_the_threads_are_bounded_and_the_server_recovers(service):
    idle = [socket.create_connection((service.host, service.port), timeout=5) for _ in range(3)]
    try:
        time.sleep(0.2)
        answer = raw_request(service, "GET /openapi.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 503") and b'"busy"' in answer
    finally:
        for sock in idle:
            sock.close()
    time.sleep(1.5)  # the idle connections' threads are gone
    assert requests.get(f"{service.url}/openapi.json", timeout=5).status_code == 200

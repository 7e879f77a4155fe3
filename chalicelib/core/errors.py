"""Errors the API answers with: an HTTP status, a machine code and a message that says what to fix."""

from __future__ import annotations


class ApiError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status

    def to_body(self) -> dict:
        return {"error": {"code": self.code, "message": self.message}}


class InvalidInput(ApiError):
    status = 400
    code = "invalid_input"


class NotFound(ApiError):
    status = 404
    code = "not_found"


class Conflict(ApiError):
    status = 409
    code = "conflict"

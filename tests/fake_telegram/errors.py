"""The error a Bot API method answers with, in Telegram's envelope.

Handlers raise :class:`ApiError`; the server turns it into
``{"ok": false, "error_code": ..., "description": ..., "parameters": ...}``.
``violation=True`` marks errors that mean the *bot* is buggy (bad markup, bad
parameters...), so the fake can list them for tests to assert on, apart from
errors a correct bot must expect at run time (blocked users, races).
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A refused request: HTTP status, Telegram's description and optional parameters."""

    def __init__(
        self,
        status: int,
        description: str,
        *,
        parameters: dict[str, Any] | None = None,
        violation: bool = False,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters
        self.violation = violation

    def envelope(self) -> dict[str, Any]:
        """The JSON body Telegram sends for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(description: str, *, violation: bool = False, **parameters: Any) -> ApiError:
    """HTTP 400 with Telegram's ``Bad Request: `` prefix."""
    return ApiError(
        400, f"Bad Request: {description}", parameters=parameters or None, violation=violation
    )


def forbidden(description: str) -> ApiError:
    """HTTP 403 with Telegram's ``Forbidden: `` prefix (never a bot bug by itself)."""
    return ApiError(403, f"Forbidden: {description}")


def too_many_requests(retry_after: int) -> ApiError:
    """HTTP 429 flood-control answer; PTB turns it into ``telegram.error.RetryAfter``."""
    return ApiError(
        429,
        f"Too Many Requests: retry after {retry_after}",
        parameters={"retry_after": retry_after},
    )

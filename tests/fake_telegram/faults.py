"""Injected faults: make chosen Bot API calls fail, hang or slow down.

A bot must survive Telegram's bad moments: a 500 on ``sendMessage``, a 429 with
``retry_after``, a notification call that never returns while the requester's reply
must still go out. Rules match on the method name and optionally on the decoded
parameters (``where=lambda p: p["chat_id"] == admin.id``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError

ParamsPredicate = Callable[[dict[str, Any]], bool]

_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


@dataclass(eq=False)
class FaultRule:
    """One injected behaviour; ``times=None`` means until removed."""

    kind: str  # "fail" | "hang" | "delay"
    method: str
    where: ParamsPredicate | None
    times: int | None
    status: int = 500
    description: str = "Internal Server Error"
    retry_after: int | None = None
    seconds: float = 0.0
    release: asyncio.Event = field(default_factory=asyncio.Event)

    def matches(self, method: str, params: dict[str, Any]) -> bool:
        if self.method.lower() != method.lower() or self.times == 0:
            return False
        if self.kind == "hang" and self.release.is_set():
            return False
        return self.where is None or safe_predicate(self.where, params)

    def error(self) -> ApiError:
        if self.status == 429:
            retry_after = self.retry_after if self.retry_after is not None else 1
            description = self.description
            if description in ("Internal Server Error", "Too Many Requests"):
                description = f"Too Many Requests: retry after {retry_after}"
            return ApiError(429, description, parameters={"retry_after": retry_after})
        parameters = {"retry_after": self.retry_after} if self.retry_after is not None else None
        return ApiError(self.status, self.description, parameters=parameters)


class Faults:
    """The active fault rules, consulted for every request in arrival order."""

    def __init__(self) -> None:
        self.rules: list[FaultRule] = []

    def add(self, rule: FaultRule) -> FaultRule:
        self.rules.append(rule)
        return rule

    def take(self, kind: str, method: str, params: dict[str, Any]) -> FaultRule | None:
        """The first rule of ``kind`` matching this call, consuming one of its ``times``."""
        for rule in self.rules:
            if rule.kind == kind and rule.matches(method, params):
                if rule.times is not None:
                    rule.times -= 1
                return rule
        return None

    def release_all(self) -> None:
        """Let every hanging call go (the server is stopping)."""
        for rule in self.rules:
            rule.release.set()

    def clear(self) -> None:
        self.release_all()
        self.rules.clear()


def safe_predicate(predicate: Callable[[Any], bool], value: Any) -> bool:
    """A test's ``where`` filter; one that trips over a missing key simply does not match."""
    try:
        return bool(predicate(value))
    except (KeyError, IndexError, TypeError, AttributeError):
        return False


def default_description(status: int) -> str:
    return _DEFAULT_DESCRIPTIONS.get(status, "Error")

"""The machine-readable Bot API (``botapi/api.json``) as a request checker.

Real Telegram silently ignores a misspelt parameter, so a bot can pass ``protect_conten``
for months without anyone noticing. The fake is stricter: every request is checked
against the official method list (names, required fields, value types, nested object
fields), and anything off is refused and recorded as a violation.

The description is vendored beside this module (``botapi/``, with its licence and where
it comes from), so every run of the tests checks every request: a check that is skipped
when a file is missing is a check nobody can rely on.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .files import UploadedFile

#: The vendored Bot API description every fake checks requests against.
DEFAULT_SPEC_PATH = Path(__file__).resolve().parent / "botapi" / "api.json"

_INT_RE = re.compile(r"-?\d+")
_DISCRIMINATOR_RE = re.compile(r"(?:must be|always) [“\"]?([a-z_]+)")
_DISCRIMINATOR_FIELDS = ("type", "status", "source")

#: Parameters that stay plain strings when the spec does not know them (so "123" stays "123").
_FALLBACK_STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "inline_message_id",
        "url",
        "language_code",
        "description",
        "short_description",
        "name",
        "title",
        "file_id",
        "photo",
        "document",
        "business_connection_id",
        "message_effect_id",
        "emoji",
        "custom_title",
    }
)


@dataclass(frozen=True)
class FieldSpec:
    """One parameter of a method or field of a type."""

    name: str
    types: tuple[str, ...]
    required: bool


class ApiSpec:
    """Methods and types of the Bot API, with validation of decoded request values."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.version: str = str(data.get("version", "?"))
        self._types: dict[str, Any] = dict(data.get("types", {}))
        self._methods: dict[str, dict[str, FieldSpec]] = {}
        self._canonical: dict[str, str] = {}
        for name, method in data.get("methods", {}).items():
            self._methods[name] = {
                f["name"]: FieldSpec(f["name"], tuple(f["types"]), bool(f["required"]))
                for f in method.get("fields", [])
            }
            self._canonical[name.lower()] = name

    @classmethod
    def load(cls, path: Path) -> ApiSpec:
        """Parse api.json (cached per path: the file is ~1 MB and tests start many fakes)."""
        return _load_cached(str(path))

    @property
    def method_names(self) -> list[str]:
        return list(self._methods)

    def canonical_method(self, name: str) -> str | None:
        """The method's official spelling (Telegram matches method names case-insensitively)."""
        return self._canonical.get(name.lower())

    def fields(self, method: str) -> dict[str, FieldSpec]:
        return self._methods[method]

    def decode(self, method: str, raw: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """Turn request values (form strings or JSON values) into typed values.

        Returns the decoded parameters and the list of problems: unknown parameters,
        missing required ones, values of the wrong type or shape.
        """
        fields = self._methods[method]
        params: dict[str, Any] = {}
        problems: list[str] = []
        for name, value in raw.items():
            spec = fields.get(name)
            if spec is None:
                problems.append(f'unknown parameter "{name}" for {method}')
                params[name] = fallback_decode(name, value)
                continue
            decoded, problem = _decode_value(value, spec.types)
            params[name] = decoded
            if problem:
                problems.append(f'parameter "{name}": {problem}')
                continue
            problems.extend(self.validate(decoded, spec.types, name))
        for name, spec in fields.items():
            if spec.required and name not in raw:
                problems.append(f'required parameter "{name}" is missing')
        return params, problems

    def validate(self, value: Any, types: Sequence[str], path: str) -> list[str]:
        """Problems of ``value`` against a union of API types (empty list when it fits one)."""
        first: list[str] | None = None
        for type_name in types:
            problems = self._validate_one(value, type_name, path)
            if not problems:
                return []
            if first is None:
                first = problems
        return first or []

    def _validate_one(self, value: Any, type_name: str, path: str) -> list[str]:
        if type_name.startswith("Array of "):
            if not isinstance(value, list):
                return [f"{path}: expected {type_name}, got {_kind(value)}"]
            inner = type_name[len("Array of ") :]
            problems: list[str] = []
            for i, item in enumerate(value):
                problems.extend(self._validate_one(item, inner, f"{path}[{i}]"))
            return problems
        scalar = _check_scalar(value, type_name)
        if scalar is not None:
            return [] if scalar else [f"{path}: expected {type_name}, got {_kind(value)}"]
        if type_name == "KeyboardButton" and isinstance(value, str):
            return []  # a plain string is a valid text button
        spec = self._types.get(type_name)
        if spec is None:
            return []  # a type the spec does not describe: nothing to check against
        if not isinstance(value, dict):
            return [f"{path}: expected {type_name} object, got {_kind(value)}"]
        if "subtypes" in spec:
            return self._validate_subtypes(value, type_name, spec["subtypes"], path)
        return self._validate_object(value, type_name, spec.get("fields", []), path)

    def _validate_subtypes(
        self, value: dict[str, Any], type_name: str, subtypes: list[str], path: str
    ) -> list[str]:
        candidates = [s for s in subtypes if self._discriminator_matches(value, s)]
        if not candidates:
            return [f"{path}: not a valid {type_name} (no subtype matches)"]
        first: list[str] | None = None
        for sub in candidates:
            problems = self._validate_one(value, sub, path)
            if not problems:
                return []
            first = first or problems
        return first or []

    def _discriminator_matches(self, value: dict[str, Any], subtype: str) -> bool:
        for f in self._types.get(subtype, {}).get("fields", []):
            if f["name"] in _DISCRIMINATOR_FIELDS:
                m = _DISCRIMINATOR_RE.search(f.get("description", ""))
                if m and value.get(f["name"]) != m.group(1):
                    return False
        return True

    def _validate_object(
        self, value: dict[str, Any], type_name: str, fields: list[dict[str, Any]], path: str
    ) -> list[str]:
        known = {f["name"]: f for f in fields}
        problems: list[str] = []
        for key, item in value.items():
            f = known.get(key)
            if f is None:
                problems.append(f'{path}: unknown field "{key}" in {type_name}')
                continue
            problems.extend(self.validate(item, f["types"], f"{path}.{key}"))
        for key, f in known.items():
            if f["required"] and key not in value:
                problems.append(f'{path}: missing required field "{key}" of {type_name}')
        return problems


@functools.lru_cache(maxsize=4)
def _load_cached(path: str) -> ApiSpec:
    with open(path, encoding="utf-8") as fh:
        return ApiSpec(json.load(fh))


def _check_scalar(value: Any, type_name: str) -> bool | None:
    """True/False for scalar API types, ``None`` when ``type_name`` is not a scalar."""
    if type_name == "Integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name in ("Float", "Float number"):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if type_name == "String":
        return isinstance(value, str)
    if type_name == "Boolean":
        return isinstance(value, bool)
    if type_name == "True":
        return value is True
    if type_name == "InputFile":
        return isinstance(value, UploadedFile | str)
    return None


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _decode_value(value: Any, types: Sequence[str]) -> tuple[Any, str | None]:
    """Decode one form value by its declared types; JSON-body values pass through."""
    if not isinstance(value, str):
        return value, None
    kinds = set(types)
    if kinds <= {"String"} or "InputFile" in kinds:
        return value, None
    if kinds == {"Integer", "String"}:
        return (int(value) if _INT_RE.fullmatch(value) else value), None
    if kinds == {"Integer"}:
        if _INT_RE.fullmatch(value.strip()):
            return int(value), None
        return value, f"expected Integer, got {value!r}"
    if kinds <= {"Float", "Float number"}:
        try:
            return float(value), None
        except ValueError:
            return value, f"expected Float, got {value!r}"
    if kinds <= {"Boolean", "True"}:
        if value.lower() in ("true", "false"):
            return value.lower() == "true", None
        return value, f"expected Boolean, got {value!r}"
    try:
        return json.loads(value), None
    except ValueError:
        return value, f"expected JSON-serialized {' or '.join(types)}, got {value[:60]!r}"


def fallback_decode(name: str, value: Any) -> Any:
    """Decode a parameter the spec does not know (a violation, still recorded as sent):
    strings stay strings, the rest is JSON."""
    if not isinstance(value, str) or name in _FALLBACK_STRING_PARAMS:
        return value
    if name == "chat_id":
        return int(value) if _INT_RE.fullmatch(value) else value
    try:
        return json.loads(value)
    except ValueError:
        return value

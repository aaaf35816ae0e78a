"""Validation of ``reply_markup`` the way Telegram refuses bad keyboards.

The classic bugs: ``callback_data`` longer than 64 bytes once an account name in
Chinese is put in it (``BUTTON_DATA_INVALID``), a button with no action, a
``copy_text`` longer than 256 characters. All are refused and recorded as violations.
"""

from __future__ import annotations

from typing import Any

from .errors import bad_request

#: Inline button fields that make the button do something; exactly one per button.
INLINE_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
MAX_BUTTONS = 100
CALLBACK_DATA_MAX_BYTES = 64
COPY_TEXT_MAX = 256
_URL_SCHEMES = ("http://", "https://", "tg://", "ton://")


def validate_reply_markup(markup: Any, *, inline_only: bool = False) -> None:
    """Raise the :class:`~.errors.ApiError` Telegram answers for an invalid keyboard."""
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object", violation=True)
    if "inline_keyboard" in markup:
        _validate_inline(markup["inline_keyboard"])
    elif inline_only:
        raise bad_request("inline keyboard expected", violation=True)
    elif "keyboard" in markup:
        _validate_reply_keyboard(markup["keyboard"])
    elif markup.get("remove_keyboard") is not True and markup.get("force_reply") is not True:
        raise bad_request("can't parse reply keyboard markup JSON object", violation=True)


def _validate_inline(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise bad_request(
            'can\'t parse inline keyboard: field "inline_keyboard" must be an Array of Arrays',
            violation=True,
        )
    if sum(len(r) for r in rows) > MAX_BUTTONS:
        raise bad_request("reply markup is too long", violation=True)
    for row in rows:
        for button in row:
            validate_inline_button(button)


def validate_inline_button(button: Any) -> None:
    """One ``InlineKeyboardButton``: text, exactly one action, and that action's limits."""
    if not isinstance(button, dict):
        raise bad_request("can't parse inline keyboard button: object expected", violation=True)
    text = button.get("text")
    if not isinstance(text, str) or not text.strip():
        raise bad_request(
            "can't parse inline keyboard button: Text buttons must have non-empty text",
            violation=True,
        )
    actions = [a for a in INLINE_ACTIONS if a in button]
    if not actions:
        raise bad_request("text buttons are unallowed in the inline keyboard", violation=True)
    if len(actions) > 1:
        raise bad_request(
            "can't parse inline keyboard button: exactly one of the optional fields must be "
            f"used, got {', '.join(actions)}",
            violation=True,
        )
    action = actions[0]
    value = button[action]
    if action == "callback_data":
        if not isinstance(value, str) or not 1 <= len(value.encode("utf-8")) <= 64:
            raise bad_request("BUTTON_DATA_INVALID", violation=True)
    elif action == "url":
        if not isinstance(value, str) or not value.startswith(_URL_SCHEMES) or len(value) < 8:
            raise bad_request(
                f"inline keyboard button URL {value!r} is invalid: Wrong HTTP URL", violation=True
            )
    elif action == "copy_text":
        copied = value.get("text") if isinstance(value, dict) else None
        if not isinstance(copied, str) or not 1 <= len(copied) <= COPY_TEXT_MAX:
            raise bad_request(
                "can't parse inline keyboard button: copy_text.text must have 1-256 characters",
                violation=True,
            )


def _validate_reply_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise bad_request(
            'can\'t parse reply keyboard: field "keyboard" must be an Array of Arrays',
            violation=True,
        )
    for row in rows:
        for button in row:
            text = (
                button
                if isinstance(button, str)
                else (button.get("text") if isinstance(button, dict) else None)
            )
            if not isinstance(text, str) or not text:
                raise bad_request("keyboard button text must be non-empty", violation=True)


def callback_buttons(markup: dict[str, Any] | None) -> list[dict[str, Any]]:
    """All inline buttons of a stored message's markup, row by row."""
    if not markup:
        return []
    return [b for row in markup.get("inline_keyboard", []) for b in row if isinstance(b, dict)]

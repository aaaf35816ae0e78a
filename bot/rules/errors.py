"""Errors a user can cause, named by a message-catalog key rather than by text.

Keeping the text out of the exception means a stray `str(error)` in a log
line can only ever print a key, never what the user typed (which may be a secret).
"""


class TeamOtpError(Exception):
    """A user-caused error: the handler layer renders it from the message catalog by `key`.
    `params` fill the message's placeholders and must never hold a secret."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


class InvalidSecret(TeamOtpError):
    """The text given as an authenticator secret cannot be used."""


class NotAMember(TeamOtpError):
    """The user is not whitelisted; the reply carries their id so they can pass it to an admin."""

    def __init__(self, user_id: int) -> None:
        super().__init__("access.not_member", user_id=user_id)


class NotAllowed(TeamOtpError):
    """The user's role is too low for this action."""


class ChatNotApproved(TeamOtpError):
    """Codes are not shown in this group until an admin approves it."""

    def __init__(self) -> None:
        super().__init__("code.chat_not_approved")


class InvalidInput(TeamOtpError):
    """The command's arguments are malformed or name something that does not exist."""


class UnreadableSecret(TeamOtpError):
    """An account's stored secret no longer opens: its row was changed outside the bot (its
    code settings edited, or its sealed secret swapped). Named, so an admin can re-add it;
    never a wrong code."""

    def __init__(self, name: str) -> None:
        super().__init__("account.unreadable", name=name)


class TooManyCodes(TeamOtpError):
    """Someone asked for codes faster than the set rate; says when to try again."""

    def __init__(self, seconds: int) -> None:
        super().__init__("limits.too_many_codes", seconds=seconds)

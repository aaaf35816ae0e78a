"""A fake Telegram Bot API server for end-to-end tests of the bot, and a playground.

Tests::

    from tests.fake_telegram import FakeTelegram

    async with FakeTelegram() as fake:
        bot = telegram.Bot(fake.token, base_url=f"{fake.api_url}/bot",
                           base_file_url=f"{fake.api_url}/file/bot")
        alice = fake.user("alice")
        await fake.send(alice, fake.private(alice), "/start")
        reply = await fake.next_message(fake.private(alice))
        assert fake.violations == []

Webhooks (``setWebhook``, delivery to one or more replicas): see
:mod:`tests.fake_telegram.webhooks`.

Playground (try the real bot by hand, no token needed): ``python -m tests.fake_telegram``
from the repository root; see :mod:`tests.fake_telegram.playground`.
"""

from .bot_api import NOT_MODIFIED, QUERY_TOO_OLD
from .errors import ApiError
from .files import UploadedFile
from .server import DEFAULT_TOKEN, Call, FakeTelegram
from .spec import DEFAULT_SPEC_PATH, ApiSpec
from .webhooks import Delivery
from .world import GROUP_ANONYMOUS_BOT_ID, FakeChat, FakeUser

__all__ = [
    "DEFAULT_SPEC_PATH",
    "DEFAULT_TOKEN",
    "GROUP_ANONYMOUS_BOT_ID",
    "NOT_MODIFIED",
    "QUERY_TOO_OLD",
    "ApiError",
    "ApiSpec",
    "Call",
    "Delivery",
    "FakeChat",
    "FakeTelegram",
    "FakeUser",
    "UploadedFile",
]

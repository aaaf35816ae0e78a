"""teamotp: a team's shared authenticator, as a self-hosted Telegram bot."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("teamotp")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

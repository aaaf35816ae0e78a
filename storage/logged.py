"""What the store logs, named by a catalog key as well as said in English.

The store cannot know who reads its log (storage imports nothing of `bot`): a log line of
`teamotp run` is for grepping and stays English, but the same line on the terminal of an
operator running `teamotp accounts …` under `LANG=zh_CN.UTF-8` must be in Chinese. So a
record also carries the key of its message catalog entry and the values to fill it with
(`extra=keyed(...)`), and the command line's log handler says it from the catalog."""

from __future__ import annotations

from collections.abc import Mapping

# The names of the record's attributes that hold them.
KEY = "catalog_key"
PARAMS = "catalog_params"


def keyed(key: str, **params: object) -> Mapping[str, object]:
    """`extra=` for a log call: the catalog entry `key` says the same, filled with `params`."""
    return {KEY: key, PARAMS: params}

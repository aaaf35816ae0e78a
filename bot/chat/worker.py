"""The one seam between the event loop and the blocking world.

The rules read and write the database, and some of them decode images or decrypt
every stored secret; none of that may run on the event loop's thread, where it would
stall polling, the sweeper and every other chat. Handlers therefore call the rules
only through `offload`, which runs the call on a worker thread and awaits it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


async def offload(call: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """`call(*args, **kwargs)` on a worker thread; its result, or its exception, here."""
    return await asyncio.to_thread(call, *args, **kwargs)

"""A TCP relay between the bot and its PostgreSQL server, which a test can break.

The bot is given the relay's port instead of the server's. `cut()` drops every
connection and refuses new ones (a server that went away); `hold()` keeps connections
open but passes nothing on (a network that swallows packets: the database hangs);
`restore()` mends both.

It runs its own event loop on its own thread: the bot opens its store synchronously,
and a relay on the test's loop could not answer while it does.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading


class Relay:
    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._flowing = asyncio.Event()
        self._refusing = False
        self._writers: set[asyncio.StreamWriter] = set()

    def start(self) -> int:
        """Listen on a free port of 127.0.0.1; returns it."""
        self._thread.start()
        return asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(10)

    def cut(self) -> None:
        self._call(self._cut)

    def hold(self) -> None:
        self._call(self._flowing.clear)

    def restore(self) -> None:
        self._call(self._restore)

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def _call(self, action: object) -> None:
        done = threading.Event()

        def run() -> None:
            action()  # type: ignore[operator]
            done.set()

        self._loop.call_soon_threadsafe(run)
        done.wait(10)

    async def _listen(self) -> int:
        self._flowing.set()
        self._server = await asyncio.start_server(self._connected, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    def _cut(self) -> None:
        self._refusing = True
        for writer in list(self._writers):
            writer.close()

    def _restore(self) -> None:
        self._refusing = False
        self._flowing.set()

    async def _close(self) -> None:
        self._cut()
        self._flowing.set()
        if self._server is not None:
            self._server.close()
        for task in asyncio.all_tasks():
            if task is not asyncio.current_task():
                task.cancel()

    async def _connected(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._refusing:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.close()
            return
        self._writers.update({writer, up_writer})
        pumps = [
            asyncio.create_task(self._pump(reader, up_writer)),
            asyncio.create_task(self._pump(up_reader, writer)),
        ]
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pump in pumps:
                pump.cancel()
            for end in (writer, up_writer):
                end.close()
                self._writers.discard(end)

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while data := await source.read(65536):
                await self._flowing.wait()
                if sink.is_closing():
                    return
                sink.write(data)
                await sink.drain()

"""Try the real bot by hand against the fake Telegram: no bot token, no phone needed.

Run from the repository root::

    python -m tests.fake_telegram [--port 8081] [--data-dir DIR] [--keep] [--bot-cmd CMD]

It starts the fake Bot API on 127.0.0.1, starts the bot (``teamotp run``, the command
installed next to this Python) with ``TEAMOTP_BOT_TOKEN``/``TEAMOTP_API_URL`` pointing
at it, a fresh data directory and the user ``alice`` as owner, and then reads
lines like these from stdin::

    alice: /start                 alice writes in her private chat with the bot
    alice@team: /code             alice writes in group "team" (created on first use;
                                  alice adds the bot to it then)
    alice@team ^bob: /add         alice replies to bob's last message in "team"
    bob: press amazon-us          bob presses that button on the newest bot message
    bob@team: press Copy          (copy buttons print what would be copied; a label
                                  prefix is enough: "Copy" finds "Copy 123456")
    alice: photo qr.png amazon-us alice sends an image file as a photo, with a caption
    alice: qr otpauth://totp/...  alice sends a photo of a QR code holding that text
    lang bob zh                   bob's Telegram language becomes Chinese
    join bob team / leave bob team
    block bob / unblock bob       bob blocks or unblocks the bot
    upgrade team                  "team" becomes a supergroup (its old id dies)
    users                         list users and their ids
    help                          this text
    quit                          (or end of input) stop the bot and the server

Users are created on first mention and have not pressed Start until they write to
the bot privately, as with real Telegram. Everything the bot does is printed as it
happens, e.g. ``[team] bot → (reply to alice): 123456 …`` with inline buttons shown
as ``[ label ]``. The bot's own output goes to ``bot.log`` in the data directory. A
temporary data directory is removed on quit, log included, unless ``--keep`` is given
or the bot stopped by itself (then its log tells why).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import io
import os
import re
import shlex
import shutil
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TextIO

import segno

from .server import Call, FakeTelegram
from .world import FakeChat, FakeUser

DEFAULT_PORT = 8081
DEFAULT_BOT_CMD = (str(Path(sys.executable).with_name("teamotp")), "run")
OWNER = "alice"
HELP = (__doc__ or "").split("lines like these from stdin::", 1)[-1].split("Users are", 1)[0]


@dataclass(frozen=True)
class Say:
    """``user[@group][ ^replied_user]: text``"""

    user: str
    group: str | None
    text: str
    reply_to: str | None = None


@dataclass(frozen=True)
class Press:
    """``user[@group]: press LABEL``"""

    user: str
    group: str | None
    label: str


@dataclass(frozen=True)
class Command:
    """A playground command: users, help, quit, lang, join, leave, block, unblock, upgrade."""

    name: str
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class Invalid:
    """A line the playground does not understand, with the reason."""

    reason: str


@dataclass(frozen=True)
class Photo:
    """``user[@group]: photo PATH [caption]`` or ``user[@group]: qr TEXT``"""

    user: str
    group: str | None
    path: Path | None = None
    qr_text: str | None = None
    caption: str | None = None


Action = Say | Press | Photo | Command | Invalid

_SAY_RE = re.compile(
    r"^(?P<user>[^\s@:^]+)(?:@(?P<group>[^\s@:^]+))?(?:\s+\^(?P<reply>[^\s@:^]+))?\s*:\s?(?P<text>.*)$"
)
_COMMAND_ARITY = {
    "users": 0,
    "help": 0,
    "quit": 0,
    "exit": 0,
    "lang": 2,
    "join": 2,
    "leave": 2,
    "block": 1,
    "unblock": 1,
    "upgrade": 1,
}


def parse_line(line: str) -> Action | None:
    """The action a playground input line asks for; ``None`` for a blank line."""
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return None
    m = _SAY_RE.match(stripped)
    if m:
        text = m.group("text")
        if not text:
            return Invalid("nothing to say after ':'")
        if text.startswith("press "):
            label = text[len("press ") :].strip()
            if m.group("reply"):
                return Invalid("a button press cannot be a reply")
            return Press(m.group("user"), m.group("group"), label)
        if text.startswith(("photo ", "qr ")):
            kind, _, rest = text.partition(" ")
            if m.group("reply") or not rest.strip():
                return Invalid(f"{kind} takes {'a path' if kind == 'photo' else 'the text'}")
            if kind == "qr":
                return Photo(m.group("user"), m.group("group"), qr_text=rest.strip())
            path, _, caption = rest.strip().partition(" ")
            return Photo(m.group("user"), m.group("group"), Path(path), None, caption or None)
        return Say(m.group("user"), m.group("group"), text, m.group("reply"))
    words = stripped.split()
    name = words[0].lower()
    if name in _COMMAND_ARITY:
        args = tuple(words[1:])
        if len(args) != _COMMAND_ARITY[name]:
            return Invalid(f"{name} takes {_COMMAND_ARITY[name]} argument(s)")
        return Command("quit" if name == "exit" else name, args)
    return Invalid("expected 'name: text', 'name@group: text' or a command; try 'help'")


class Playground:
    """The fake server, the bot process and the interpreter of input lines."""

    def __init__(
        self,
        *,
        data_dir: Path,
        bot_cmd: list[str] | None = None,
        out: TextIO | None = None,
    ) -> None:
        self.fake = FakeTelegram()
        self.data_dir = data_dir
        self.bot_cmd = list(DEFAULT_BOT_CMD) if bot_cmd is None else bot_cmd
        self.out = out or sys.stdout
        self.log_path = data_dir / "bot.log"
        self.groups: dict[str, FakeChat] = {}
        self.process: asyncio.subprocess.Process | None = None
        self._log: IO[bytes] | None = None
        self._watch: asyncio.Task[None] | None = None
        self._stopping = False
        # The bot exited by itself: its log is kept, whatever --keep says.
        self.bot_failed = False
        self._violations_seen = 0
        self.owner = self.fake.user(OWNER, started=False)

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    # ------------------------------------------------------------- lifecycle

    async def start(self, port: int = DEFAULT_PORT) -> None:
        """Start the fake Bot API and the bot process."""
        await self.fake.start(port=port)
        self.fake.listeners.append(self._on_call)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env.update(
            TEAMOTP_BOT_TOKEN=self.fake.token,
            TEAMOTP_API_URL=self.fake.api_url,
            TEAMOTP_DATA_DIR=str(self.data_dir),
            TEAMOTP_OWNER_IDS=str(self.owner.id),
            TEAMOTP_LOG_LEVEL="WARNING",
        )
        self._log = self._open_log()
        self.process = await asyncio.create_subprocess_exec(
            *self.bot_cmd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=self._log,
            stderr=asyncio.subprocess.STDOUT,
            env=env,
        )
        self._watch = asyncio.create_task(self._watch_bot())

    def _open_log(self) -> IO[bytes]:
        return open(self.log_path, "ab")  # closed in stop()

    async def _watch_bot(self) -> None:
        assert self.process is not None
        code = await self.process.wait()
        if not self._stopping:
            self.bot_failed = True
            self.say(f"!! the bot exited with code {code}; its log is kept in {self.log_path}")

    async def stop(self) -> None:
        """SIGTERM the bot, wait for it (kill after 10 s), then stop the server."""
        self._stopping = True
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 10)
            except TimeoutError:
                self.say("!! the bot did not stop within 10 s of SIGTERM; killing it")
                self.process.kill()
                await self.process.wait()
        if self._watch is not None:
            await self._watch
        await self.fake.stop()
        if self._log is not None:
            self._log.close()

    # ---------------------------------------------------------------- input

    def _user(self, name: str) -> FakeUser:
        return self.fake.user(name, started=False)

    async def _chat(self, user: FakeUser, group: str | None) -> FakeChat:
        if group is None:
            return self.fake.private(user)
        chat = self.groups.get(group)
        if chat is None:
            chat = self.fake.group(group)
            self.groups[group] = chat
            self.say(f"({user.first_name} creates group {group!r} and adds the bot)")
            await self.fake.add_bot_to_group(chat, by=user)
        return chat

    async def execute(self, line: str) -> bool:
        """Carry out one input line; ``False`` when the playground should stop."""
        action = parse_line(line)
        if action is None:
            return True
        try:
            if isinstance(action, Invalid):
                self.say(f"?? {action.reason}")
            elif isinstance(action, Say):
                await self._say(action)
            elif isinstance(action, Press):
                await self._press(action)
            elif isinstance(action, Photo):
                await self._photo(action)
            else:
                return await self._command(action)
        except (AssertionError, ValueError, KeyError, OSError) as exc:
            self.say(f"?? {exc}")
        return True

    async def _say(self, action: Say) -> None:
        user = self._user(action.user)
        chat = await self._chat(user, action.group)
        reply_to = None
        if action.reply_to is not None:
            replied = self._user(action.reply_to)
            mine = [
                m for m in self.fake.messages(chat) if m.get("from", {}).get("id") == replied.id
            ]
            if not mine:
                self.say(f"?? {replied.first_name} has written nothing in {chat.label} to reply to")
                return
            reply_to = mine[-1]
        await self.fake.send(user, chat, action.text, reply_to=reply_to)

    async def _photo(self, action: Photo) -> None:
        user = self._user(action.user)
        chat = await self._chat(user, action.group)
        if action.qr_text is not None:
            buffer = io.BytesIO()
            segno.make(action.qr_text, error="m").save(buffer, kind="png", scale=6)
            data = buffer.getvalue()
        else:
            assert action.path is not None
            data = action.path.read_bytes()
        await self.fake.send_photo(user, chat, data, caption=action.caption)

    async def _press(self, action: Press) -> None:
        user = self._user(action.user)
        chat = await self._chat(user, action.group)
        for message in reversed(self.fake.messages(chat)):
            if message.get("from", {}).get("id") != self.fake.bot.id:
                continue
            button = _find_button(message, action.label)
            if button is None:
                continue
            if "callback_data" in button:
                await self.fake.press(user, message, data=button["callback_data"])
            elif "copy_text" in button:
                self.say(f"({user.first_name} copied {button['copy_text'].get('text')!r})")
            elif "url" in button:
                self.say(f"({user.first_name} opens {button['url']})")
            else:
                self.say(f"?? the playground cannot press {action.label!r}")
            return
        self.say(f"?? no bot message in {chat.label} has a button {action.label!r}")

    async def _command(self, action: Command) -> bool:
        name, args = action.name, action.args
        if name == "quit":
            return False
        if name == "help":
            self.say(HELP.rstrip())
        elif name == "users":
            self._list_users()
        elif name == "lang":
            self._user(args[0]).language_code = args[1]
            self.say(f"({args[0]} now uses Telegram in {args[1]!r})")
        elif name in ("join", "leave"):
            user = self._user(args[0])
            chat = self.groups.get(args[1])
            if chat is None:
                self.say(f"?? no group {args[1]!r} yet")
            elif name == "join":
                await self.fake.user_joins(chat, user)
            else:
                await self.fake.user_leaves(chat, user)
        elif name in ("block", "unblock"):
            user = self._user(args[0])
            (self.fake.block if name == "block" else self.fake.unblock)(user)
        elif name == "upgrade":
            chat = self.groups.get(args[0])
            if chat is None or chat.type != "group":
                self.say(f"?? {args[0]!r} is not a basic group here")
            else:
                self.groups[args[0]] = await self.fake.migrate_to_supergroup(chat)
                self.say(f"({args[0]} is now a supergroup, id {self.groups[args[0]].id})")
        return True

    def _list_users(self) -> None:
        for user in self.fake.world.users.values():
            flags = [f"lang={user.language_code}"]
            if user is self.owner:
                flags.append("owner")
            if user.blocked:
                flags.append("blocked the bot")
            elif not user.started:
                flags.append("never started the bot")
            handle = f"@{user.username}" if user.username else "-"
            self.say(f"  {user.first_name:<12} id={user.id:<6} {handle:<14} {' '.join(flags)}")
        for name, chat in self.groups.items():
            self.say(f"  group {name!r}: id={chat.id} {chat.type} bot={chat.bot_status}")

    # ---------------------------------------------------------------- output

    def _label(self, chat_id: Any) -> str:
        try:
            return self.fake.chat(int(chat_id)).label
        except (KeyError, ValueError, TypeError):
            return str(chat_id)

    def _on_call(self, call: Call) -> None:
        method = call.method
        if call.ok:
            if method in ("sendMessage", "sendPhoto", "sendDocument"):
                self._print_message("bot →", call.result)
            elif method.startswith("editMessage") and isinstance(call.result, dict):
                self._print_message(f"bot edited message {call.result['message_id']}", call.result)
            elif method in ("deleteMessage", "deleteMessages"):
                ids = call.params.get("message_ids") or [call.params.get("message_id")]
                for mid in ids:
                    self.say(
                        f"[{self._label(call.params.get('chat_id'))}] bot deleted message {mid}"
                    )
            elif method == "answerCallbackQuery" and call.params.get("text"):
                kind = "alert" if call.params.get("show_alert") else "popup"
                self.say(f"[{kind}] {call.params['text']}")
            elif method == "leaveChat":
                self.say(f"[{self._label(call.params.get('chat_id'))}] bot left the group")
        elif call.response is not None and not (method == "getUpdates" and call.status == 409):
            self.say(f"[telegram refused {method}] {call.description}")
        while self._violations_seen < len(self.fake.violations):
            self.say(f"!! bot bug: {self.fake.violations[self._violations_seen]}")
            self._violations_seen += 1

    def _print_message(self, prefix: str, message: Any) -> None:
        if not isinstance(message, dict):
            return
        chat = self._label(message.get("chat", {}).get("id"))
        notes = []
        reply = message.get("reply_to_message")
        if isinstance(reply, dict):
            who = reply.get("from", {})
            notes.append(f"reply to {'bot' if who.get('is_bot') else who.get('first_name')}")
        if message.get("has_protected_content"):
            notes.append("protected")
        head = f"[{chat}] {prefix}" + (f" ({', '.join(notes)}):" if notes else ":")
        head = head.replace("→:", "→")  # "[team] bot → text", "[team] bot → (reply to x): text"
        body = message.get("text") or message.get("caption") or ""
        if "photo" in message:
            body = f"[photo] {body}".rstrip()
        if "document" in message:
            body = f"[file {message['document'].get('file_name')}] {body}".rstrip()
        lines = body.splitlines() or [""]
        self.say(f"{head} {lines[0]}")
        for extra in lines[1:]:
            self.say(f"    {extra}")
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
            self.say("    " + " ".join(f"[ {b.get('text')} ]" for b in row))


def _find_button(message: dict[str, Any], label: str) -> dict[str, Any] | None:
    """The button labelled ``label``: exact match, else ignoring case, else by prefix.

    The prefix match lets ``press Copy`` hit a button labelled "Copy 123456".
    """
    buttons: list[dict[str, Any]] = [
        b for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row
    ]
    wanted = label.casefold()
    exact = [b for b in buttons if b.get("text") == label]
    loose = [b for b in buttons if str(b.get("text", "")).casefold() == wanted]
    prefix = [b for b in buttons if str(b.get("text", "")).casefold().startswith(wanted)]
    found = exact or loose or prefix
    return found[0] if found else None


def _read_stdin(loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[str | None]) -> None:
    """Feed stdin lines to the event loop from a thread, so the server keeps serving."""
    for line in sys.stdin:
        loop.call_soon_threadsafe(queue.put_nowait, line.rstrip("\n"))
    loop.call_soon_threadsafe(queue.put_nowait, None)


def _cannot_start(error: OSError, port: int, bot_cmd: list[str]) -> str:
    """One line for what stopped the playground before it ran: a port another program
    holds, or a bot command that is not there."""
    if error.errno == errno.EADDRINUSE:
        return (
            f"playground: port {port} is taken (another playground still running?); "
            "start it with --port N, or --port 0 for any free port"
        )
    if isinstance(error, FileNotFoundError | PermissionError):
        return (
            f"playground: cannot run the bot ({shlex.join(bot_cmd)}): {error.strerror}; "
            "install the project first (see the README's test command) or give --bot-cmd"
        )
    return (
        f"playground: cannot listen on 127.0.0.1:{port}: {error.strerror}; "
        "start it with --port N, or --port 0 for any free port"
    )


async def run(args: argparse.Namespace) -> int:
    """The playground's main loop (stdin → actions) until ``quit`` or end of input."""
    temporary = args.data_dir is None
    keep = args.keep or not temporary
    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="teamotp-playground-"))
    bot_cmd = shlex.split(args.bot_cmd) if args.bot_cmd else None
    playground = Playground(data_dir=data_dir, bot_cmd=bot_cmd)
    try:
        await playground.start(args.port)
    except OSError as error:
        await playground.stop()
        if temporary:
            shutil.rmtree(data_dir, ignore_errors=True)
        print(_cannot_start(error, args.port, playground.bot_cmd), file=sys.stderr)
        return 2
    log = (
        f"bot log: {playground.log_path}"
        if keep
        else "the bot's log and data are removed on quit (--keep keeps them)"
    )
    playground.say(
        f"fake Telegram at {playground.fake.api_url}; {log}\n"
        f"owner: {OWNER} (id {playground.owner.id}); type 'help' for the syntax, 'quit' to stop"
    )
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    threading.Thread(
        target=_read_stdin, args=(asyncio.get_running_loop(), queue), daemon=True
    ).start()
    try:
        while (line := await queue.get()) is not None:
            if not await playground.execute(line):
                break
    finally:
        await playground.stop()
        if keep or playground.bot_failed:
            playground.say(f"data kept in {data_dir}; bot log: {playground.log_path}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fake_telegram",
        description="Play with the bot against a fake Telegram (see the module docstring).",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port of the fake Bot API (default {DEFAULT_PORT}; 0 = any free port)",
    )
    parser.add_argument("--data-dir", help="bot data directory, kept (default: a temporary one)")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the temporary data directory and the bot's log (bot.log) after quitting",
    )
    parser.add_argument(
        "--bot-cmd",
        help=f"command that runs the bot (default: {shlex.join(DEFAULT_BOT_CMD)!r})",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(run(args))
    return 130

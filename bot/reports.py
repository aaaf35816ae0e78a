"""Reports shared by the chat and the command line, which load no Telegram library."""

from __future__ import annotations

from bot.messages import Html, text
from storage.auditchain import ChainState


def chain_report(lang: str, state: ChainState) -> Html:
    """The audit chain's state in a sentence or two (`/status`, `teamotp audit verify`)."""
    if state.broken_at is not None:
        return text(lang, f"chain.broken.{state.problem}", event_id=state.broken_at)
    if state.head_id is None or state.head_hash is None:
        report = text(lang, "chain.empty")
    else:
        report = text(
            lang,
            "chain.intact",
            rows=state.rows - state.unchained,
            head_id=state.head_id,
            head_hash=state.head_hash,
        )
    if state.unchained:
        report = Html(report + "\n" + text(lang, "chain.unchained", count=state.unchained))
    return report

"""The pages a person sees through a message's link: plain HTML, every value escaped, no script."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

HTML = "text/html; charset=utf-8"
_STATUS_WORDS = {"opted_in": "subscribed", "pending": "waiting for your confirmation", "opted_out": "unsubscribed"}


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{escape(title)}</title></head>\n<body><main><h1>{escape(title)}</h1>\n{body}\n</main></body></html>\n"
    )


def _what(channel: str, topic: str | None) -> str:
    return f"“{escape(topic)}” by {escape(channel)}" if topic else f"all messages by {escape(channel)}"


def unsubscribe_form(address: str, channel: str, topic: str | None) -> str:
    """Asks before it changes anything: link scanners fetch the page and never press the button."""
    return _page(
        "Unsubscribe",
        f"<p>Stop sending {_what(channel, topic)} to {escape(address)}?</p>\n"
        '<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">'
        '<button type="submit">Unsubscribe</button></form>',
    )


def unsubscribed(address: str, channel: str, topic: str | None) -> str:
    return _page("Unsubscribed", f"<p>Done: we will not send {_what(channel, topic)} to {escape(address)}.</p>")


def preferences_form(address: str, channel: str, topics: Mapping[str, str | None], saved: bool = False) -> str:
    rows = "\n".join(
        f'<p><label><input type="checkbox" name="topic" value="{escape(topic)}"'
        f"{' checked' if status == 'opted_in' else ''}> {escape(topic)}</label>"
        f" ({escape(_STATUS_WORDS.get(status or '', 'not subscribed'))})</p>"
        for topic, status in topics.items()
    )
    note = "<p>Your choices are saved.</p>\n" if saved else ""
    return _page(
        "Your subscriptions",
        f"{note}<p>What we may send to {escape(address)} by {escape(channel)}:</p>\n"
        f'<form method="post">\n{rows or "<p>There is nothing to subscribe to.</p>"}\n'
        '<button type="submit">Save</button></form>',
    )


def _subscriptions(topics: Sequence[str | None]) -> str:
    return ", ".join(_what("email", topic) for topic in topics)


def confirm_form(address: str, topics: Sequence[str | None]) -> str:
    """Asks before it confirms anything: a link scanner that fetches the page subscribes no one."""
    if not topics:
        return _page("Nothing to confirm", f"<p>No subscription of {escape(address)} waits for confirmation.</p>")
    return _page(
        "Confirm your subscription",
        f"<p>Receive {_subscriptions(topics)} at {escape(address)}?</p>\n"
        '<form method="post"><button type="submit">Confirm</button></form>',
    )


def confirmed(address: str, topics: Sequence[str | None]) -> str:
    if not topics:
        return _page("Nothing to confirm", f"<p>No subscription of {escape(address)} waits for confirmation.</p>")
    return _page("Subscribed", f"<p>Thank you: {escape(address)} will receive {_subscriptions(topics)}.</p>")

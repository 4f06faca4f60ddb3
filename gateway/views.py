"""How each channel shows a reply as text: used by the simulator and transcript tests.

The USSD view is exactly what the USSD routes send; SMS and bot views show what a phone displays.
"""

from __future__ import annotations

from dataclasses import dataclass

from channels.sms.surface import sms_surface
from channels.ussd.base import ussd_surface
from flows.paging import Surface, compose_reply
from flows.reply import Reply
from gateway.settings import Settings


@dataclass(frozen=True)
class ChannelView:
    """A channel's surface and its text rendering of a reply."""

    channel: str
    surface: Surface

    def render(self, reply: Reply) -> str:
        """The text the citizen sees."""
        text = compose_reply(reply)
        if self.channel == "ussd":
            return ("END " if reply.end else "CON ") + text
        if self.channel == "telegram":
            body = reply.body
            buttons = "  ".join(f"[{c.key}: {c.label}]" for c in reply.choices)
            return f"{body}\n{buttons}".strip()
        return text


def channel_view(channel: str, settings: Settings) -> ChannelView:
    """The view for `ussd`, `sms` or `telegram`."""
    if channel == "ussd":
        return ChannelView("ussd", ussd_surface(settings.ussd.gsm_limit, settings.ussd.ucs2_limit))
    if channel == "sms":
        return ChannelView("sms", sms_surface(settings.sms.max_segments))
    if channel == "telegram":
        return ChannelView("telegram", Surface("telegram"))
    raise ValueError(f"unknown channel {channel!r}; use ussd, sms or telegram")

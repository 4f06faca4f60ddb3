"""How each channel shows a reply as text, through the channel's own renderer: used by the simulator
and the transcript runner, so what they show is what the wire carries.

USSD: the Africa's Talking page (`CON …` / `END …`). SMS: the text of the reply SMS. Bots: the
messages python-telegram-bot would send, each inline button as `[key: label]`.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardMarkup

from channels.inbound import Inbound
from channels.sms.surface import render_sms, sms_surface
from channels.telegram.callback import decode_callback, new_menu_token
from channels.telegram.reply import render_reply
from channels.ussd.africastalking import AfricasTalking
from channels.ussd.base import UssdDialect, ussd_surface
from flows.paging import Surface
from flows.reply import Reply
from flows.texts import pick
from gateway.settings import Settings
from gateway.telegram.texts import MAIN_MENU

USSD_DIALECT: UssdDialect = AfricasTalking()
"""The dialect the simulator and transcripts speak (accumulated `a*b*c` text, `CON`/`END` pages)."""


@dataclass(frozen=True)
class BotMessage:
    """One bot message as a chat shows it: its text and its inline buttons, each as (the key a press
    sends, the label); a button that opens a link instead (a payment link) has no key."""

    text: str
    buttons: tuple[tuple[str, str], ...] = ()


def bot_messages(reply: Reply) -> list[BotMessage]:
    """The messages python-telegram-bot would send for `reply`, buttons decoded to the keys they send."""
    shown = []
    for message in render_reply(reply, new_menu_token(), pick(MAIN_MENU, reply.lang)):
        buttons = []
        if isinstance(message.markup, InlineKeyboardMarkup):
            for row in message.markup.inline_keyboard:
                for button in row:
                    decoded = decode_callback(str(button.callback_data or ""))
                    buttons.append((decoded[1] if decoded else "", button.text))
        shown.append(BotMessage(message.text, tuple(buttons)))
    return shown


def _bot_text(message: BotMessage) -> str:
    buttons = "  ".join(f"[{key}: {label}]" if key else f"[{label}]" for key, label in message.buttons)
    return f"{message.text}\n{buttons}".strip()


@dataclass(frozen=True)
class ChannelView:
    """A channel's surface and its text rendering of a reply."""

    channel: str
    surface: Surface

    def render(self, reply: Reply, inbound: Inbound) -> str:
        """The text the citizen sees."""
        if self.channel == "ussd":
            return USSD_DIALECT.render(reply, inbound).body
        if self.channel == "telegram":
            return "\n".join(_bot_text(m) for m in bot_messages(reply))
        return render_sms(reply)


def channel_view(channel: str, settings: Settings) -> ChannelView:
    """The view for `ussd`, `sms` or `telegram`."""
    if channel == "ussd":
        return ChannelView("ussd", ussd_surface(settings.ussd.gsm_limit, settings.ussd.ucs2_limit))
    if channel == "sms":
        return ChannelView("sms", sms_surface(settings.sms.max_segments))
    if channel == "telegram":
        return ChannelView("telegram", Surface("telegram"))
    raise ValueError(f"unknown channel {channel!r}; use ussd, sms or telegram")

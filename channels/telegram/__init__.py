"""Telegram-style bots (Telegram, Bale): Bot API updates to Inbound, replies to messages with keyboards."""

from channels.telegram.callback import RESTART, decode_callback, decode_namespaced, encode_callback, encode_namespaced, new_menu_token
from channels.telegram.reply import OutgoingMessage, contact_keyboard, notification_messages, remove_keyboard, render_reply, text_messages
from channels.telegram.text import TELEGRAM_LIMIT, right_to_left, split_text, utf16_len
from channels.telegram.update import BotUpdate, Kind, bot_address, parse_address, read_update, to_inbound

__all__ = [
    "RESTART", "decode_callback", "decode_namespaced", "encode_callback", "encode_namespaced", "new_menu_token", "OutgoingMessage",
    "contact_keyboard", "notification_messages", "remove_keyboard", "render_reply", "text_messages", "TELEGRAM_LIMIT", "right_to_left",
    "split_text", "utf16_len", "BotUpdate", "Kind", "bot_address", "parse_address", "read_update", "to_inbound",
]

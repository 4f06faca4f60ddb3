"""Keyboards written by hand for the Bot API (channels.telegram.wire) are the JSON python-telegram-bot writes."""

from __future__ import annotations

import json

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

from channels.telegram import contact_keyboard, notification_messages, remove_keyboard, render_reply
from channels.telegram.reply import persistent_keyboard
from channels.telegram.wire import markup_json
from flows.reply import Choice, Reply

MENU = Reply(body="خدمات", choices=(Choice("1", "گزینه ۱"), Choice("0", "بازگشت", nav=True), Choice("00", "خانه", nav=True)), lang="fa")
KEYBOARDS = {
    "menu": render_reply(MENU, "0a1b2c3d")[0].markup,
    "finished": render_reply(Reply(body="Goodbye", end=True, expects_input=False, lang="en"), "0a1b2c3d", "Main menu")[0].markup,
    "payment link and rating": notification_messages("Pay", "en", "https://pay.example/x", "Pay now",
                                                     [[["1", "csat:3:1"], ["2", "csat:3:2"]]])[0].markup,
    "share my number": contact_keyboard("Share my phone number", "en"),
    "my requests": persistent_keyboard("درخواست‌های من", "fa"),
    "remove": remove_keyboard(),
    "a web app button (PTB writes it)": InlineKeyboardMarkup([[InlineKeyboardButton("Open", web_app=WebAppInfo("https://app.example"))]]),
}


@pytest.mark.parametrize("name", KEYBOARDS)
def test_the_bot_api_gets_the_keyboard_python_telegram_bot_would_send(name: str) -> None:
    markup = KEYBOARDS[name]
    assert markup is not None
    assert json.loads(markup_json(markup) or "") == markup.to_dict()


def test_no_keyboard_is_no_parameter() -> None:
    assert markup_json(None) is None

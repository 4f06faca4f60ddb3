"""Update classification: what a private chat sends becomes one kind of event; everything else is ignored."""

from __future__ import annotations

import pytest
from fakes.bot_api import Citizen
from telegram import Update

from channels.telegram import Kind, parse_address, read_update, to_inbound
from flows.errors import ChannelError

ALI = Citizen(user_id=5550001)


def read(data: dict) -> object:
    return read_update(Update.de_json(data, None), "pishkhan_bot")


def test_text_and_commands() -> None:
    text = read(ALI.text("سلام"))
    assert (text.kind, text.text, text.chat_id, text.user_id, text.language_code) == (Kind.TEXT, "سلام", ALI.user_id, ALI.user_id, "fa")
    start = read(ALI.text("/start@Pishkhan_Bot campaign42"))
    assert (start.kind, start.text, start.args) == (Kind.COMMAND, "start", "campaign42")
    assert read(ALI.text("/start@other_bot")).kind is Kind.IGNORED


def test_contacts_carry_their_owner() -> None:
    own = read(ALI.contact("989121234567"))
    assert (own.kind, own.contact_phone, own.contact_user_id, own.user_id) == (Kind.CONTACT, "989121234567", ALI.user_id, ALI.user_id)
    assert read(ALI.contact("989121234567", user_id=9)).contact_user_id == 9


def test_button_presses_name_the_menu_message() -> None:
    from fakes.bot_api import ChatMessage
    event = read(ALI.press(ChatMessage(77, "menu"), "0a1b2c3d.1"))
    assert (event.kind, event.text, event.message_id, event.chat_id) == (Kind.CALLBACK, "0a1b2c3d.1", 77, ALI.user_id)
    assert event.callback_id


@pytest.mark.parametrize("make", [ALI.sticker, ALI.photo])
def test_media_is_unsupported_not_an_error(make) -> None:  # type: ignore[no-untyped-def]
    assert read(make()).kind is Kind.UNSUPPORTED


def test_edits_and_groups_are_ignored() -> None:
    assert read(ALI.edited("1")).kind is Kind.IGNORED
    assert read(ALI.in_group("/start")).kind is Kind.IGNORED


@pytest.mark.parametrize("update", [
    {"update_id": 5, "callback_query": {"id": "1", "data": "0a1b2c3d.1", "chat_instance": "1"}},  # no `from`
    {"update_id": 6, "message": {"message_id": 1, "date": 0, "text": "1"}},  # no `chat`
    {"update_id": 7, "my_chat_member": {"chat": {"id": 1, "type": "private"}, "date": 0}},  # no member change
])
def test_updates_missing_what_the_bot_api_always_sends_are_ignored(update: dict) -> None:  # type: ignore[type-arg]
    assert read(update).kind is Kind.IGNORED


def test_blocking_and_unblocking() -> None:
    assert read(ALI.blocks_bot()).kind is Kind.BLOCKED
    assert read(ALI.blocks_bot(blocked=False)).kind is Kind.UNBLOCKED


def test_addresses_and_inbound() -> None:
    event = read(ALI.text("1"))
    inbound = to_inbound("main", event, "1", phone="+989121234567")  # type: ignore[arg-type]
    assert (inbound.channel, inbound.address, inbound.provider, inbound.message_id, inbound.phone) == (
        "telegram", f"telegram:main:{ALI.user_id}", "main", str(event.update_id), "+989121234567")  # type: ignore[attr-defined]
    assert parse_address(inbound.address) == ("main", ALI.user_id)
    for bad in ("tel:+989121234567", "telegram:main", "telegram:Main:1", "telegram:main:12a"):
        with pytest.raises(ChannelError):
            parse_address(bad)

"""Bot rendering: inline buttons from choices, callback data, 4096-character splitting, right-to-left lines."""

from __future__ import annotations

import pytest
from telegram import InlineKeyboardMarkup

from channels.telegram import decode_callback, encode_callback, render_reply, split_text, utf16_len
from channels.telegram.callback import MAX_CALLBACK_BYTES
from channels.telegram.text import RLM, left_to_right, right_to_left, split_for
from flows.reply import Choice, Reply

MENU = Reply(
    body="Government services",
    choices=(Choice("1", "Services"), Choice("2", "Track a request"), Choice("98", "More", nav=True),
             Choice("0", "Back", nav=True), Choice("00", "Home", nav=True)),
    lang="en",
)


def test_choices_are_buttons_one_a_row_with_navigation_last() -> None:
    [message] = render_reply(MENU, "0a1b2c3d")
    assert isinstance(message.markup, InlineKeyboardMarkup)
    rows = [[(b.text, b.callback_data) for b in row] for row in message.markup.inline_keyboard]
    assert rows == [
        [("Services", "0a1b2c3d.1")],
        [("Track a request", "0a1b2c3d.2")],
        [("More", "0a1b2c3d.98"), ("Back", "0a1b2c3d.0"), ("Home", "0a1b2c3d.00")],
    ]


def test_persian_labels_get_persian_digits_and_a_right_to_left_mark() -> None:
    reply = Reply(body="کد 123 ثبت شد\nTracking 55", choices=(Choice("1", "گزینه 2"),), lang="fa")
    [message] = render_reply(reply, "0a1b2c3d")
    assert message.text == f"{RLM}کد ۱۲۳ ثبت شد\n{RLM}Tracking ۵۵"
    assert message.markup.inline_keyboard[0][0].text == f"{RLM}گزینه ۲"  # type: ignore[union-attr]


def test_a_finished_conversation_offers_only_a_restart_button() -> None:
    [message] = render_reply(Reply(body="Goodbye", end=True, expects_input=False, lang="en"), "0a1b2c3d", "Main menu")
    [[button]] = message.markup.inline_keyboard  # type: ignore[union-attr]
    assert (button.text, button.callback_data) == ("Main menu", "start")


def test_callback_data_round_trips_and_forgeries_are_refused() -> None:
    data = encode_callback("0a1b2c3d", "00")
    assert len(data.encode()) <= MAX_CALLBACK_BYTES and decode_callback(data) == ("0a1b2c3d", "00")
    for forged in ("", None, "0a1b2c3d.", "0a1b2c3d.1234", "zzzzzzzz.1", "0a1b2c3d.1;drop", "x" * 200):
        assert decode_callback(forged) is None
    with pytest.raises(ValueError):
        encode_callback("0a1b2c3d", "a long key that is not a choice")


def test_long_text_is_split_at_line_breaks_under_4096_and_nothing_is_lost() -> None:
    text = "\n".join(f"{i:04d} " + "ب" * 95 for i in range(120))
    parts = split_text(text)
    assert len(parts) == 3 and all(utf16_len(p) <= 4096 for p in parts)
    assert "\n".join(parts) == text


def test_a_line_longer_than_4096_is_cut_at_the_last_space_that_fits_and_the_space_goes() -> None:
    line = " ".join(f"word{i}" for i in range(1200))                         # one line of ~9,500 characters
    text = "A heading\n" + line                                             # a line break too early to use
    parts = split_text(text)
    assert len(parts) == 3 and all(utf16_len(p) <= 4096 for p in parts)
    assert " ".join(parts) == text                                          # words whole, only the spaces at the cuts gone
    assert all(utf16_len(f"{p} {n.split()[0]}") > 4096 for p, n in zip(parts, parts[1:]))   # the next word would not fit
    assert split_text(line.replace(" ", "   "))[1].startswith("word")        # a run of spaces at a cut goes whole


def test_emoji_count_twice_and_a_line_without_spaces_is_cut_anywhere() -> None:
    parts = split_text("😀" * 3000)
    assert [utf16_len(p) for p in parts] == [4096, 1904]
    assert "".join(parts) == "😀" * 3000


def test_a_persian_part_cut_mid_line_still_starts_right_to_left() -> None:
    parts = split_for("سلام " * 2000, "fa")
    assert len(parts) == 3 and all(p.startswith(RLM) and utf16_len(p) <= 4096 for p in parts)


def test_only_right_to_left_languages_are_marked_and_numbers_are_isolated() -> None:
    assert right_to_left("Hello\n\nWorld", "en") == "Hello\n\nWorld"
    assert right_to_left("سلام\n\nدنیا", "fa") == f"{RLM}سلام\n\n{RLM}دنیا"
    assert left_to_right("+989121234567") == "\u2066+989121234567\u2069"

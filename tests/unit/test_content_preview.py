"""A node's screen as each channel shows it, without a citizen: USSD pages with the limit that applies,
SMS with its segments, bot messages with their buttons; actions and switches described."""

from __future__ import annotations

import pytest
from content_sides import MAIN, side, small_settings, yaml_of

from gateway.content.preview import Previewer, node_pages


@pytest.fixture(scope="module")
def previewer() -> Previewer:
    settings = small_settings()
    return Previewer(side(settings).flows, settings)


def test_persian_ussd_pages_count_against_80_and_english_against_182(previewer: Previewer) -> None:
    persian = previewer.node("main:home", "fa", "ussd")
    assert persian.lines() == [
        "page 1/1 · 53/80 characters",  # `CON ` counts: 4 + 49,
        "CON پیشخوان دولت",
        "۱. پیگیری درخواست",
        "۲. راهنما",
        "۳. خدمات",
    ]
    english = previewer.node("main:home", "en", "ussd")
    assert english.lines()[0] == "page 1/1 · 62/182 characters"
    assert english.pages[0].text == "CON Government services\n1. Track a request\n2. Help\n3. Services"


def test_a_screen_below_home_offers_back_and_home_like_a_live_hop(previewer: Previewer) -> None:
    assert previewer.node("main:help", "en", "ussd").pages[0].text == "CON Help: send your code.\n0. Back  00. Home"


def test_a_variable_shows_as_a_visible_placeholder(previewer: Previewer) -> None:
    assert previewer.node("main:status", "en", "sms").pages[0].text.startswith("Status: {status_text}\n")
    assert "{status_text}" in previewer.node("main:status", "fa", "ussd").pages[0].text


def test_sms_gives_the_text_and_its_segments_of_the_configured_most(previewer: Previewer) -> None:
    page = previewer.node("main:home", "fa", "sms").pages[0]
    assert page.text == "پیشخوان دولت\n۱. پیگیری درخواست\n۲. راهنما\n۳. خدمات"
    assert str(page.counter) == "1/3 segments (ucs2, 49 units)"


def test_a_bot_message_has_its_text_and_button_labels(previewer: Previewer) -> None:
    [message] = previewer.node("main:help", "en", "telegram").pages
    assert message.text == "Help: send your code."
    assert message.buttons == (("Back", "Home"),)
    assert previewer.node("main:home", "en", "telegram").pages[0].buttons == (("Track a request",), ("Help",), ("Services",))


def test_a_long_screen_is_paged_on_ussd_but_one_bot_message() -> None:
    settings = small_settings()
    flow = yaml_of(MAIN)
    flow["nodes"]["help"]["text"]["en"] = ("Help: dial the code, choose a service from the menus and answer its questions one by one. "
                                           "Keep the tracking code you get at the end: send it later to see where your request is.")
    flows = side(settings, [flow]).flows
    ussd = node_pages(flows, "main:help", "en", "ussd", settings)
    assert len(ussd.pages) == 2
    assert ussd.pages[0].text.endswith("98. More  0. Back  00. Home")
    assert all(not page.counter.over for page in ussd.pages)
    assert len(node_pages(flows, "main:help", "en", "telegram", settings).pages) == 1


def test_actions_and_switches_show_nothing_and_say_what_they_do(previewer: Previewer) -> None:
    action = previewer.node("main:lookup", "fa", "ussd")
    assert action.pages == ()
    assert action.lines() == ["(shows nothing) action `request_status`(code={code}): ok → status; error → help"]
    switch = previewer.node("services:categories", "en", "sms")
    assert switch.lines() == ["(shows nothing) switch on `channel`: ussd → ussd_categories; sms → sms_categories; "
                              "telegram → telegram_categories; otherwise → none_here"]


def test_a_channels_own_catalogue_menu_is_reached_only_on_that_channel(previewer: Previewer) -> None:
    assert previewer.channels_reaching("services:ussd_cat_identity") == ("ussd",)
    assert previewer.channels_reaching("services:card_121095000") == ("ussd", "sms", "telegram")
    assert previewer.channels_reaching("main:help") == ("ussd", "sms", "telegram")


def test_an_unknown_channel_or_node_is_refused(previewer: Previewer) -> None:
    with pytest.raises(ValueError, match="unknown channel 'fax'"):
        previewer.node("main:home", "fa", "fax")
    with pytest.raises(KeyError):
        previewer.node("main:nowhere", "fa", "ussd")


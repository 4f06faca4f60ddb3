"""A citizen's whole journey through the bot webhook, with buttons: apply for a service, verify the
phone with the contact button, and list requests including one made from the same number over USSD."""

from __future__ import annotations

from fakes.bot_api import Citizen, FakeBotApi, post_update
from ussd_citizen import PHONE, apply_by_ussd, tracking_code

from gateway.app import GATEWAY


class Chat:
    """One citizen's chat: sends updates to the webhook and reads what the fake Bot API was told."""

    def __init__(self, client, bot_api: FakeBotApi, citizen: Citizen) -> None:  # type: ignore[no-untyped-def]
        self.client, self.api, self.citizen = client, bot_api, citizen

    async def post(self, update: dict) -> None:
        assert await post_update(self.client, update) == 200

    async def say(self, text: str) -> str:
        await self.post(self.citizen.text(text))
        return self.api.last(self.citizen.user_id).text

    async def tap(self, label: str) -> str:
        """Press the button labelled `label` on the current menu; the menu's text afterwards."""
        menu = self.api.menu(self.citizen.user_id)
        edits = menu.edits
        await self.post(self.citizen.press(menu, menu.button(label)["callback_data"]))
        return menu.text if menu.edits > edits else self.api.last(self.citizen.user_id).text   # edited in place, or sent anew


async def test_apply_with_buttons_verify_the_phone_and_list_requests_from_every_channel(tg, bot_api) -> None:  # type: ignore[no-untyped-def]
    chat = Chat(tg, bot_api, Citizen(user_id=4242, language_code="en"))
    assert "Share my phone number" in await chat.say("/start")   # the invite, in the app's language, after the menu
    assert "Language" in bot_api.menu(4242).text
    assert "Government services" in await chat.tap("English")
    assert "Services:" in await chat.tap("Services")
    await chat.tap("Civil registry")
    await chat.tap("National smart ID card")
    assert "First national ID card" in await chat.tap("First issue")
    assert "Enter your 10-digit national code:" in await chat.tap("Apply")
    assert "That national code is not valid" in await chat.say("1234567890")
    assert "Birth date" in await chat.say("0499370899")
    confirm = await chat.say("1375/06/21")
    assert "Submit a request for First issue?" in confirm and "Fee: 300,000 rials" in confirm
    assert bot_api.menu(4242).buttons[0]["text"] == "Confirm"
    receipt = await chat.tap("Confirm")
    bot_code = tracking_code(receipt)
    shown = next(m for m in bot_api.messages(4242) if "Request received" in m.text)
    assert [b["text"] for b in shown.buttons] == ["Main menu"]   # a finished chat offers a way back in

    ussd_code = await apply_by_ussd(tg, phone=PHONE)

    await chat.post(chat.citizen.contact(PHONE.removeprefix("+")))
    listing = bot_api.last(4242).text
    assert "Your requests (2):" in listing
    assert bot_code in listing and ussd_code in listing
    assert "via USSD" in listing and "via bot" in listing and "Status: submitted" in listing
    assert listing.index(ussd_code) < listing.index(bot_code)   # newest first

    assert await chat.say("/myrequests") == listing
    assert await chat.say("📋 My requests") == listing                  # the persistent keyboard button


async def test_myrequests_before_verifying_asks_for_the_contact(tg, bot_api) -> None:  # type: ignore[no-untyped-def]
    chat = Chat(tg, bot_api, Citizen(user_id=4343, language_code="en"))
    assert "Share my phone number" in await chat.say("/myrequests")
    [[button]] = bot_api.last(4343).reply_markup["keyboard"]  # type: ignore[index]
    assert button["request_contact"] is True


async def test_a_request_made_after_verifying_carries_the_number_for_other_channels(tg, bot_api) -> None:  # type: ignore[no-untyped-def]
    chat = Chat(tg, bot_api, Citizen(user_id=4444, language_code="en"))
    await chat.say("/start")
    await chat.tap("English")
    await chat.tap("Services")
    await chat.post(chat.citizen.contact("+989350001122"))    # verified in the middle of the conversation
    await chat.tap("Civil registry")
    await chat.tap("National smart ID card")
    await chat.tap("First issue")
    await chat.tap("Apply")
    await chat.say("0499370899")
    await chat.say("1375/06/21")
    code = tracking_code(await chat.tap("Confirm"))
    assert code
    record = await tg.app[GATEWAY].requests.get(code)
    assert (record.channel, record.phone) == ("telegram", "+989350001122")

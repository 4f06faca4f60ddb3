"""What the bot does with each update of a private chat: turns, button presses, contacts, commands.

Updates of one chat are handled one at a time (a per-chat lock), so replies keep their order and a
contact can update the chat's session safely. Replies are sent here, paced, after the webhook has
already answered 200; they are not outbox messages because the citizen is waiting for them now.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable

from telegram.error import Forbidden, TelegramError

from channels.phone import to_e164
from channels.telegram import (
    RESTART,
    BotUpdate,
    Kind,
    OutgoingMessage,
    bot_address,
    contact_keyboard,
    decode_callback,
    decode_namespaced,
    new_menu_token,
    render_reply,
    text_messages,
    to_inbound,
)
from channels.telegram.reply import Markup, persistent_keyboard
from channels.telegram.text import left_to_right
from flows.errors import ChannelError
from flows.masking import masked
from flows.normalise import normalise_input
from flows.paging import Surface
from flows.reply import Reply
from flows.texts import LocalisedText, pick
from gateway.conversations import Conversations
from gateway.sessions import SessionKey
from gateway.state import StateStore
from gateway.telegram import texts
from gateway.telegram.client import BotClient, redacted
from gateway.telegram.contacts import ContactStore
from gateway.telegram.my_requests import RequestListing

log = logging.getLogger(__name__)

ButtonHandler = Callable[[BotClient, BotUpdate, str, tuple[int, ...]], Awaitable[None]]
"""(bot, the press, the chat's address, the numbers after the namespace)."""
TextHook = Callable[[BotClient, BotUpdate, str], Awaitable[bool]]

SURFACE = Surface("telegram")
"""A bot message has no page limit (long texts are split into messages instead)."""


Extra = Callable[[str, str, str], Awaitable[list[OutgoingMessage]]]
"""A command or button another part of the gateway answers (gateway.consultations: `/polls`, `poll:…`
buttons): given the command or the callback data, the chat's verified number and its language, the messages to send."""
OpenCommand = Callable[[str], Awaitable[list[OutgoingMessage]]]
"""A command anyone may send, number verified or not (gateway.privacy: `/privacy`): given the chat's language, the messages."""


def menu_key(address: str) -> str:
    """Where the token of a chat's current menu message is kept."""
    return f"tgmenu:{address}"


class BotService:
    """Handles classified updates for every configured bot."""

    def __init__(
        self,
        conversations: Conversations,
        state: StateStore,
        contacts: ContactStore,
        listing: RequestListing,
        *,
        languages: tuple[str, ...],
        reply_wait_limit: float,
    ) -> None:
        self.conversations = conversations
        self.state = state
        self.contacts = contacts
        self.listing = listing
        self.languages = languages
        self.sessions = conversations.sessions
        self.reply_wait_limit = reply_wait_limit
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._my_requests_labels = {normalise_input(label) for label in texts.MY_REQUESTS.values()}
        self.commands: dict[str, Extra] = {}
        """Commands other parts answer, by name (registered when the gateway is built: `/polls`)."""
        self.open_commands: dict[str, OpenCommand] = {}
        """Commands other parts answer without asking for the number (`/privacy`)."""
        self.buttons: dict[str, ButtonHandler] = {}
        """Handlers of the buttons under outbox messages by namespace (`csat` for `csat:<survey id>:<rating>`,
        `poll` for `poll:<poll id>:<option>`); a handler answers the callback query itself (`verified` makes one)."""
        self.pending: list[TextHook] = []
        """Looked at before a text reaches the conversation (a rating's comment); True: the hook took it and replied."""
        self._contact_wanted: set[str] = set()
        """Chats whose turn asked for their number (an identity check): the contact button follows the screen."""

    def _lock(self, address: str) -> asyncio.Lock:
        lock = self._locks.get(address)
        if lock is None:
            lock = self._locks[address] = asyncio.Lock()
        return lock

    async def handle(self, bot: BotClient, event: BotUpdate) -> None:
        """Act on one update; Bot API failures are logged (a blocked bot marks the chat unreachable)."""
        if event.kind is Kind.IGNORED:
            return
        if event.chat_id is None:  # a button under a message we cannot place: still stop its spinner
            if event.callback_id:
                await bot.answer(event.callback_id, wait_limit=self.reply_wait_limit)
            return
        address = bot_address(bot.name, event.chat_id)
        async with self._lock(address):
            try:
                await self._dispatch(bot, event, address)
            except Forbidden:
                await self.contacts.mark_unreachable(address, "bot blocked by the user")
                log.info("bot %s: %s blocked the bot", bot.name, address)
            except TelegramError as error:
                log.warning("bot %s: update %d not fully answered: %s", bot.name, event.update_id, redacted(str(error), bot.bot.token))

    async def _dispatch(self, bot: BotClient, event: BotUpdate, address: str) -> None:
        if event.kind is Kind.BLOCKED:
            await self.contacts.mark_unreachable(address, "bot blocked by the user")
            return
        await self.contacts.clear_unreachable(address)
        if event.kind is Kind.UNBLOCKED:
            return
        if event.kind is Kind.COMMAND and event.text in self.open_commands:
            assert event.chat_id is not None
            await self._send(bot, event.chat_id, await self.open_commands[event.text](await self._lang(address, event)))
        elif event.kind is Kind.COMMAND and event.text in self.commands:
            await self._extra(bot, event, address, self.commands[event.text])
        elif event.kind is Kind.CALLBACK:
            await self._button(bot, event, address)
        elif event.kind is Kind.COMMAND:
            await self._command(bot, event, address)
        elif event.kind is Kind.CONTACT:
            await self._contact(bot, event, address)
        elif event.kind is Kind.TEXT and normalise_input(event.text) in self._my_requests_labels:
            await self._my_requests(bot, event, address)
        elif event.kind is Kind.TEXT and await self._taken(bot, event, address):
            return
        elif event.kind is Kind.TEXT:
            fresh = await self.sessions.live(SessionKey("telegram", address)) is None
            # with no conversation going, a greeting opens the menu rather than counting as a wrong choice
            await self._show(bot, event, await self._turn(bot, event, "" if fresh else event.text, new_session=fresh))
        else:
            await self._say(bot, event, texts.UNSUPPORTED, await self._lang(address, event))

    async def _taken(self, bot: BotClient, event: BotUpdate, address: str) -> bool:
        """Whether a hook took the text as the answer to something the chat was asked."""
        for hook in self.pending:
            if await hook(bot, event, address):
                return True
        return False

    async def _lang(self, address: str, event: BotUpdate) -> str:
        """The chat's chosen language, else the Telegram app's language when we speak it, else the default."""
        remembered = await self.sessions.language(address)
        if remembered in self.languages:
            return str(remembered)
        hint = (event.language_code or "")[:2]
        return hint if hint in self.languages else self.languages[0]

    async def _turn(self, bot: BotClient, event: BotUpdate, text: str, *, new_session: bool = False) -> Reply:
        assert event.chat_id is not None
        phone = await self.contacts.phone_for_chat(bot.name, event.chat_id)
        return await self._turn_as(bot, event, text, phone, new_session=new_session)

    async def _turn_as(self, bot: BotClient, event: BotUpdate, text: str, phone: str | None, *, new_session: bool = False) -> Reply:
        """A turn of the chat whose verified number (or None) the caller looked up already."""
        return await self.conversations.turn(to_inbound(bot.name, event, text, phone=phone, new_session=new_session), SURFACE)

    async def _send(self, bot: BotClient, chat_id: int, messages: list[OutgoingMessage]) -> int | None:
        """Send in order; the id of the last message."""
        last = None
        for message in messages:
            last = await bot.send(chat_id, message, wait_limit=self.reply_wait_limit)
        return last

    async def _say(self, bot: BotClient, event: BotUpdate, text: LocalisedText, lang: str, markup: Markup | None = None) -> None:
        assert event.chat_id is not None
        await self._send(bot, event.chat_id, text_messages(pick(text, lang), lang, markup))

    async def _show(self, bot: BotClient, event: BotUpdate, reply: Reply, edit: int | None = None) -> None:
        """Show a screen: edit the menu whose button was pressed, else send; remember the new menu."""
        assert event.chat_id is not None
        token = new_menu_token()
        messages = render_reply(reply, token, pick(texts.MAIN_MENU, reply.lang))
        last = None
        if edit is not None and await bot.edit(event.chat_id, edit, messages[0], wait_limit=self.reply_wait_limit):
            last, messages = edit, messages[1:]
        last = await self._send(bot, event.chat_id, messages) or last
        address = bot_address(bot.name, event.chat_id)
        if reply.end:
            await self.state.delete(menu_key(address))
        else:
            await self.state.set(menu_key(address), {"token": token, "message_id": last}, self.sessions.ttl("telegram"))
        if address in self._contact_wanted:
            self._contact_wanted.discard(address)
            await self._ask_contact(bot, event, reply.lang)

    async def want_contact(self, address: str, lang: str) -> None:
        """A turn of this chat needs its verified number (gateway.identity): offer the contact button
        once the turn's screen is shown (the turn runs under the chat's lock, in this process)."""
        self._contact_wanted.add(address)

    async def _start(self, bot: BotClient, event: BotUpdate, address: str, edit: int | None = None) -> None:
        """A fresh conversation at the top; a citizen without a verified number is invited to share it."""
        assert event.chat_id is not None
        phone = await self.contacts.phone_for_chat(bot.name, event.chat_id)  # once: the chat's updates are handled one at a time
        await self._show(bot, event, await self._turn_as(bot, event, "", phone, new_session=True), edit)
        if phone is None:
            await self._ask_contact(bot, event, await self._lang(address, event))

    async def _button(self, bot: BotClient, event: BotUpdate, address: str) -> None:
        assert event.callback_id is not None
        namespaced = decode_namespaced(event.text)
        if namespaced is not None and namespaced[0] in self.buttons:  # under an outbox message, not a menu
            await self.buttons[namespaced[0]](bot, event, address, namespaced[1])
            return
        menu = await self.state.get(menu_key(address))
        decoded = decode_callback(event.text)
        if event.text == RESTART or menu is None:  # "main menu" under a finished chat, or a menu from an expired session
            await bot.answer(event.callback_id, wait_limit=self.reply_wait_limit)
            await self._start(bot, event, address, edit=event.message_id)
            return
        if decoded is None or decoded[0] != menu.get("token"):
            await bot.answer(event.callback_id, pick(texts.STALE_MENU, await self._lang(address, event)), wait_limit=self.reply_wait_limit)
            return
        await bot.answer(event.callback_id, wait_limit=self.reply_wait_limit)
        await self._show(bot, event, await self._turn(bot, event, decoded[1]), edit=event.message_id)

    async def _command(self, bot: BotClient, event: BotUpdate, address: str) -> None:
        if event.text == "start":
            await self._start(bot, event, address)
        elif event.text == "myrequests":
            await self._my_requests(bot, event, address)
        elif event.text == "verify":
            await self._ask_contact(bot, event, await self._lang(address, event))
        else:
            await self._say(bot, event, texts.UNKNOWN_COMMAND, await self._lang(address, event))

    def verified(self, answer: Extra) -> ButtonHandler:
        """A button handler that gives `answer` the press's data with the chat's verified number."""
        async def handle(bot: BotClient, event: BotUpdate, address: str, _: tuple[int, ...]) -> None:
            await self._extra(bot, event, address, answer)
        return handle

    async def _extra(self, bot: BotClient, event: BotUpdate, address: str, answer: Extra) -> None:
        """A command or button another part answers, for the chat's verified number (else the invitation to share it)."""
        assert event.chat_id is not None
        if event.callback_id:
            await bot.answer(event.callback_id, wait_limit=self.reply_wait_limit)
        lang = await self._lang(address, event)
        phone = await self.contacts.phone_for_chat(bot.name, event.chat_id)
        if phone is None:
            await self._ask_contact(bot, event, lang)
            return
        await self._send(bot, event.chat_id, await answer(event.text, phone, lang))

    async def _ask_contact(self, bot: BotClient, event: BotUpdate, lang: str) -> None:
        await self._say(bot, event, texts.INVITE, lang, contact_keyboard(pick(texts.SHARE_PHONE, lang), lang))

    async def _my_requests(self, bot: BotClient, event: BotUpdate, address: str) -> None:
        assert event.chat_id is not None
        lang = await self._lang(address, event)
        phone = await self.contacts.phone_for_chat(bot.name, event.chat_id)
        if phone is None:
            await self._ask_contact(bot, event, lang)
            return
        await self._send(bot, event.chat_id, text_messages(await self.listing.text(address, phone, lang), lang))

    async def _contact(self, bot: BotClient, event: BotUpdate, address: str) -> None:
        """Accept only the sender's own contact: Telegram verified that number for this account."""
        assert event.chat_id is not None and event.user_id is not None
        lang = await self._lang(address, event)
        keyboard = contact_keyboard(pick(texts.SHARE_PHONE, lang), lang)
        if event.contact_user_id != event.user_id:
            await self._say(bot, event, texts.NOT_YOUR_CONTACT, lang, keyboard)
            return
        try:
            phone = to_e164(event.contact_phone or "")
        except ChannelError:
            await self._say(bot, event, texts.BAD_NUMBER, lang, keyboard)
            return
        await self.contacts.verify(bot.name, event.user_id, event.chat_id, phone)
        await self.sessions.attach_phone(SessionKey("telegram", address), phone)
        log.info("bot %s: %s verified %s", bot.name, address, masked(f"tel:{phone}"))
        verified = {k: v.replace("{phone}", left_to_right(phone)) for k, v in texts.VERIFIED.items()}
        await self._say(bot, event, verified, lang, persistent_keyboard(pick(texts.MY_REQUESTS, lang), lang))
        await self._my_requests(bot, event, address)

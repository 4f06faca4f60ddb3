"""A fake Bot API server (Telegram or Bale) speaking the real JSON, mounted at a base_url prefix.

Serves `<prefix><token>/<method>` for getMe, sendMessage, editMessageText, answerCallbackQuery,
setWebhook, deleteWebhook, setMyCommands and getUpdates; accepts form or JSON bodies as the real one
does (python-telegram-bot posts forms with JSON-encoded complex fields). It keeps each chat's
messages (edits applied) so a test reads the chat as the citizen sees it, records every call, and can
be told to answer 429 with `parameters.retry_after`, a 5xx, or 403 "Forbidden: bot was blocked by the
user" (now or after a few more messages), or to be down altogether (502 Bad Gateway to everything).

It can also misbehave as third-party Bot API emulators were seen to: answer `ok: true` with a result
changed by a test (`garble`: a user without `is_bot`, a date in milliseconds, `result: null`), and
answer getUpdates at once, ignoring its `timeout` (`instant_polls`).

Also builds real-shaped Update payloads (`Citizen`) for feeding a webhook.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from waiting import eventually

JSON_FIELDS = {"reply_markup", "allowed_updates", "commands", "entities", "link_preview_options"}
INT_FIELDS = {"chat_id", "message_id", "offset", "limit", "timeout"}


@dataclass
class Call:
    """One request the fake received."""

    token: str
    method: str
    params: dict[str, Any]
    at: float


@dataclass
class ChatMessage:
    """A message the bot put in a chat, as it stands now."""

    message_id: int
    text: str
    reply_markup: dict[str, Any] | None = None
    edits: int = 0

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """Inline buttons, row by row flattened."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [b for row in rows for b in row]

    def button(self, label_part: str) -> dict[str, Any]:
        """The inline button whose text contains `label_part`."""
        for b in self.buttons:
            if label_part in b["text"]:
                return b
        raise AssertionError(f"no button with {label_part!r} in {[b['text'] for b in self.buttons]}")


@dataclass
class Failure:
    method: str
    status: int
    description: str
    retry_after: int | None
    times: int
    chat_id: int | None = None
    after: int = 0
    """Calls of `method` that still succeed before the failures start."""


@dataclass
class Garble:
    """A successful answer of `method` whose `result` is passed through `change` first."""

    method: str
    change: Callable[[Any], Any]
    times: int
    after: int = 0


@dataclass
class FakeBotApi:
    """The fake server's state; `app()` is the aiohttp application."""

    tokens: dict[str, str]
    """token -> bot username."""
    prefix: str = "/bot"
    calls: list[Call] = field(default_factory=list)
    chats: dict[int, list[ChatMessage]] = field(default_factory=dict)
    webhooks: dict[str, dict[str, Any]] = field(default_factory=dict)
    updates: list[dict[str, Any]] = field(default_factory=list)
    blocked: set[int] = field(default_factory=set)
    blocking: dict[int, int] = field(default_factory=dict)
    """chat id -> messages it still receives before it blocks the bot."""
    failures: list[Failure] = field(default_factory=list)
    down: bool = False
    """Every call answers 502 Bad Gateway, as Telegram's front does while the Bot API is unavailable."""
    garbles: list[Garble] = field(default_factory=list)
    instant_polls: bool = False
    """getUpdates with nothing pending answers `[]` at once, whatever its `timeout` (as some emulators do)."""
    _ids: itertools.count = field(default_factory=lambda: itertools.count(100))
    _new_update: asyncio.Event = field(default_factory=asyncio.Event)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", self.prefix + r"{token:[0-9]+:[A-Za-z0-9_-]+}/{method}", self._handle)
        return app

    # --- what a test tells the fake ---------------------------------------------------------------
    def rate_limit(self, retry_after: int, times: int = 1, method: str = "sendMessage", after: int = 0) -> None:
        """After `after` more calls of `method` succeed, the next `times` get 429 with `retry_after`."""
        self.failures.append(Failure(method, 429, f"Too Many Requests: retry after {retry_after}", retry_after, times, after=after))

    def fail(self, status: int, description: str, times: int = 1, method: str = "sendMessage", after: int = 0) -> None:
        """After `after` more calls of `method` succeed, the next `times` get `status` (e.g. 500 "Internal Server Error")."""
        self.failures.append(Failure(method, status, description, None, times, after=after))

    def garble(self, method: str, change: Callable[[Any], Any], times: int = 1, after: int = 0) -> None:
        """After `after` more successful answers of `method`, the next `times` say `ok: true` with the
        result `change(result)`: an answer outside the Bot API's contract."""
        self.garbles.append(Garble(method, change, times, after))

    def block(self, chat_id: int, after: int = 0) -> None:
        """The citizen blocked the bot (after `after` more messages reached the chat): sends to it get 403."""
        if after:
            self.blocking[chat_id] = after
        else:
            self.blocked.add(chat_id)

    def queue_update(self, update: dict[str, Any]) -> None:
        """An update for getUpdates (polling)."""
        self.updates.append(update)
        self._new_update.set()

    # --- what a test reads ---------------------------------------------------------------------------
    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def messages(self, chat_id: int) -> list[ChatMessage]:
        return self.chats.get(chat_id, [])

    def last(self, chat_id: int) -> ChatMessage:
        """The newest message in the chat."""
        found = self.messages(chat_id)
        assert found, f"the bot sent nothing to chat {chat_id}"
        return found[-1]

    def menu(self, chat_id: int) -> ChatMessage:
        """The newest message in the chat with inline buttons."""
        for message in reversed(self.messages(chat_id)):
            if message.buttons:
                return message
        raise AssertionError(f"no message with buttons in chat {chat_id}")

    async def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Calls of `method`, once there are at least `count` of them."""
        await eventually(lambda: len(self.calls_of(method)) >= count, timeout,
                         lambda: f"{method} called {len(self.calls_of(method))} times, expected {count}")
        return self.calls_of(method)

    async def wait_for_message(self, chat_id: int, part: str, timeout: float = 5.0) -> ChatMessage:
        """The first message in the chat containing `part`, once it arrives."""
        found: ChatMessage = await eventually(lambda: next((m for m in self.messages(chat_id) if part in m.text), None), timeout,
                                              lambda: f"no message with {part!r} in chat {chat_id}: {[m.text for m in self.messages(chat_id)]}")
        return found

    # --- the wire format --------------------------------------------------------------------------
    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            body = await request.text()
            return json.loads(body) if body else {}
        form = await request.post()
        params: dict[str, Any] = {**request.query}
        for key, value in form.items():
            if not isinstance(value, str):
                continue
            if key in JSON_FIELDS:
                params[key] = json.loads(value)
            elif key in INT_FIELDS:
                params[key] = int(value)
            else:
                params[key] = value
        return params

    def _user(self, token: str) -> dict[str, Any]:
        return {"id": int(token.split(":")[0]), "is_bot": True, "first_name": "Pishkhan", "username": self.tokens[token]}

    @staticmethod
    def _ok(result: Any) -> web.Response:
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _error(status: int, description: str, retry_after: int | None = None) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        return web.json_response(body, status=status)

    def _scripted_failure(self, method: str) -> web.Response | None:
        for failure in self.failures:
            if failure.method == method and failure.times > 0:
                if failure.after > 0:
                    failure.after -= 1
                    continue
                failure.times -= 1
                return self._error(failure.status, failure.description, failure.retry_after)
        return None

    def _message_json(self, token: str, chat_id: int, message: ChatMessage) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": message.message_id, "date": int(time.time()), "text": message.text,
            "chat": {"id": chat_id, "type": "private", "first_name": "Citizen"}, "from": self._user(token),
        }
        if message.reply_markup and "inline_keyboard" in message.reply_markup:
            data["reply_markup"] = message.reply_markup
        return data

    async def _handle(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        if token not in self.tokens:
            return self._error(401, "Unauthorized")
        params = await self._params(request)
        self.calls.append(Call(token, method, params, time.monotonic()))
        if self.down:
            return self._error(502, "Bad Gateway")
        failed = self._scripted_failure(method)
        if failed is not None:
            return failed
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return self._error(404, "Not Found")
        return self._garbled(method, await handler(token, params))

    def _garbled(self, method: str, response: web.Response) -> web.Response:
        body = json.loads(response.body) if isinstance(response.body, bytes) else {}
        for garble in self.garbles:
            if garble.method == method and garble.times > 0 and body.get("ok"):
                if garble.after > 0:
                    garble.after -= 1
                    continue
                garble.times -= 1
                return web.json_response({**body, "result": garble.change(body["result"])})
        return response

    async def _m_getMe(self, token: str, params: dict[str, Any]) -> web.Response:
        return self._ok(self._user(token))

    async def _m_sendMessage(self, token: str, params: dict[str, Any]) -> web.Response:
        chat_id, text = params["chat_id"], params.get("text", "")
        if chat_id in self.blocked:
            return self._error(403, "Forbidden: bot was blocked by the user")
        if not text.strip():
            return self._error(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > 4096:
            return self._error(400, "Bad Request: message is too long")
        message = ChatMessage(next(self._ids), text, params.get("reply_markup"))
        self.chats.setdefault(chat_id, []).append(message)
        if chat_id in self.blocking:
            self.blocking[chat_id] -= 1
            if not self.blocking[chat_id]:
                del self.blocking[chat_id]
                self.blocked.add(chat_id)
        return self._ok(self._message_json(token, chat_id, message))

    async def _m_editMessageText(self, token: str, params: dict[str, Any]) -> web.Response:
        chat_id, message_id = params.get("chat_id"), params.get("message_id")
        found = next((m for m in self.messages(chat_id) if m.message_id == message_id), None)  # type: ignore[arg-type]
        if found is None:
            return self._error(400, "Bad Request: message to edit not found")
        markup = params.get("reply_markup")
        if found.text == params.get("text") and found.reply_markup == markup:
            return self._error(400, "Bad Request: message is not modified: specified new message content and reply markup are exactly the same")
        found.text, found.reply_markup, found.edits = params.get("text", ""), markup, found.edits + 1
        return self._ok(self._message_json(token, chat_id, found))  # type: ignore[arg-type]

    async def _m_answerCallbackQuery(self, token: str, params: dict[str, Any]) -> web.Response:
        return self._ok(True)

    async def _m_setWebhook(self, token: str, params: dict[str, Any]) -> web.Response:
        self.webhooks[token] = params
        return self._ok(True)

    async def _m_deleteWebhook(self, token: str, params: dict[str, Any]) -> web.Response:
        self.webhooks.pop(token, None)
        return self._ok(True)

    async def _m_setMyCommands(self, token: str, params: dict[str, Any]) -> web.Response:
        return self._ok(True)

    async def _m_getUpdates(self, token: str, params: dict[str, Any]) -> web.Response:
        if token in self.webhooks:
            return self._error(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")
        offset = params.get("offset") or 0
        pending = [u for u in self.updates if u["update_id"] >= offset]
        if not pending and not self.instant_polls:
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), min(float(params.get("timeout") or 0), 0.2))
            except TimeoutError:
                pass
            pending = [u for u in self.updates if u["update_id"] >= offset]
        return self._ok(pending)


@dataclass
class Citizen:
    """Builds the Updates one Telegram user's app causes, with increasing update ids."""

    user_id: int
    first_name: str = "Ali"
    language_code: str = "fa"
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1000))
    _messages: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def user(self) -> dict[str, Any]:
        return {"id": self.user_id, "is_bot": False, "first_name": self.first_name, "language_code": self.language_code}

    @property
    def chat(self) -> dict[str, Any]:
        return {"id": self.user_id, "type": "private", "first_name": self.first_name}

    def _message(self, **content: Any) -> dict[str, Any]:
        return {"update_id": next(self._ids), "message": {
            "message_id": next(self._messages), "date": int(time.time()), "chat": self.chat, "from": self.user, **content}}

    def text(self, text: str) -> dict[str, Any]:
        if text.startswith("/"):
            command = text.split()[0]
            return self._message(text=text, entities=[{"type": "bot_command", "offset": 0, "length": len(command)}])
        return self._message(text=text)

    def press(self, message: ChatMessage, callback_data: str) -> dict[str, Any]:
        return {"update_id": next(self._ids), "callback_query": {
            "id": f"cq{next(self._messages)}", "from": self.user, "chat_instance": "42", "data": callback_data,
            "message": {"message_id": message.message_id, "date": int(time.time()), "chat": self.chat, "text": message.text},
        }}

    def contact(self, phone: str, user_id: int | None = None) -> dict[str, Any]:
        """A contact card; the user's own when `user_id` is left out (what the request_contact button sends)."""
        owner = self.user_id if user_id is None else user_id
        return self._message(contact={"phone_number": phone, "first_name": self.first_name, "user_id": owner})

    def sticker(self) -> dict[str, Any]:
        return self._message(sticker={"file_id": "CAAC", "file_unique_id": "u1", "type": "regular", "width": 512,
                                      "height": 512, "is_animated": False, "is_video": False})

    def photo(self) -> dict[str, Any]:
        return self._message(photo=[{"file_id": "AgAC", "file_unique_id": "p1", "width": 90, "height": 90}])

    def edited(self, text: str) -> dict[str, Any]:
        return {"update_id": next(self._ids), "edited_message": {
            "message_id": 1, "date": int(time.time()), "edit_date": int(time.time()), "chat": self.chat, "from": self.user, "text": text}}

    def in_group(self, text: str) -> dict[str, Any]:
        return {"update_id": next(self._ids), "message": {
            "message_id": next(self._messages), "date": int(time.time()), "from": self.user, "text": text,
            "chat": {"id": -100123, "type": "supergroup", "title": "Neighbours"}}}

    def blocks_bot(self, blocked: bool = True) -> dict[str, Any]:
        status = "kicked" if blocked else "member"
        bot = {"id": 1, "is_bot": True, "first_name": "Pishkhan"}
        member = {"status": status, "user": bot} if not blocked else {"status": status, "user": bot, "until_date": 0}
        return {"update_id": next(self._ids), "my_chat_member": {
            "chat": self.chat, "from": self.user, "date": int(time.time()),
            "old_chat_member": {"status": "member" if blocked else "kicked", "user": bot, **({} if blocked else {"until_date": 0})},
            "new_chat_member": member,
        }}


TOKEN = "123456:TEST-token_abcdefghij"
SECRET = "webhook-secret_1"


def base_url_of(fake: FakeBotApi) -> str:
    """The fake's Bot API base URL in settings form (`{token}` placeholder)."""
    return str(fake.server.make_url(fake.prefix)) + "{token}"  # type: ignore[attr-defined]


@pytest.fixture
async def bot_api(aiohttp_server) -> FakeBotApi:  # type: ignore[no-untyped-def]
    """A running fake Bot API with one bot (TOKEN, @pishkhan_bot) at /bot<token>."""
    fake = FakeBotApi({TOKEN: "pishkhan_bot"})
    fake.server = await aiohttp_server(fake.app())  # type: ignore[attr-defined]
    return fake


@pytest.fixture
async def tg(aiohttp_client, settings, bot_api):  # type: ignore[no-untyped-def]
    """A test client of the full gateway with bot `main` on the fake Bot API (no pacing delay)."""
    from gateway.app import create_app

    return await aiohttp_client(await create_app(with_bot(settings, base_url_of(bot_api))))


async def post_update(client: Any, update: dict[str, Any] | str, *, secret: str | None = SECRET, bot: str = "main") -> int:
    """POST an update to the gateway's webhook as the Bot API does and wait until it is handled; the HTTP status."""
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    response = await client.post(f"/telegram/{bot}", data=update if isinstance(update, str) else json.dumps(update), headers=headers)
    from gateway.app import GATEWAY

    assert await client.app[GATEWAY].bots.drain()
    return response.status


def with_bot(settings: Any, base_url: str, **telegram: Any) -> Any:
    """`settings` with one bot `main` on the fake (and any `telegram:` keys overridden)."""
    section = {"bots": {"main": {"token": TOKEN, "secret": SECRET, "base_url": base_url}},
               "per_chat_interval": 0.0, "per_second": 1000.0, **telegram}
    return settings.updated({"telegram": section})

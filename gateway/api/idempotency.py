"""`Idempotency-Key` on the operator API's changes, after draft-ietf-httpapi-idempotency-key-header.

A back-office system that sent a transition and got no answer (a timeout, a dropped connection) sends it
again with the same key and gets the first answer, status and body, marked `Idempotent-Replayed: true`;
the change is made once and the citizen told once. The same key with another body (or on another route)
is refused (422 `idempotency_key_reused`); while the first request with a key is still being answered, a
second gets 409 `idempotency_key_in_flight`. Keys are each token's own and kept `api.idempotency_hours`.

What is remembered: every answer of a request that was processed, errors included (a transition the
lifecycle refused is refused again, as the draft asks). What is not: a request refused before it was
processed (no token, a malformed body or key), and a run that failed unexpectedly (a 500), whose key a
retry may use at once. The store keeps the keys (gateway.idempotency), so every worker sees them.

Stacked under `requires` (which checks the header as it checks the query):

    @requires("operator", path=(CODE,), body=TRANSITION)
    @idempotent
    async def transition(request, call): ...

A handler writes its answer through `once_of(request)`, in the transaction of the change it answers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, TypeVar

from aiohttp import web

from gateway.api.common import HEADERS, ApiError, Call, Handler, Param
from gateway.api.schema import Json
from gateway.idempotency import Answer, Claim, ClaimLost, IdempotencyKeys, Refusal
from gateway.runtime import GATEWAY
from gateway.store import Transaction

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
MAX_KEY = 255
_CHARS = r"[ !#-\[\]-~]"  # printable ASCII but the quote and the backslash, so the sf-string needs no escapes
KEY_FORM = f"a String structured field of 1 to {MAX_KEY} printable ASCII characters other than \" and \\, e.g. \"8e03978e-40d5\" (quotes included)"
IDEMPOTENCY_KEY = Param(
    HEADER, "Makes the request safe to retry: the same key and body get the first answer again (marked "
    f"`{REPLAYED}: true`) and the change is made once; the same key with another body is refused (422). Each token's keys "
    f"are its own, kept for `api.idempotency_hours`. The value is {KEY_FORM}; the form without quotes is taken too.",
    {"type": "string", "pattern": f'^(?:"{_CHARS}{{1,{MAX_KEY}}}"|{_CHARS.replace(" ", "")}{{1,{MAX_KEY}}})$'},
    where="header", hint=KEY_FORM, convert=lambda value: value[1:-1] if value.startswith('"') else value)

T = TypeVar("T")
Write = Callable[[Transaction, T], Awaitable[None]]
"""A write in a change's own transaction, given what the change left (gateway.requests.service `then`)."""


class Once:
    """A handler's way to write its answer with its change. Without a key (`claim` None) it only keeps the
    answer; with one it stores it too, in the change's transaction, so the two commit together."""

    def __init__(self, keys: IdempotencyKeys, claim: Claim | None) -> None:
        self.keys = keys
        self.claim = claim
        self.answer: Json | None = None
        """The whole answer (200), once the change it follows is made."""
        self.parts: dict[str, Json] = {p: json.loads(body) for p, body in (claim.parts if claim else {}).items()}
        """Bulk items answered, by this run or by an earlier one that died half way."""

    def answers(self, render: Callable[[T], Json]) -> Write[T]:
        """The write that makes `render(what the change left)` the request's answer."""
        async def write(conn: Transaction, changed: T) -> None:
            body = render(changed)
            if self.claim:
                await self.keys.settle(conn, self.claim, Answer(200, json.dumps(body)))
            self.answer = body
        return write

    def part(self, name: str, render: Callable[[T], Json]) -> Write[T]:
        """The write that makes `render(what the change left)` bulk item `name`'s answer."""
        async def write(conn: Transaction, changed: T) -> None:
            body = render(changed)
            if self.claim:
                await self.keys.settle_part(conn, self.claim, name, json.dumps(body))
            self.parts[name] = body
        return write


_ONCE = web.RequestKey("api_once", Once)


def once_of(request: web.Request) -> Once:
    """The Once of a request whose handler is `idempotent`."""
    return request[_ONCE]


def fingerprint(method: str, path: str, body: Any) -> str:
    """What makes two requests the same: method, path and body (as parsed, so spacing and key order do not count)."""
    what = json.dumps([method, path, body], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(what.encode()).hexdigest()


def _replayed(answer: Answer) -> web.Response:
    return web.Response(text=answer.body, status=answer.status, content_type="application/json", headers={REPLAYED: "true"})


def idempotent(handler: Handler) -> Handler:
    """Wrap a handler so a request with an `Idempotency-Key` is answered once and replayed after."""
    @wraps(handler)
    async def once(request: web.Request, call: Call) -> web.StreamResponse:
        keys = request.app[GATEWAY].idempotency
        key = call.header.get(HEADER)
        if key is None:
            request[_ONCE] = Once(keys, None)
            return await handler(request, call)
        claim = await keys.claim(call.token.id, key, fingerprint(request.method, request.path, call.body))
        if isinstance(claim, Answer):
            return _replayed(claim)
        if claim is Refusal.MISMATCH:
            raise ApiError(422, "idempotency_key_reused", f"{HEADER}: this key was used with another request (another body or "
                                                          "route); a new request needs a new key", HEADER)
        if claim is Refusal.BUSY:
            raise in_flight()
        assert isinstance(claim, Claim)
        request[_ONCE] = state = Once(keys, claim)
        return await _run(handler, request, call, state, claim)

    setattr(once, HEADERS, (IDEMPOTENCY_KEY,))
    return once


def in_flight() -> ApiError:
    """409: the key's first request is still being answered."""
    return ApiError(409, "idempotency_key_in_flight", f"the first request with this {HEADER} is still being answered; "
                                                      "send it again in a moment to get its answer")


async def _run(handler: Handler, request: web.Request, call: Call, state: Once, claim: Claim) -> web.StreamResponse:
    keys = state.keys
    try:
        response = await handler(request, call)
    except ClaimLost:
        raise in_flight() from None  # this run was thought dead and its change rolled back: the run that took over answers
    except ApiError as error:  # a refusal is an answer too: the same request is refused again
        refused = error.response()
        await keys.finish(claim, Answer(refused.status, _text(refused)))
        return refused
    except BaseException:
        await keys.release(claim)
        raise
    if state.answer is None:  # not written with a change (a bulk request's whole answer)
        await keys.finish(claim, Answer(response.status, _text(response)))
    return response


def _text(response: Any) -> str:
    assert isinstance(response, web.Response) and response.text is not None, "API answers are JSON responses"
    return response.text


_REPLAY_HEADER: Json = {REPLAYED: {"description": f"`true` when this is the stored answer to the {HEADER}'s first request",
                                   "schema": {"type": "string", "enum": ["true"]}}}
_KEY_ERRORS = {"409": f"The first request with this {HEADER} is still being answered (`idempotency_key_in_flight`): send it again "
                      "in a moment",
               "422": f"The {HEADER} was used with another body or route (`idempotency_key_reused`)"}
_ERROR: Json = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}


def keyed_responses(responses: Json) -> Json:
    """An operation's answers in the OpenAPI document once it takes the key: any may be a replay, and the key has its own 409 and 422."""
    keyed = {status: {**answer, "headers": {**answer.get("headers", {}), **_REPLAY_HEADER}} for status, answer in responses.items()}
    for status, meaning in _KEY_ERRORS.items():
        known = keyed.get(status)
        keyed[status] = ({**known, "description": f"{known['description']}; or: {meaning}"} if known
                         else {"description": meaning, "content": _ERROR, "headers": _REPLAY_HEADER})
    return keyed

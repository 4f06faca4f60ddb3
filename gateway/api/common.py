"""What every operator API route shares: JSON errors, bounded JSON bodies, bearer-token roles and agency
scopes, and one parameter layer: each route declares its role, scope rule, query, path and body schemas once
(a `Route`), the server checks every request against them and the OpenAPI document prints them, so the two
say the same."""

from __future__ import annotations

import calendar as calendar_module
import datetime
import json
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import wraps
from typing import Any

import jdatetime
from aiohttp import web

from flows.dates import parse_date
from gateway.api.schema import Json, SchemaError, check
from gateway.api.settings import ApiSettings
from gateway.runtime import GATEWAY
from gateway.scopes import AGENCY, EVERY_AGENCY, SCOPE_RULES, Scope, scope_of
from gateway.scopes import NATIONAL as NATIONAL  # routes take both rules from here, next to `requires`
from gateway.tokens import TokenExpired, TokenInfo, TokenStore

TOKENS = web.AppKey("api_tokens", TokenStore)


SETTINGS = web.AppKey("api_settings", ApiSettings)


class ApiError(Exception):
    """An error answered as `{"error": {"code", "message"[, "field"]}}` with an HTTP status."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None,
                 details: Sequence[Mapping[str, Any]] = ()) -> None:
        self.status, self.code, self.message, self.field, self.details = status, code, message, field, list(details)
        super().__init__(message)

    def body(self) -> dict[str, Any]:
        """What the answer's `error` says (also a bulk request's answer for one of its items)."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        if self.details:
            body["details"] = self.details
        return body

    def response(self, headers: Mapping[str, str] | None = None) -> web.Response:
        """The JSON answer, with `headers` besides its own."""
        extra = {"WWW-Authenticate": 'Bearer realm="pishkhan"'} if self.status == 401 else {}
        return web.json_response({"error": self.body()}, status=self.status, headers={**extra, **(headers or {})})


def invalid(field: str, message: str) -> ApiError:
    """422 naming the field that is wrong."""
    return ApiError(422, "invalid", f"{field}: {message}", field)


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}


@web.middleware
async def api_errors(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
    """ApiErrors and aiohttp's own HTTP errors become JSON errors."""
    try:
        return await handler(request)
    except ApiError as error:
        return error.response()
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = _HTTP_CODES.get(exc.status, "http_error")
        allow = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None  # a 405 must say which methods the path takes
        return ApiError(exc.status, code, exc.reason or code).response(allow)


def _parse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # Python's json would take NaN and Infinity; JSON has neither


async def json_body(request: web.Request, limit: int) -> Any:
    """The request's JSON value, at most `limit` bytes; 413 or 400 otherwise."""
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, "too_large", f"the body is over {limit} bytes")
    raw = await request.content.read(limit + 1)
    if len(raw) > limit:
        raise ApiError(413, "too_large", f"the body is over {limit} bytes")
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_parse_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "bad_json", f"the body is not valid UTF-8 JSON: {exc}") from exc


_DIGITS = re.compile(r"[0-9]{1,18}")  # ASCII only: str.isdigit() also takes "²" and "۵", which int() refuses or reads


@dataclass(frozen=True)
class Param:
    """A query, path or header parameter. The OpenAPI document prints `schema` and the server checks values against
    the same `schema`, so what one says the other does; `convert` turns a checked value into what handlers use."""

    name: str
    description: str
    schema: Json
    where: str = "query"
    convert: Callable[[Any], Any] | None = None
    hint: str | None = None  # what a value that misses the pattern should be, in words

    def openapi(self) -> Json:
        """The parameter's entry in the document."""
        return {"name": self.name, "in": self.where, "required": self.where == "path", "description": self.description, "schema": self.schema}

    def parse(self, raw: str) -> Any:
        """The value of the parameter's text; 422 naming the parameter when the schema refuses it."""
        value: Any = raw
        if self.schema.get("type") == "integer":
            low, high = self.schema.get("minimum"), self.schema.get("maximum")
            if not _DIGITS.fullmatch(raw):
                raise invalid(self.name, "must be a whole number in the digits 0-9" + (f" from {low} to {high}" if high is not None else ""))
            value = int(raw)
        try:
            value = check(value, self.schema, self.name)
        except SchemaError as error:
            missed = "pattern" in self.schema and error.message.startswith("does not match")
            raise invalid(self.name, f"must be {self.hint or self.description}" if missed else error.message) from None
        return self.convert(value) if self.convert else value


def whole(name: str, description: str, low: int, high: int, default: int | None = None, where: str = "query") -> Param:
    """A whole-number parameter from `low` to `high`."""
    schema: Json = {"type": "integer", "minimum": low, "maximum": high}
    return Param(name, description, schema if default is None else {**schema, "default": default}, where)


MAX_ID = 10**18 - 1  # 18 digits: what _DIGITS reads, well inside SQLite's 64-bit integers


def row_id(description: str) -> Param:
    """A row id in the path (`/outbox/{id}`)."""
    return whole("id", description, 1, MAX_ID, where="path")


def one_of(name: str, description: str, values: Sequence[str]) -> Param:
    """A parameter that is one of `values`."""
    return Param(name, description, {"type": "string", "enum": list(values)})


def matching(name: str, description: str, pattern: str, hint: str, where: str = "query") -> Param:
    """A text parameter matching `pattern` (ASCII classes only: `[0-9]`, never `\\d`); `hint` says in words what it must be."""
    return Param(name, description, {"type": "string", "pattern": pattern}, where, hint=hint)


def _day_pattern() -> str:
    """Exactly the valid days: Gregorian yyyy-mm-dd from 1900 to 2099 and Jalali yyyy/mm/dd from 1300 to 1499, so
    a day the pattern allows is one the calendar has (29 Esfand and 29 February in leap years only)."""
    def days(last: int) -> str:
        return {28: "0[1-9]|1[0-9]|2[0-8]", 29: "0[1-9]|[12][0-9]", 30: "0[1-9]|[12][0-9]|30", 31: "0[1-9]|[12][0-9]|3[01]"}[last]

    def calendar(years: str, sep: str, lengths: Sequence[int], leap_month: int, leap_years: Iterable[int]) -> str:
        months = "|".join(f"(?:{'|'.join(f'{m:02d}' for m, n in enumerate(lengths, 1) if n == last)}){sep}(?:{days(last)})"
                          for last in sorted(set(lengths)))
        return f"{years}{sep}(?:{months})|(?:{'|'.join(map(str, leap_years))}){sep}{leap_month:02d}{sep}{lengths[leap_month - 1] + 1}"

    gregorian = calendar("(?:19|20)[0-9]{2}", "-", (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31), 2,
                         (y for y in range(1900, 2100) if calendar_module.isleap(y)))
    jalali = calendar("1[34][0-9]{2}", "/", (31,) * 6 + (30,) * 5 + (29,), 12,
                      (y for y in range(1300, 1500) if jdatetime.date(y, 1, 1).isleap()))
    return f"^(?:{gregorian}|{jalali})$"


DAY_PATTERN = _day_pattern()


def day(name: str, description: str) -> Param:
    """A day, Gregorian (2024-08-02) or Jalali (1403/05/12), as a datetime.date."""
    form = "a day of the calendar as yyyy-mm-dd (1900 to 2099) or Jalali yyyy/mm/dd (1300 to 1499)"
    return Param(name, f"{description}: {form}", {"type": "string", "pattern": DAY_PATTERN}, hint=form,
                 convert=_day_of)


def _day_of(text: str) -> datetime.date:
    """The day named by a text that matched DAY_PATTERN; the match leaves out a final newline that `$` lets through."""
    found = re.search(DAY_PATTERN, text)
    assert found is not None, "Param.parse converts only what the pattern matched"
    return parse_date(found.group(0))


def first_item_links(param: str, field: str, *operation_ids: str) -> Json:
    """OpenAPI links from a list answer to operations on its first item (for clients, and so a fuzzer reaches real rows)."""
    return {op: {"operationId": op, "parameters": {param: f"$response.body#/items/0/{field}"}} for op in operation_ids}


@dataclass(frozen=True)
class Call:
    """What a handler gets once the request passed its route's checks: the token, its scope and the parsed parameters and body."""

    token: TokenInfo
    query: dict[str, Any]
    path: dict[str, Any]
    body: Any
    header: dict[str, Any]
    """The route's header parameters (`Idempotency-Key`); None for one not sent."""
    scope: Scope = EVERY_AGENCY


def not_found(what: str) -> ApiError:
    """404 for a thing that does not exist, or that the caller's scope does not see (the same words: a scoped
    token must not learn that another agency's thing exists)."""
    return ApiError(404, "not_found", f"no {what}")


def page_size(request: web.Request) -> Param:
    """`limit`, bounded by `api.max_page` (what the document says follows the settings)."""
    settings = request.app[SETTINGS]
    return whole("limit", "Page size", 1, settings.max_page, settings.default_page)


OFFSET = whole("offset", "Rows to skip", 0, 10**9, 0)
Params = Sequence[Param | Callable[[web.Request], Param]]


@dataclass(frozen=True)
class Route:
    """What a route accepts; `requires` checks requests against it and the OpenAPI document prints it.
    A parameter or body may be a function of the request where it follows the settings or the catalogue."""

    role: str
    scope: str | None = None
    """AGENCY or NATIONAL, said explicitly by every route (tests/integration/test_scope_matrix.py fails for a route
    without one); None is treated as NATIONAL, so a route nobody thought about refuses scoped tokens."""
    query: Params = ()
    path: Params = ()
    body: Json | Callable[[web.Request], Json] | None = None
    whole_content: bool = False
    """The body is a whole content version (flows and catalogue): `api.max_content_bytes`, not `max_body_bytes`."""
    header: Params = ()

    def parameters(self, request: web.Request) -> list[Param]:
        """Path, query then header parameters as this app has them."""
        return [p(request) if callable(p) else p for p in (*self.path, *self.query, *self.header)]

    def body_schema(self, request: web.Request) -> Json | None:
        """The body's schema, if the route takes one."""
        return self.body(request) if callable(self.body) else self.body

    async def parse(self, request: web.Request, token: TokenInfo, scope: Scope = EVERY_AGENCY) -> Call:
        """Every parameter and the body checked; 422 naming the first wrong or unknown one."""
        params = self.parameters(request)
        known = {p.name for p in params if p.where == "query"}
        for key in request.query:
            if key not in known:
                raise invalid(key[:40], f"unknown parameter; this route takes {', '.join(sorted(known)) or 'none'}")
        query: dict[str, Any] = {}
        path: dict[str, Any] = {}
        header: dict[str, Any] = {}
        for param in params:
            if param.where == "path":
                path[param.name] = param.parse(request.match_info[param.name])
                continue
            source, into = (request.headers, header) if param.where == "header" else (request.query, query)
            given = source.getall(param.name, [])
            if len(given) > 1:
                raise invalid(param.name, "give it once")
            into[param.name] = param.parse(given[0]) if given else param.schema.get("default")
        return Call(token, query, path, await self._body(request), header, scope)

    async def _body(self, request: web.Request) -> Any:
        schema = self.body_schema(request)
        if schema is None:
            if request.body_exists and await request.content.read(1):
                raise ApiError(422, "invalid", "this route takes no body")
            return None
        try:
            settings = request.app[SETTINGS]
            limit = settings.max_content_bytes if self.whole_content else settings.max_body_bytes
            return check(await json_body(request, limit), schema)
        except SchemaError as error:
            raise ApiError(422, "invalid", str(error), error.field or None) from None


Handler = Callable[[web.Request, Call], Awaitable[web.StreamResponse]]
ROUTE = "api_route"  # the attribute a guarded handler keeps its Route under, for the OpenAPI document
HEADERS = "api_headers"
"""The attribute under which a decorator between `requires` and the handler (gateway.api.idempotency) declares the
header parameters it reads, so the route checks them and the document prints them."""


def requires(role: str, **accepts: Any) -> Callable[[Handler], Callable[[web.Request], Awaitable[web.StreamResponse]]]:
    """Wrap a handler so it runs only for a valid, unexpired bearer token of `role` or above (401 / 403 otherwise),
    whose scope the route's `scope` rule admits (a NATIONAL route: 403 for a scoped token), and only with the
    parameters and body its Route (`query`, `path`, `body`, and the handler's HEADERS) accepts (422 naming what is not)."""
    if accepts.get("scope") not in (None, *SCOPE_RULES):
        raise ValueError(f"scope: {accepts['scope']!r} is not one of {', '.join(SCOPE_RULES)}")

    def wrap(handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        route = Route(role, header=getattr(handler, HEADERS, ()), **accepts)

        @wraps(handler)
        async def guarded(request: web.Request) -> web.StreamResponse:
            scheme, _, token = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise ApiError(401, "unauthorized", "send `Authorization: Bearer <token>`; make one with `pishkhan tokens create`")
            try:
                info = await request.app[TOKENS].verify(token.strip())
            except TokenExpired as expired:
                raise ApiError(401, "token_expired", str(expired)) from None
            if info is None:
                raise ApiError(401, "unauthorized", "the token is unknown or revoked")
            if not info.can(role):
                raise ApiError(403, "forbidden", f"this needs the {role} role; the token has {info.role}")
            if info.agencies is not None and route.scope != AGENCY:
                raise ApiError(403, "national_only", f"this is shared by every agency: it needs a token limited to no agency; "
                                                     f"this one is for {', '.join(sorted(info.agencies))}")
            gateway = request.app[GATEWAY]
            scope = await scope_of(gateway.db, gateway.catalogue, info.agencies)
            return await handler(request, await route.parse(request, info, scope))

        setattr(guarded, ROUTE, route)
        return guarded

    return wrap

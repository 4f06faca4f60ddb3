"""What every operator API route shares: JSON errors, bounded JSON bodies and bearer-token roles."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

from aiohttp import web

from gateway.api.settings import ApiSettings
from gateway.tokens import TokenInfo, TokenStore

TOKENS = web.AppKey("api_tokens", TokenStore)


SETTINGS = web.AppKey("api_settings", ApiSettings)


class ApiError(Exception):
    """An error answered as `{"error": {"code", "message"[, "field"]}}` with an HTTP status."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        self.status, self.code, self.message, self.field = status, code, message, field
        super().__init__(message)

    def response(self) -> web.Response:
        """The JSON answer."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        headers = {"WWW-Authenticate": 'Bearer realm="pishkhan"'} if self.status == 401 else None
        return web.json_response({"error": body}, status=self.status, headers=headers)


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
        return ApiError(exc.status, code, exc.reason or code).response()


async def json_body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object, at most `max_body_bytes`; 413, 400 or 422 otherwise."""
    limit = request.app[SETTINGS].max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, "too_large", f"the body is over {limit} bytes")
    raw = await request.content.read(limit + 1)
    if len(raw) > limit:
        raise ApiError(413, "too_large", f"the body is over {limit} bytes")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "bad_json", f"the body is not valid UTF-8 JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ApiError(422, "invalid", "the body must be a JSON object")
    return data


Handler = Callable[[web.Request, TokenInfo], Awaitable[web.StreamResponse]]


def requires(role: str) -> Callable[[Handler], Callable[[web.Request], Awaitable[web.StreamResponse]]]:
    """Wrap a handler so it runs only for a valid bearer token of `role` or above (401 / 403 otherwise)."""

    def wrap(handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        @wraps(handler)
        async def guarded(request: web.Request) -> web.StreamResponse:
            scheme, _, token = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise ApiError(401, "unauthorized", "send `Authorization: Bearer <token>`; make one with `pishkhan tokens create`")
            info = await request.app[TOKENS].verify(token.strip())
            if info is None:
                raise ApiError(401, "unauthorized", "the token is unknown or revoked")
            if not info.can(role):
                raise ApiError(403, "forbidden", f"this needs the {role} role; the token has {info.role}")
            return await handler(request, info)

        return guarded

    return wrap

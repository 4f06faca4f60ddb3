"""The form that moves a record along its lifecycle: one handler for the requests desk and the complaints page.

Both forms post `to`, the lifecycle's text (a request's `reason`, a complaint's `answer`) and `seen` (the
status the operator chose the change from); a refusal re-shows the page with what was typed and the
refusal in the reader's language, under the page's text keys (`<texts>.status.<status>`, `<texts>.<text>_long`,
`<texts>.<text>_needed`, `<texts>.changed`, `<texts>.not_allowed`). The page keeps its own `@requires`:
its role and its agency scope, which `record` applies (another agency's record is a 404).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from aiohttp import web

from gateway.console.web import read_form, see_other, speaker, typed_text
from gateway.lifecycle import InvalidStatus, Lifecycle, NotFound, StatusChanged, TextRequired, TransitionNotAllowed


class Moving(Protocol):
    """A record with a status (a request, a complaint)."""

    @property
    def status(self) -> str: ...


R = TypeVar("R", bound=Moving)
R_in = TypeVar("R_in", bound=Moving, contravariant=True)


class Page(Protocol[R_in]):
    """A record's page; `error` and `typed` re-show a form that did not go through."""

    def __call__(self, request: web.Request, record: R_in, *, error: str | None = None, typed: Mapping[str, str] | None = None,
                 status: int = 200) -> Awaitable[web.Response]: ...


Move = Callable[[web.Request, R, str, str | None, str], Awaitable[object]]
"""Ask the service to move `record` to `to` with the text (None if none was typed), refused unless it is still `seen`."""


@dataclass(frozen=True)
class TransitionForm(Generic[R]):
    """What the two pages' forms differ in: the lifecycle, the text keys' prefix, how the record is found,
    shown and moved, and where the browser goes after a move."""

    lifecycle: Lifecycle
    texts: str
    record: Callable[[web.Request], Awaitable[R]]
    page: Page[R]
    move: Move[R]
    address: Callable[[R], str]

    def _say(self, request: web.Request, key: str, **values: object) -> str:
        return speaker(request).t(f"{self.texts}.{key}", **values)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Move the record the address names as the form asks; the page again, with the refusal, if it cannot be."""
        form = await read_form(request)
        record = await self.record(request)
        name, limit = self.lifecycle.text, self.lifecycle.text_limit
        to, text, seen = typed_text(form, "to"), typed_text(form, name), typed_text(form, "seen")
        typed = {"to": to, name: text}
        status_name = self._say(request, f"status.{to}") if to in self.lifecycle.statuses else to
        if len(text) > limit:
            return await self.page(request, record, error=self._say(request, f"{name}_long", limit=limit), typed=typed, status=400)
        try:
            await self.move(request, record, to, text or None, seen or record.status)
        except TextRequired:
            return await self.page(request, record, error=self._say(request, f"{name}_needed", status=status_name), typed=typed, status=400)
        except StatusChanged:
            now = await self.record(request)
            error = self._say(request, "changed", status=self._say(request, f"status.{now.status}"))
            return await self.page(request, now, error=error, typed=typed, status=409)
        except (TransitionNotAllowed, InvalidStatus):
            error = self._say(request, "not_allowed", from_=self._say(request, f"status.{record.status}"), to=status_name)
            return await self.page(request, record, error=error, typed=typed, status=400)
        except NotFound as exc:
            raise web.HTTPNotFound(reason=str(exc)) from exc
        return see_other(self.address(record))

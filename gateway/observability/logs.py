"""Log lines as text or JSON, each carrying the request id of the hop it belongs to.

A hop gets a request id when it arrives (`new_request_id`, called by its route's meter). The id is
a context variable, so it follows the hop into every coroutine and task it starts (a bot update is
processed in a task of its own: tasks copy the context). The outbox stores it in the row's `meta`
(`with_request_id`), and the dispatcher puts it back while it sends that row (`carried`): the
provider call's log lines, seconds or hours later and on any worker, name the hop that asked for them.

Personal data is masked where a line is written (flows.masking), as before; JSON changes the shape
of a line, never what it says.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import sys
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from gateway.observability.settings import LoggingSettings

REQUEST_ID: ContextVar[int | str | None] = ContextVar("request_id", default=None)
"""The current hop's number in this process (made into its id only when a line or a row needs it:
formatting costs more than the rest of a hop's counting), or an id carried from an outbox row."""
META_KEY = "request_id"
"""Where the id is kept in an outbox row's `meta`."""
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _Ids:
    """This process's random prefix and hop count: ids unique across workers and restarts without a
    system call a hop (os.urandom makes one). A forked worker draws a prefix of its own."""

    def __init__(self) -> None:
        self.reseed()
        os.register_at_fork(after_in_child=self.reseed)

    def reseed(self) -> None:
        self.prefix = os.urandom(4).hex() + "-"
        self.numbers = itertools.count(1)


_IDS = _Ids()


def new_request_id() -> None:
    """Give the current hop a fresh request id (`current_request_id` spells it, e.g. `9f1c02ab-3e7`)."""
    REQUEST_ID.set(next(_IDS.numbers))


def current_request_id() -> str | None:
    """The current hop's request id, None outside a hop."""
    found = REQUEST_ID.get()
    return f"{_IDS.prefix}{found:x}" if isinstance(found, int) else found


def with_request_id(meta: Mapping[str, Any] | None) -> dict[str, Any]:
    """An outbox row's meta with the current hop's request id added (when there is one and it has none)."""
    found = dict(meta or {})
    rid = current_request_id()
    if rid is not None:
        found.setdefault(META_KEY, rid)
    return found


@contextlib.contextmanager
def carried(meta: Mapping[str, Any]) -> Iterator[None]:
    """The request id stored with an outbox row, current while the row is sent (none: a fresh one, so a
    send's lines still go together)."""
    stored = meta.get(META_KEY)
    token = REQUEST_ID.set(stored if isinstance(stored, str) else next(_IDS.numbers))
    try:
        yield
    finally:
        REQUEST_ID.reset(token)


class RequestIdFilter(logging.Filter):
    """Puts the current request id on every record (`record.request_id`, None outside a hop)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, request id, and the
    traceback when there is one. Non-ASCII kept as is (Persian names of nodes stay readable)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
            "pid": record.process,
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure(settings: LoggingSettings, level: str | int = logging.INFO, stream: Any = None) -> logging.Handler:
    """Write the root logger's lines to `stream` (stderr) in the configured format, replacing the
    handlers `logging.basicConfig` set up; the handler, for tests."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if settings.format == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    return handler

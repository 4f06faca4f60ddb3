"""What every USSD dialect shares: page limits, direct-dial parsing and the adapter interface."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from channels.inbound import Inbound
from flows.gsm7 import fits_ussd
from flows.paging import Surface, compose_reply
from flows.reply import Reply

PREFIX_LENGTH = 4
"""`CON ` / `END `: counted against the page like the text itself."""


def ussd_surface(gsm_limit: int, ucs2_limit: int) -> Surface:
    """A surface whose pages fit the operator's limit with the `CON ` prefix counted."""
    return Surface("ussd", lambda page: fits_ussd("CON " + page, gsm_limit, ucs2_limit))


def dial_path(dialled: str, service_code: str) -> tuple[str, ...]:
    """The menu choices after the service code: `*4*3*1#` with `*4#` gives ("3", "1")."""
    base = service_code.strip().rstrip("#")
    code = dialled.strip().rstrip("#")
    if not code.startswith(base):
        return ()
    return tuple(part for part in code[len(base):].split("*") if part)


@dataclass(frozen=True)
class UssdPage:
    """A rendered answer: body, content type, and the operator's network code for limits."""

    body: str
    content_type: str = "text/plain"


class UssdDialect(Protocol):
    """One aggregator's USSD wire format."""

    name: str

    def parse(self, fields: Mapping[str, str], service_code: str) -> tuple[Inbound, str | None]:
        """The turn and the operator network code (for page caps); ChannelError when malformed."""

    def render(self, reply: Reply, inbound: Inbound) -> UssdPage:
        """The provider's answer for this reply."""


def page_text(reply: Reply) -> str:
    """The text of a page, shared by every dialect."""
    return compose_reply(reply)

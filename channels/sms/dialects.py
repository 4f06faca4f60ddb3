"""The SMS dialects by type name, as `sms.providers.<name>.type` names them."""

from __future__ import annotations

from channels.sms.base import SmsDialect
from channels.sms.generic import GenericJson
from channels.sms.jasmin import Jasmin
from channels.sms.kannel import Kannel

DIALECTS: dict[str, SmsDialect] = {d.name: d for d in (Kannel(), Jasmin(), GenericJson())}


def dialect_for(kind: str) -> SmsDialect:
    """The dialect of a provider type; KeyError names the known ones."""
    try:
        return DIALECTS[kind]
    except KeyError:
        raise KeyError(f"unknown SMS provider type {kind!r}; known: {', '.join(DIALECTS)}") from None

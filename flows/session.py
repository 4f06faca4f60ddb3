"""A conversation's state as plain data, so any store (memory, Redis) can keep it and any worker resume it."""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import attrgetter, itemgetter
from typing import Any

SESSION_VERSION = 1


@dataclass
class Session:
    """Where a citizen is in a flow, what they have entered, and how to go back."""

    channel: str
    address: str
    lang: str
    node: str
    """Current node as `flow:node`."""
    vars: dict[str, Any] = field(default_factory=dict)
    stack: list[str] = field(default_factory=list)
    """Nodes shown before this one, for `0` (back)."""
    page: int = 0
    retries: int = 0
    phone: str | None = None
    ended: bool = False
    started_at: float = 0.0
    updated_at: float = 0.0
    lang_chosen: bool = False
    """The citizen picked (or was remembered with) this language, so it is worth remembering."""
    notice: str | None = None
    """A line (an error) shown above the screen until the citizen answers it; once ended, the last words."""
    version: int = 0
    """The content version the session was last shown (0: from before versions)."""
    seen: str = ""
    """The node last counted as arrived at (analytics): a screen redrawn, paged or answered wrongly
    is not counted again, whichever process takes the next message."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form for stores."""
        data = vars(self).copy()  # every hop writes one: the instance's dict is its fields, copied in C
        if data.keys() != _FIELD_SET:  # something set beside the fields (or a field deleted): the fields alone
            data = dict(zip(_FIELDS, _read_fields(self)))
        data["vars"] = dict(self.vars)
        data["stack"] = list(self.stack)
        data["v"] = SESSION_VERSION
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Session:
        """Inverse of `to_dict`; ignores keys a newer version may have added. Every hop reads one: a
        session written with every field (this version's) gets them set as `__init__` would set
        them, without a call with sixteen keyword arguments; an older one's missing fields take
        their defaults through `__init__`."""
        try:
            values = _read_keys(data)
        except KeyError:
            return cls(**{key: value for key, value in data.items() if key in _FIELD_SET})
        session = object.__new__(cls)
        vars(session).update(zip(_FIELDS, values))
        return session


_FIELDS = tuple(Session.__dataclass_fields__)
_FIELD_SET = frozenset(_FIELDS)
_read_fields = attrgetter(*_FIELDS)
_read_keys = itemgetter(*_FIELDS)

"""Claims on providers' message ids: a text is answered once, and once more only after a failed try.

A provider sends a text again when it gets no acknowledgement (or one it cannot read). The first try
claims `dedupe:sms:<provider>:<id>`; a try that finds it taken is a duplicate and is dropped. A turn
that fails before its reply is queued releases the id by writing a retry mark: the provider's next
try then claims attempt n+1 (claims are set-once, so of two tries arriving together only one runs)
and finds in the mark whatever the failed try left for it (the reply it had already computed).

Claims are never deleted (StateStore.delete forgets values; the in-process store keeps claims
apart), hence numbered attempts rather than a freed key; the first try of every text, the common
case, stays one round trip, which also reads the conversation the text belongs to. A mark that
cannot be written, because the store itself is down, leaves the id claimed: the provider's next
try is then dropped, unless the store lost its keys meanwhile (a restarted Redis without
persistence), in which case that try is simply a first one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gateway.state import Op, StateStore, Take


@dataclass(frozen=True)
class Claim:
    """One try of a text that is ours to answer."""

    provider: str
    message_id: str
    attempt: int = 0
    left: Mapping[str, Any] = field(default_factory=dict)
    """What a failed earlier try left for this one; empty on a first try."""
    read: Sequence[Any] = ()
    """The results of the ops read with the claim (see `TextClaims.take`)."""


def claim_key(provider: str, message_id: str) -> str:
    """The set-once key of a provider's message id."""
    return f"dedupe:sms:{provider}:{message_id}"


def mark_key(provider: str, message_id: str) -> str:
    """Where a failed try says which attempt may run next."""
    return f"retry:sms:{provider}:{message_id}"


class TextClaims:
    """Claims and releases provider message ids in the shared state store."""

    def __init__(self, state: StateStore, ttl: float) -> None:
        self.state = state
        self.ttl = ttl

    async def take(self, provider: str, message_id: str, *reads: Op) -> Claim | None:
        """The claim on this try, or None for a duplicate (answered, or being answered, by another try).
        `reads`: ops sent in the same round trip as the claim (the conversation's session and language),
        whose results the claim carries."""
        key = claim_key(provider, message_id)
        taken, *read = await self.state.batch([Take(key, self.ttl), *reads])
        if taken:
            return Claim(provider, message_id, read=read)
        mark = await self.state.get(mark_key(provider, message_id))
        if mark is None or not await self.state.claim(f"{key}#{mark['attempt']}", self.ttl):
            return None
        return Claim(provider, message_id, int(mark["attempt"]), dict(mark.get("left") or {}), read)

    async def release(self, claim: Claim, left: Mapping[str, Any] | None = None) -> None:
        """Let the provider's next try of this id run, handing it `left`; raises when the store is down."""
        mark = {"attempt": claim.attempt + 1, "left": dict(left or {})}
        await self.state.set(mark_key(claim.provider, claim.message_id), mark, self.ttl)

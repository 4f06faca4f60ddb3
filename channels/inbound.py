"""The one message shape every channel adapter produces."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Inbound:
    """A citizen's turn, whatever the provider: who, on which channel, and what they sent."""

    channel: str
    """`ussd`, `sms` or `telegram`."""
    address: str
    """Where replies go: `tel:+98912...`, `telegram:<bot>:<chat id>`."""
    text: str
    """What the citizen sent this turn (USSD: only the new input)."""
    provider: str
    message_id: str | None = None
    session_id: str | None = None
    phone: str | None = None
    """E.164 number when the provider vouches for it."""
    new_session: bool = False
    """The provider started a new session (a fresh USSD dial)."""
    dial_path: tuple[str, ...] = field(default_factory=tuple)
    """Menu choices carried in a direct dial string (`*4*3*1#` -> ("3", "1"))."""
    accumulated_text: str | None = None
    """USSD dialects that resend every input joined by `*` put that string here."""
    entry: str | None = None
    """A flow to start in instead of the default (a short number's own flow)."""
    closed: bool = False
    """The network closed the session (a USSD release or timeout): there is no answer to run and
    nothing the citizen will see; the conversation waits to be resumed."""

"""The one message shape every channel adapter produces."""

from __future__ import annotations

from dataclasses import dataclass


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
    dial_path: tuple[str, ...] = ()
    """Menu choices carried in a direct dial string (`*4*3*1#` -> ("3", "1"))."""
    accumulated_text: str | None = None
    """USSD dialects that resend every input joined by `*` put that string here."""
    entry: str | None = None
    """A flow to start in instead of the default (a short number's own flow)."""
    closed: bool = False
    """The network closed the session (a USSD release or timeout): there is no answer to run and
    nothing the citizen will see; the conversation waits to be resumed."""

    def __init__(self, channel: str, address: str, text: str, provider: str, message_id: str | None = None,
                 session_id: str | None = None, phone: str | None = None, new_session: bool = False,
                 dial_path: tuple[str, ...] = (), accumulated_text: str | None = None, entry: str | None = None,
                 closed: bool = False) -> None:
        """The fields as declared above (tests/unit/test_hop_parts.py holds the two together), set
        straight into the instance's dict: every message makes one, and the generated `__init__` of
        a frozen dataclass sets each field through `object.__setattr__`, twice the cost (about 22,000
        instructions for twelve fields)."""
        fields = self.__dict__
        fields["channel"] = channel
        fields["address"] = address
        fields["text"] = text
        fields["provider"] = provider
        fields["message_id"] = message_id
        fields["session_id"] = session_id
        fields["phone"] = phone
        fields["new_session"] = new_session
        fields["dial_path"] = dial_path
        fields["accumulated_text"] = accumulated_text
        fields["entry"] = entry
        fields["closed"] = closed

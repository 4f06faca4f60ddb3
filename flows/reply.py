"""What the engine answers: channel-neutral, already paged for the channel's surface."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Choice:
    """A key the citizen may send and its label; `nav` marks back/home/more keys."""

    key: str
    label: str
    nav: bool = False


@dataclass(frozen=True)
class Reply:
    """One screen: body text, numbered choices, and whether the conversation goes on."""

    body: str
    choices: tuple[Choice, ...] = ()
    expects_input: bool = True
    end: bool = False
    lang: str = "fa"
    page: int = 0
    pages: int = 1

    @property
    def options(self) -> tuple[Choice, ...]:
        """The real choices, without navigation."""
        return tuple(c for c in self.choices if not c.nav)

    @property
    def navigation(self) -> tuple[Choice, ...]:
        """Back / home / more keys."""
        return tuple(c for c in self.choices if c.nav)

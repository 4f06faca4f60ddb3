"""`feedback:` in settings.yaml."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import PositiveFloat

from gateway.settings_base import settings_section

QUESTION = {
    "fa": "پیشخوان: از خدمت «{service}» (درخواست {code}) چقدر راضی بودید؟",
    "en": "Pishkhan: how satisfied are you with {service} (request {code})?",
}
"""The shipped question; `{service}` is the service's title, `{code}` the tracking code."""


@settings_section
@dataclass(frozen=True)
class FeedbackSettings:
    """`feedback:` in settings.yaml: whether finished requests are followed by a satisfaction survey, and how."""

    enabled: bool = True
    expires_after: PositiveFloat = 3 * 24 * 3600.0
    """Seconds a survey takes answers after it is asked; a later answer is thanked and not counted."""
    comment_window: PositiveFloat = 600.0
    """Seconds after a bot citizen taps a rating during which their next text is taken as its comment."""
    question: dict[str, str] = field(default_factory=lambda: dict(QUESTION))
    """The question per language (each of `flows.languages` needs one); `{service}` and `{code}` are filled in.
    How to answer (reply 1-5, or tap a button) is added for the channel."""

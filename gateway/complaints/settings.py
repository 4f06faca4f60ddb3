"""`complaints:` in settings.yaml."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.settings_base import settings_section


@settings_section
@dataclass(frozen=True)
class ComplaintSettings:
    """`complaints:` in settings.yaml."""

    days_to_answer: int = 10
    """Working days (gateway/calendar.py) from filing to the due date of the answer."""
    file_limit: int = 5
    file_window: float = 3600.0
    """At most `file_limit` complaints and suggestions per address within this many seconds: a text box
    open to anyone must not fill the operators' queue from one phone."""

    def __post_init__(self) -> None:
        if not 0 <= self.days_to_answer <= 365:
            raise ValueError(f"days_to_answer: {self.days_to_answer} is not from 0 to 365 working days")
        if self.file_limit < 1 or self.file_window <= 0:
            raise ValueError("file_limit and file_window: must be positive")

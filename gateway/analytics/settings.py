"""`analytics:` in settings.yaml."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import PositiveFloat

from gateway.settings_base import settings_section


@settings_section
@dataclass(frozen=True)
class AnalyticsSettings:
    flush_interval: PositiveFloat = 30.0
    """Seconds between two flushes of the in-memory counts to the store (and two looks for
    conversations abandoned since); a stopping gateway flushes once more."""

"""`privacy:` in settings.yaml."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import PositiveFloat, PositiveInt

from gateway.settings_base import settings_section


@settings_section
@dataclass(frozen=True)
class PrivacySettings:
    retention_days: PositiveInt = 365
    """Days after a request's final status (rejected, delivered, cancelled) when its personal inputs are erased;
    the statement says this number, filled in from here, so the two never disagree."""
    statement: str = "privacy.yaml"
    """The privacy statement operators write (relative to the config directory)."""
    sweep_interval: PositiveFloat = 3600.0
    """Seconds between two passes of the retention job (one worker at a time, under a lease)."""

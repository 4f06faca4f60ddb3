"""`api:` in settings.yaml."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import PositiveFloat

from gateway.settings_base import settings_section


@settings_section
@dataclass(frozen=True)
class ApiSettings:
    """`api:` in settings.yaml."""

    max_body_bytes: int = 16384
    max_content_bytes: int = 2 * 1024 * 1024
    """A publish through the API carries every flow and the whole catalogue."""
    default_page: int = 50
    max_page: int = 200
    idempotency_hours: PositiveFloat = 24.0
    """How long an `Idempotency-Key`'s answer is kept for retries (gateway.api.idempotency); purged after."""
    token_rotation_grace: int = 86400
    """Seconds a token replaced by `pishkhan tokens rotate` keeps working, so its users can switch to the new one."""

"""A clock a test moves by hand, given to the gateway (`create_app(settings, clock=...)`) or to one
part of it, so waiting for a window, a lease or an expiry takes no time at all."""

from __future__ import annotations

import time


class ManualClock:
    """Stands still at `now` (the real time when made, so stored rows look ordinary) until `advance`d."""

    def __init__(self, now: float | None = None) -> None:
        self.now = time.time() if now is None else now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

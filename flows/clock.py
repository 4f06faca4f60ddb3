"""Time as a dependency: the parts that decide by the time (a session's age, a resume window, a
link's expiry, a lease) read it from a `Clock` they are given, so a test moves time by hand instead
of sleeping (goflow's fixed clock in `test/runner_test.go` is the model). Production passes nothing
and gets the system clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable

Clock = Callable[[], float]
"""Seconds since the epoch, as `time.time` answers."""

SYSTEM_CLOCK: Clock = time.time

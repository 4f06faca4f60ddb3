"""Building the analytics parts of a gateway (called by the composition root)."""

from __future__ import annotations

from flows.clock import Clock
from gateway.analytics.recorder import Recorder
from gateway.analytics.tally import Days, Tally
from gateway.calendar import build_calendar
from gateway.sessions import SessionLifetimes
from gateway.settings import Settings
from gateway.state import StateStore
from gateway.store import Database


def build_analytics(settings: Settings, lifetimes: SessionLifetimes, db: Database, state: StateStore, clock: Clock) -> Recorder:
    """A tally counting in the calendar's local days, watching each channel's session lifetime,
    and the recorder that flushes it."""
    calendar = build_calendar(settings.calendar)
    tally = Tally(lifetimes.ttl, Days(calendar.date_of, calendar.start_of), clock)
    return Recorder(tally, db, state, settings.analytics)

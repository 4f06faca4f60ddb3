"""Short-lived shared state (sessions, duplicate ids, rate limits, send slots): one protocol, memory and Redis backends."""

from gateway.state.base import Pace, Reservation, StateStore
from gateway.state.memory import MemoryState

__all__ = ["MemoryState", "Pace", "Reservation", "StateStore"]

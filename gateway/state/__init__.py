"""Short-lived shared state (sessions, duplicate ids, rate limits, send slots): one protocol, memory and Redis backends."""

from gateway.state.base import Delete, Get, Op, Pace, Put, Reservation, StateStore, Take
from gateway.state.memory import MemoryState

__all__ = ["Delete", "Get", "MemoryState", "Op", "Pace", "Put", "Reservation", "StateStore", "Take"]

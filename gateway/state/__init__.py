"""Short-lived shared state (sessions, duplicate ids, rate limits): one protocol, memory and Redis backends."""

from gateway.state.base import StateStore
from gateway.state.memory import MemoryState

__all__ = ["MemoryState", "StateStore"]

"""Consultations (polls) with the people: operators open them, citizens answer on every channel.

    from gateway.consultations import PollService
"""

from gateway.consultations.service import Answer, Outcome, PollError, PollNotFound, PollService
from gateway.consultations.store import NewPoll, Poll, PollStore

__all__ = ["Answer", "Outcome", "PollError", "PollNotFound", "PollService", "NewPoll", "Poll", "PollStore"]

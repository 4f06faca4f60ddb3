"""The engine citizens talk to, rebuilt when the catalogue changes.

Hand-written flows are read from disk once, at start; a catalogue edit regenerates only the
catalogue's own flow and checks the whole set again, so an edit costs no disk reads and little time
on the event loop.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flows.checks import check_nodes
from flows.clock import SYSTEM_CLOCK, Clock
from flows.engine import Action, Engine
from flows.errors import FlowErrors
from flows.model import Flow
from gateway.catalogue import Catalogue
from gateway.flowfiles import build_flowset, check_context, read_flow_dir
from gateway.settings import Settings


class LiveCatalogue:
    """The catalogue in use now; swapped as a whole (never edited in place) when an operator changes it."""

    def __init__(self, current: Catalogue) -> None:
        self.current = current


@dataclass
class EngineBuilder:
    """Builds checked engines from the hand-written flows (parsed once, and again on a reload) and a catalogue."""

    settings: Settings
    handwritten: Mapping[str, Flow]
    actions: Mapping[str, Action]
    clock: Clock = SYSTEM_CLOCK

    @classmethod
    def from_disk(cls, settings: Settings, actions: Mapping[str, Action], clock: Clock = SYSTEM_CLOCK) -> EngineBuilder:
        """Read the flow directory named in the settings; FlowErrors lists every broken file."""
        errors: list = []
        handwritten = read_flow_dir(settings, errors)
        if not errors:  # each hand-written node on its own, once: an edit of the catalogue cannot change them
            errors = check_nodes(handwritten.values(), check_context(settings, actions))
        if errors:
            raise FlowErrors(errors)
        return cls(settings, handwritten, dict(actions), clock)

    def build(self, catalogue: Catalogue) -> Engine:
        """A checked engine for these flows and this catalogue (FlowErrors if they are broken)."""
        flows = build_flowset(self.settings, catalogue, self.actions, handwritten=self.handwritten, nodes_checked=self.handwritten.keys())
        return Engine(
            flows,
            self.actions,
            languages=tuple(self.settings.flows.languages),
            max_retries=self.settings.flows.max_retries,
            action_timeout=self.settings.flows.action_timeout,
            clock=self.clock,
        )

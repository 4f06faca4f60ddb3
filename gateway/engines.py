"""The engine citizens talk to: built from one checked content version, swapped whole on a change.

A catalogue edit through the API regenerates only the catalogue's own flow and checks the set again
(the hand-written flows' nodes were checked when their version was), so an edit costs little time on
the event loop.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from flows.clock import SYSTEM_CLOCK, Clock
from flows.engine import Action, Engine
from flows.model import FlowSet
from gateway.catalogue import Catalogue
from gateway.content.model import Content, Version
from gateway.flowfiles import CheckedContent, build_flowset
from gateway.settings import Settings


@dataclass(frozen=True)
class Served:
    """The version being served and everything made from it (never changed: replaced as a whole)."""

    version: Version
    checked: CheckedContent
    engine: Engine

    @property
    def content(self) -> Content:
        return self.checked.content

    @property
    def catalogue(self) -> Catalogue:
        return self.checked.catalogue


@dataclass
class EngineBuilder:
    """Builds engines for the gateway's actions and settings."""

    settings: Settings
    actions: Mapping[str, Action]
    clock: Clock = SYSTEM_CLOCK

    def engine(self, flowset: FlowSet, version: int) -> Engine:
        """An engine running `flowset`, stamping sessions with `version`."""
        flows = self.settings.flows
        return Engine(flowset, self.actions, languages=tuple(flows.languages), max_retries=flows.max_retries,
                      action_timeout=flows.action_timeout, clock=self.clock, version=version)

    def serve(self, version: Version, checked: CheckedContent) -> Served:
        """What serving `version` takes."""
        return Served(version, checked, self.engine(checked.flowset, version.number))

    def with_catalogue(self, served: Served, catalogue: Catalogue) -> CheckedContent:
        """`served`'s flows with another catalogue, checked (FlowErrors if the menus it makes are broken)."""
        flowset = build_flowset(self.settings, catalogue, self.actions, served.checked.handwritten,
                                nodes_checked=served.checked.handwritten.keys())
        return CheckedContent(served.content.with_catalogue(catalogue), served.checked.handwritten, catalogue, flowset)

    def action_names(self) -> Iterable[str]:
        return self.actions.keys()

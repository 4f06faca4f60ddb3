"""The flow graph as data: what operators write in YAML, parsed into typed, frozen nodes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flows.texts import LocalisedText
from flows.validators import Validator

RESERVED_KEYS = frozenset({"0", "00", "98", "99"})
"""Universal keys: 0 back, 00 main menu, 98 next page; 99 is kept free for later use."""


@dataclass(frozen=True)
class Option:
    """One numbered choice of a menu: its label, where it goes and variables it sets."""

    label: LocalisedText
    goto: str
    set: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Node:
    """Fields every node has: its id, the flow it belongs to and the file it came from."""

    id: str
    flow: str
    file: str


@dataclass(frozen=True)
class MenuNode(Node):
    """A text followed by numbered options."""

    text: LocalisedText
    options: tuple[Option, ...]


@dataclass(frozen=True)
class InputNode(Node):
    """A prompt whose answer is validated and stored in `var`."""

    text: LocalisedText
    validator: Validator
    validator_spec: Any
    var: str
    next: str
    retries: int = 3
    error: LocalisedText | None = None


@dataclass(frozen=True)
class MessageNode(Node):
    """Information to read; with `next` the citizen may continue, otherwise only go back or home."""

    text: LocalisedText
    next: str | None = None


@dataclass(frozen=True)
class ActionNode(Node):
    """Calls a named action the gateway provides; branches on its outcome."""

    action: str
    args: Mapping[str, str]
    next: str
    outcomes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SwitchNode(Node):
    """Branches on a variable's value without showing anything."""

    var: str
    cases: Mapping[str, str]
    default: str


@dataclass(frozen=True)
class EndNode(Node):
    """Says goodbye and closes the conversation."""

    text: LocalisedText


@dataclass(frozen=True)
class Flow:
    """A named graph of nodes with a start node."""

    id: str
    file: str
    start: str
    nodes: Mapping[str, Node]
    renames: Mapping[str, str] = field(default_factory=dict)
    """Old node id (of this flow, or `flow:node`) → where a citizen left on it continues (`flow:node`)."""


def qualify(flow: str, target: str) -> str:
    """A target as `flow:node`; a bare node id refers to the same flow."""
    return target if ":" in target else f"{flow}:{target}"


@dataclass(frozen=True)
class FlowSet:
    """Every flow the engine can run, addressed by `flow:node`; `flow` alone means its start."""

    flows: Mapping[str, Flow]
    entry: str
    home: str

    def resolve(self, ref: str) -> Node:
        """The node a `flow:node` or `flow` reference names; KeyError when there is none."""
        flow_id, _, node_id = ref.partition(":")
        flow = self.flows[flow_id]
        return flow.nodes[node_id or flow.start]

    def find(self, ref: str) -> Node | None:
        """Like `resolve`, but None for a reference that names nothing."""
        try:
            return self.resolve(ref)
        except KeyError:
            return None

    def renamed(self) -> dict[str, str]:
        """Every rename of every flow, old `flow:node` → new `flow:node`."""
        return {qualify(f.id, old): target for f in self.flows.values() for old, target in f.renames.items()}

    def with_flows(self, extra: Mapping[str, Flow]) -> FlowSet:
        """A new set with `extra` flows added or replaced (catalogue flows are rebuilt this way)."""
        return FlowSet(flows={**self.flows, **extra}, entry=self.entry, home=self.home)

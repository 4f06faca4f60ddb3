"""The flow graph's links and what a citizen can reach: one walk for the checks (dead nodes) and the
content preview (which screens a channel shows)."""

from __future__ import annotations

from collections.abc import Iterator

from flows.model import ActionNode, FlowSet, InputNode, MenuNode, MessageNode, Node, SwitchNode, qualify


def targets(node: Node) -> Iterator[tuple[str, str]]:
    """(what, target as written) for every link out of a node."""
    if isinstance(node, MenuNode):
        for number, option in enumerate(node.options, 1):
            yield f"option {number}", option.goto
    elif isinstance(node, (InputNode, ActionNode)):
        yield "`next`", node.next
        if isinstance(node, ActionNode):
            for outcome, target in node.outcomes.items():
                yield f"outcome `{outcome}`", target
    elif isinstance(node, MessageNode) and node.next:
        yield "`next`", node.next
    elif isinstance(node, SwitchNode):
        for case, target in node.cases.items():
            yield f"case `{case}`", target
        yield "`default`", node.default


def links(node: Node, channel: str | None = None) -> Iterator[str]:
    """Where a citizen can go from `node` (`flow:node`); on a given `channel`, a switch on the channel
    takes its one branch."""
    if channel is not None and isinstance(node, SwitchNode) and node.var == "channel":
        yield qualify(node.flow, node.cases.get(channel, node.default))
        return
    yield from (qualify(node.flow, target) for _, target in targets(node) if target)


def reachable(flows: FlowSet, channel: str | None = None) -> frozenset[str]:
    """The existing `flow:node` refs reachable from the entry, home and every flow's start (on one
    `channel`, or on any)."""
    roots = [flows.entry, flows.home, *(f"{f.id}:{f.start}" for f in flows.flows.values())]
    seen: set[str] = set()
    pending = [qualify(node.flow, node.id) for node in map(flows.find, roots) if node is not None]
    while pending:
        ref = pending.pop()
        node = flows.find(ref)
        if ref in seen or node is None:
            continue
        seen.add(ref)
        pending.extend(link for link in links(node, channel) if link not in seen)
    return frozenset(seen)

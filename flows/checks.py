"""Validation before anything runs: broken links, dead nodes, missing languages, pages that cannot fit."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass

from flows import phrases
from flows.errors import FlowError
from flows.graph import reachable, targets
from flows.model import ActionNode, EndNode, Flow, FlowSet, InputNode, MenuNode, Node, SwitchNode, qualify
from flows.paging import compose
from flows.reply import Choice
from flows.texts import LocalisedText, pick, substitute, variables_in

MAX_OPTIONS = 97
"""Options are numbered 1..n and 98 is `more`, so a menu holds at most 97."""

PageBudget = Callable[[str], tuple[int, int]]

_SAMPLE_VALUE = "0" * 12
"""What a `{variable}` is assumed to expand to when checking that a page fits."""


@dataclass(frozen=True)
class CheckContext:
    """What validation needs to know about the deployment."""

    languages: tuple[str, ...] = ("fa", "en")
    actions: frozenset[str] | None = None
    page_budget: PageBudget | None = None
    """(characters used, the limit that applies) of a composed page: USSD's 182 in GSM-7, 80 in UCS-2."""
    surface_name: str = "USSD"
    action_results: Mapping[str, frozenset[str]] | None = None
    """The variables each action sets (`submit_request` -> tracking_code, …); None: not checked."""


def _templates(node: Node) -> Iterator[str]:
    """Every template a node renders: its texts in each language (`_texts`) and an action's arguments."""
    for _, text in _texts(node):
        yield from text.values()
    if isinstance(node, ActionNode):
        yield from (str(v) for v in node.args.values())


def _set_by(node: Node, results: Mapping[str, frozenset[str]]) -> set[str]:
    """The variables a node can set: an input's `var`, options' `set`, an action's results."""
    if isinstance(node, InputNode):
        return {node.var}
    if isinstance(node, MenuNode):
        return {name for option in node.options for name in option.set}
    if isinstance(node, ActionNode):
        return set(results.get(node.action, ()))
    return set()


def _check_variables(flows: FlowSet, ctx: CheckContext, errors: list[FlowError]) -> None:
    """A `{variable}` no input, option or action ever sets would render as nothing: an error."""
    if ctx.action_results is None:
        return
    nodes = [node for flow in flows.flows.values() for node in flow.nodes.values()]
    known = {"lang", "channel"} | {name for node in nodes for name in _set_by(node, ctx.action_results)}
    for node in nodes:
        for name in sorted({name for text in _templates(node) for name in variables_in(text)} - known):
            close = difflib.get_close_matches(name, sorted(known), n=1)
            hint = f"did you mean `{{{close[0]}}}`?" if close else "set it with an input's `var`, an option's `set` or an action"
            errors.append(FlowError(node.file, node.id, f"`{{{name}}}` is never set", hint))


def _texts(node: Node) -> Iterator[tuple[str, LocalisedText]]:
    if hasattr(node, "text"):
        yield "`text`", node.text
    if isinstance(node, MenuNode):
        for number, option in enumerate(node.options, 1):
            yield f"option {number} label", option.label
    if isinstance(node, InputNode) and node.error:
        yield "`error`", node.error


def _suggest(missing: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(missing, list(known), n=1)
    return f"did you mean `{close[0]}`?" if close else "add that node or fix the name"


def _check_links(flows: FlowSet, errors: list[FlowError]) -> None:
    everything = [f"{f.id}:{n}" for f in flows.flows.values() for n in f.nodes]
    for flow in flows.flows.values():
        for node in flow.nodes.values():
            for what, target in targets(node):
                ref = qualify(flow.id, target)
                if flows.find(ref) is None:
                    local = [n for n in flow.nodes] if ":" not in target else everything
                    errors.append(FlowError(flow.file, node.id, f"{what} goes to `{target}`, which does not exist", _suggest(target, local)))
    for name, ref in (("entry", flows.entry), ("home", flows.home)):
        if flows.find(ref) is None:
            errors.append(FlowError("settings", None, f"{name} node `{ref}` does not exist", _suggest(ref, everything)))


def _check_reachable(flows: FlowSet, errors: list[FlowError]) -> None:
    seen = reachable(flows)
    for flow in flows.flows.values():
        for node_id in flow.nodes:
            if f"{flow.id}:{node_id}" not in seen:
                errors.append(FlowError(flow.file, node_id, "no option or `next` leads here", "link to it or delete it"))


def _check_node(node: Node, ctx: CheckContext, errors: list[FlowError]) -> None:
    for what, text in _texts(node):
        missing = [lang for lang in ctx.languages if not text.get(lang, "").strip()]
        if missing:
            errors.append(FlowError(node.file, node.id, f"{what} has no {', '.join(missing)} text", f"add `{missing[0]}: ...` to it"))
    if isinstance(node, MenuNode) and len(node.options) > MAX_OPTIONS:
        errors.append(FlowError(node.file, node.id, f"{len(node.options)} options; a menu holds at most {MAX_OPTIONS}", "split it into sub-menus"))
    if isinstance(node, ActionNode) and ctx.actions is not None and node.action not in ctx.actions:
        close = difflib.get_close_matches(node.action, sorted(ctx.actions), n=1)
        known = f"the actions are {', '.join(sorted(ctx.actions))}"
        errors.append(FlowError(node.file, node.id, f"unknown action `{node.action}`", f"did you mean `{close[0]}`? ({known})" if close else known))
    if isinstance(node, SwitchNode) and not node.default:
        errors.append(FlowError(node.file, node.id, "a switch needs a `default`", "add `default: <node id>`"))
    if ctx.page_budget is not None:
        _check_fit(node, ctx, errors)


def _check_fit(node: Node, ctx: CheckContext, errors: list[FlowError]) -> None:
    """Texts that cannot be paged (prompts, goodbyes, a single option) must fit one page."""
    assert ctx.page_budget is not None
    for lang in ctx.languages:
        nav = [Choice("0", pick(phrases.BACK, lang), nav=True), Choice("00", pick(phrases.HOME, lang), nav=True)]
        more = Choice("98", pick(phrases.MORE, lang), nav=True)
        sample = {name: _SAMPLE_VALUE for name in variables_in(pick(getattr(node, "text", {}), lang))}
        checks: list[tuple[str, str, list[Choice]]] = []
        if isinstance(node, (InputNode, EndNode)):
            checks.append(("`text`", substitute(pick(node.text, lang), sample, lang), [] if isinstance(node, EndNode) else nav))
        if isinstance(node, MenuNode):
            for number, option in enumerate(node.options, 1):
                checks.append((f"option {number} label", "", [Choice("97", pick(option.label, lang)), more, *nav]))
        for what, body, choices in checks:
            used, limit = ctx.page_budget(compose(body, choices, lang))
            if used > limit:
                problem = f"{what} ({lang}) cannot fit one {ctx.surface_name} page: {used} characters with navigation, the limit is {limit}"
                errors.append(FlowError(node.file, node.id, problem, f"shorten it by {used - limit} characters"))


def check_nodes(flows: Iterable[Flow], ctx: CheckContext) -> list[FlowError]:
    """The problems of each node on its own (texts, languages, page fit): the same whatever else is in the set."""
    errors: list[FlowError] = []
    for flow in flows:
        for node in flow.nodes.values():
            _check_node(node, ctx, errors)
    return errors


def _check_renames(flows: FlowSet, errors: list[FlowError]) -> None:
    """A rename must lead to a node that exists, from one that no longer does (else it never applies)."""
    for flow in flows.flows.values():
        for old, target in flow.renames.items():
            if flows.find(qualify(flow.id, old)) is not None:
                errors.append(FlowError(flow.file, None, f"`renames`: {old} still exists, so the rename never applies",
                                        f"remove `{old}` from `renames`"))
            if flows.find(target) is None:
                errors.append(FlowError(flow.file, None, f"`renames`: {old} leads to {target}, which does not exist", "name a node of this version"))


def check_flows(flows: FlowSet, ctx: CheckContext, *, nodes_checked: Collection[str] = ()) -> list[FlowError]:
    """Every problem in a set of flows; empty when they are ready to run. `nodes_checked`: flows whose
    nodes `check_nodes` already passed (unchanged since), so only their links are checked again."""
    errors: list[FlowError] = []
    _check_links(flows, errors)
    _check_renames(flows, errors)
    _check_reachable(flows, errors)
    _check_variables(flows, ctx, errors)
    errors.extend(check_nodes((f for f in flows.flows.values() if f.id not in nodes_checked), ctx))
    return errors

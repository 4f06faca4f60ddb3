"""Parse and check content (hand-written flows + catalogue) into a FlowSet the engine can run."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from flows.checks import CheckContext, check_flows
from flows.errors import FlowError, FlowErrors
from flows.gsm7 import ussd_budget_used
from flows.loader import parse_flow
from flows.model import Flow, FlowSet
from gateway.actions import ACTION_RESULTS
from gateway.catalogue import Catalogue, parse_catalogue
from gateway.catalogue.flows import FILE as CATALOGUE_FLOW_FILE
from gateway.catalogue.flows import FLOW_ID as CATALOGUE_FLOW_ID
from gateway.catalogue.flows import catalogue_flow
from gateway.content.model import Content, configured_content
from gateway.settings import Settings


def parse_flows(content: Content, settings: Settings, errors: list[FlowError]) -> dict[str, Flow]:
    """The hand-written flows of `content`; a flow id used twice is an error naming both files."""
    flows: dict[str, Flow] = {}
    for name in sorted(content.flows):
        flow = parse_flow(content.flows[name], content.label(name), errors, default_region=settings.flows.default_region)
        if flow is None:
            continue
        if flow.id in flows:
            errors.append(FlowError(flow.file, None, f"flow `{flow.id}` is also defined in {flows[flow.id].file}", "rename one of them"))
            continue
        flows[flow.id] = flow
    return flows


def parse_content_catalogue(content: Content, settings: Settings, errors: list[FlowError]) -> Catalogue:
    """The catalogue of `content`, with its card rules checked."""
    return parse_catalogue(content.catalogue, content.label(""), errors, default_region=settings.flows.default_region)


def read_catalogue(settings: Settings, errors: list[FlowError]) -> Catalogue:
    """The configured catalogue YAML alone (tests and benches that need no flows)."""
    try:
        return parse_content_catalogue(configured_content(settings), settings, errors)
    except FlowErrors as exc:
        errors.extend(exc.errors)
        return Catalogue((), ())


def check_context(settings: Settings, actions: Iterable[str]) -> CheckContext:
    """What flows are checked against: the languages, the actions there are, a USSD page."""
    return CheckContext(
        languages=tuple(settings.flows.languages),
        actions=frozenset(actions),
        page_budget=lambda page: ussd_budget_used("CON " + page, settings.ussd.gsm_limit, settings.ussd.ucs2_limit),
        action_results=ACTION_RESULTS,
    )


def build_flowset(
    settings: Settings,
    catalogue: Catalogue,
    actions: Iterable[str],
    handwritten: Mapping[str, Flow],
    *,
    nodes_checked: Collection[str] = (),
    generated: Flow | None = None,
) -> FlowSet:
    """Hand-written flows plus the catalogue's, checked; FlowErrors lists everything wrong.
    `nodes_checked`: flows whose nodes passed `check_nodes` already; `generated`: the catalogue's flow,
    when it was made before from the same catalogue."""
    errors: list[FlowError] = []
    flows = dict(handwritten)
    if generated is None:
        generated = parse_flow(catalogue_flow(catalogue, tuple(settings.flows.languages)), CATALOGUE_FLOW_FILE, errors,
                               default_region=settings.flows.default_region)
    if generated is not None:
        flows[generated.id] = generated
    flowset = FlowSet(flows=flows, entry=settings.flows.entry, home=settings.flows.home)
    if not errors:
        errors.extend(check_flows(flowset, check_context(settings, actions), nodes_checked=nodes_checked))
        errors.extend(_entries_missing(settings, flowset))
    if errors:
        raise FlowErrors(errors)
    return flowset


def _entries_missing(settings: Settings, flows: FlowSet) -> list[FlowError]:
    """Nodes the settings open (a short number's entry) must exist, or be renamed to one that does: a
    version removing one is refused."""
    renamed = flows.renamed()
    return [FlowError("settings.yaml", f"sms.short_numbers.{n.number}.entry", f"{n.entry!r} names no flow node",
                      "keep that node, rename it with `renames:`, or point the number at another (flow:node, e.g. main:home)")
            for n in settings.sms.short_numbers.values() if flows.find(n.entry) is None and flows.find(renamed.get(n.entry, "")) is None]


@dataclass(frozen=True)
class CheckedContent:
    """Content that passed every check: its parsed flows, catalogue and the whole flow set."""

    content: Content
    handwritten: Mapping[str, Flow]
    catalogue: Catalogue
    flowset: FlowSet


def check_content(content: Content, settings: Settings, actions: Iterable[str], *,
                  unchanged_since: CheckedContent | None = None) -> CheckedContent:
    """Parse and check everything `content` makes; FlowErrors lists every problem, with its file.
    `unchanged_since`: content checked before with these settings (the version a worker serves):
    a flow file or a catalogue that is the same in both is not checked node by node again, so a
    worker's switch to a new version costs a fraction of a full check (links, reachability and
    variables are always checked across the whole set)."""
    errors: list[FlowError] = []
    handwritten = parse_flows(content, settings, errors)
    before = unchanged_since
    same_catalogue = before is not None and before.content.catalogue == content.catalogue
    catalogue = before.catalogue if before is not None and same_catalogue else parse_content_catalogue(content, settings, errors)
    if errors:
        raise FlowErrors(errors)
    same_files = {content.label(name) for name, data in content.flows.items() if before is not None and before.content.flows.get(name) == data}
    checked = {flow.id for flow in handwritten.values() if flow.file in same_files}
    generated = before.flowset.flows[CATALOGUE_FLOW_ID] if before is not None and same_catalogue else None
    flowset = build_flowset(settings, catalogue, actions, handwritten, generated=generated,
                            nodes_checked=checked | ({CATALOGUE_FLOW_ID} if generated is not None else set()))
    return CheckedContent(content, handwritten, catalogue, flowset)

"""Read flow files and the catalogue from the config directory and build a checked FlowSet."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from pathlib import Path

import yaml

from channels.ussd.base import ussd_surface
from flows.checks import CheckContext, check_flows
from flows.errors import FlowError, FlowErrors
from flows.loader import parse_flow, parse_flow_text
from flows.model import Flow, FlowSet
from gateway.actions import ACTION_RESULTS
from gateway.catalogue import Catalogue, parse_catalogue
from gateway.catalogue.flows import FILE as CATALOGUE_FLOW_FILE
from gateway.catalogue.flows import catalogue_flow
from gateway.settings import Settings


def flow_paths(path: Path) -> list[Path]:
    """The YAML files of a flow directory (or the one file named), in a stable order."""
    if path.is_file():
        return [path]
    return sorted([*path.glob("*.yaml"), *path.glob("*.yml")])


def read_flows(paths: Iterable[Path], errors: list[FlowError], *, default_region: str) -> dict[str, Flow]:
    """Parse every file; a flow id used twice is an error naming both files."""
    flows: dict[str, Flow] = {}
    for path in paths:
        flow = parse_flow_text(path.read_text(encoding="utf-8"), str(path), errors, default_region=default_region)
        if flow is None:
            continue
        if flow.id in flows:
            errors.append(FlowError(str(path), None, f"flow `{flow.id}` is also defined in {flows[flow.id].file}", "rename one of them"))
            continue
        flows[flow.id] = flow
    return flows


def read_catalogue(settings: Settings, errors: list[FlowError]) -> Catalogue:
    """The catalogue YAML named in the settings."""
    path = settings.path(settings.catalogue.file)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        errors.append(FlowError(str(path), None, f"cannot read the catalogue: {exc}"))
        return Catalogue((), ())
    return parse_catalogue(data, str(path), errors, default_region=settings.flows.default_region)


def check_context(settings: Settings, actions: Iterable[str]) -> CheckContext:
    """What flows are checked against: the languages, the actions there are, a USSD page."""
    return CheckContext(
        languages=tuple(settings.flows.languages),
        actions=frozenset(actions),
        page_fits=ussd_surface(settings.ussd.gsm_limit, settings.ussd.ucs2_limit).fits,
        action_results=ACTION_RESULTS,
    )


def read_flow_dir(settings: Settings, errors: list[FlowError], flow_dir: Path | None = None) -> dict[str, Flow]:
    """The hand-written flows of the configured flow directory (or `flow_dir`)."""
    paths = flow_paths(flow_dir or settings.path(settings.flows.dir))
    return read_flows(paths, errors, default_region=settings.flows.default_region)


def build_flowset(
    settings: Settings,
    catalogue: Catalogue,
    actions: Iterable[str],
    flow_dir: Path | None = None,
    *,
    handwritten: Mapping[str, Flow] | None = None,
    nodes_checked: Collection[str] = (),
) -> FlowSet:
    """Hand-written flows (read from disk unless given) plus the catalogue's, checked; FlowErrors
    lists everything wrong. `nodes_checked`: flows whose nodes passed `check_nodes` already."""
    errors: list[FlowError] = []
    region = settings.flows.default_region
    flows = dict(handwritten) if handwritten is not None else read_flow_dir(settings, errors, flow_dir)
    languages = tuple(settings.flows.languages)
    generated = parse_flow(catalogue_flow(catalogue, languages), CATALOGUE_FLOW_FILE, errors, default_region=region)
    if generated is not None:
        flows[generated.id] = generated
    flowset = FlowSet(flows=flows, entry=settings.flows.entry, home=settings.flows.home)
    if not errors:
        errors.extend(check_flows(flowset, check_context(settings, actions), nodes_checked=nodes_checked))
    if errors:
        raise FlowErrors(errors)
    return flowset

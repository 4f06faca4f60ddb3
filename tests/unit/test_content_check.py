"""A worker switching versions checks only what changed node by node, yet refuses what a full check
refuses and ends with the same flows."""

from __future__ import annotations

import copy

import pytest
from content_sides import CONFIG

from flows.errors import FlowErrors
from gateway.actions import base_actions
from gateway.content.model import Content, configured_content
from gateway.flowfiles import check_content
from gateway.settings import load_settings

SETTINGS = load_settings(CONFIG, environ={})
SHIPPED = configured_content(SETTINGS)
SERVED = check_content(SHIPPED, SETTINGS, base_actions())


def edited(change) -> Content:  # type: ignore[no-untyped-def]
    flows, catalogue = copy.deepcopy(dict(SHIPPED.flows)), copy.deepcopy(dict(SHIPPED.catalogue))
    change(flows, catalogue)
    return Content(flows, catalogue)


def test_what_is_unchanged_is_reused_and_the_result_is_a_full_checks() -> None:
    def relabel(flows, catalogue):  # type: ignore[no-untyped-def]
        flows["main.yaml"]["nodes"]["home"]["options"][0]["label"]["fa"] = "خدمات نو"
    content = edited(relabel)
    quick = check_content(content, SETTINGS, base_actions(), unchanged_since=SERVED)
    full = check_content(content, SETTINGS, base_actions())
    assert quick.flowset.flows["services"] is SERVED.flowset.flows["services"]      # the catalogue's flow: not made again
    assert quick.flowset.flows == full.flowset.flows and quick.catalogue == full.catalogue
    assert quick.flowset.flows["main"].nodes["home"].options[0].label["fa"] == "خدمات نو"


@pytest.mark.parametrize("where", ["flow", "catalogue", "link"])
def test_a_change_is_refused_as_a_full_check_refuses_it(where: str) -> None:
    def breaks(flows, catalogue):  # type: ignore[no-untyped-def]
        if where == "flow":
            flows["main.yaml"]["nodes"]["track"]["text"]["fa"] = "ک" * 200                # no longer fits a USSD page
        elif where == "catalogue":
            catalogue["services"][0]["title"]["fa"] = "ت" * 40
        else:
            help_flow = flows["help.yaml"]                                                      # main.yaml, unchanged, links to help:menu
            help_flow["nodes"] = {("index" if name == "menu" else name): node for name, node in help_flow["nodes"].items()}
            help_flow["start"] = "index"
    content = edited(breaks)
    with pytest.raises(FlowErrors) as quick:
        check_content(content, SETTINGS, base_actions(), unchanged_since=SERVED)
    with pytest.raises(FlowErrors) as full:
        check_content(content, SETTINGS, base_actions())
    assert str(quick.value) == str(full.value) and str(quick.value)
    if where == "link":
        assert "goes to `help:menu`, which does not exist" in str(quick.value)

"""Validation catches broken flows before they run, with file, node and a fix in every message."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from flows.checks import CheckContext, check_flows
from flows.errors import FlowError
from flows.gsm7 import ussd_budget_used
from flows.loader import parse_flow, parse_flow_text
from flows.model import FlowSet

ROOT = Path(__file__).resolve().parents[2]


def t(text: str) -> dict[str, str]:
    return {"fa": text, "en": text}


def problems(nodes: dict, ctx: CheckContext | None = None) -> list[str]:  # type: ignore[type-arg]
    errors: list[FlowError] = []
    flow = parse_flow({"flow": "main", "start": "home", "nodes": nodes}, "flows/main.yaml", errors)
    if flow is not None and not errors:
        errors = check_flows(FlowSet({"main": flow}, entry="main:home", home="main:home"), ctx or CheckContext())
    return [str(e) for e in errors]


def test_option_to_a_missing_node_names_file_node_and_suggests_the_near_name() -> None:
    found = problems({
        "home": {"type": "menu", "text": t("Home"), "options": [{"label": t("Pay"), "goto": "confirm"}]},
        "confirm_pay": {"type": "end", "text": t("Bye")},
    })
    assert "flows/main.yaml: node `home`: option 1 goes to `confirm`, which does not exist (did you mean `confirm_pay`?)" in found


def test_unreachable_node_is_reported() -> None:
    found = problems({
        "home": {"type": "end", "text": t("Bye")},
        "orphan": {"type": "end", "text": t("Nobody comes here")},
    })
    assert any("node `orphan`" in p and "no option or `next` leads here" in p for p in found)


def test_text_missing_a_language_is_reported() -> None:
    found = problems({"home": {"type": "end", "text": {"fa": "خداحافظ"}}})
    assert any("has no en text" in p for p in found)


def test_option_without_target_and_unknown_node_type() -> None:
    found = problems({
        "home": {"type": "menu", "text": t("Home"), "options": [{"label": t("x")}]},
        "odd": {"type": "carousel"},
    })
    assert any("option 1 has no target" in p for p in found)
    assert any("unknown node type 'carousel'" in p for p in found)


def test_unknown_validator_and_action_are_reported() -> None:
    found = problems({
        "home": {"type": "input", "text": t("Code?"), "validator": "postcode", "var": "x", "next": "go"},
        "go": {"type": "action", "action": "submit_reqest", "next": "home"},
    }, CheckContext(actions=frozenset({"submit_request"})))
    assert any("validator" in p and "postcode" in p for p in found)


def test_unknown_action_suggests_the_known_one() -> None:
    found = problems({
        "home": {"type": "action", "action": "submit_reqest", "next": "bye"},
        "bye": {"type": "end", "text": t("Bye")},
    }, CheckContext(actions=frozenset({"submit_request"})))
    assert "flows/main.yaml: node `home`: unknown action `submit_reqest` (did you mean `submit_request`? (the actions are submit_request))" in found
    other = problems({"home": {"type": "action", "action": "pay", "next": "bye"}, "bye": {"type": "end", "text": t("Bye")}},
                     CheckContext(actions=frozenset({"submit_request", "request_status"})))
    assert "flows/main.yaml: node `home`: unknown action `pay` (the actions are request_status, submit_request)" in other


def test_a_goodbye_that_cannot_fit_a_ussd_page_is_reported() -> None:
    found = problems({"home": {"type": "end", "text": {"fa": "خداحافظ " * 20, "en": "Bye"}}},
                     CheckContext(page_budget=lambda page: ussd_budget_used("CON " + page)))
    assert any("`text` (fa) cannot fit one USSD page" in p and "the limit is 80" in p for p in found)


def test_yaml_syntax_error_gives_the_line() -> None:
    errors: list[FlowError] = []
    parse_flow_text("flow: main\nnodes:\n  home: {type: end\n", "flows/bad.yaml", errors)
    assert errors and "flows/bad.yaml" in str(errors[0]) and "line" in str(errors[0])


def test_cli_validate_fails_on_a_broken_flow_and_passes_the_shipped_ones(tmp_path: Path) -> None:
    ok = subprocess.run([sys.executable, "-m", "gateway", "flows", "validate"], cwd=ROOT, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("ok:")
    draft = tmp_path / "draft"  # a draft folder: flows/ and catalogue.yaml, as `flows export` writes them
    shutil.copytree(ROOT / "config" / "flows", draft / "flows")
    shutil.copy(ROOT / "config" / "catalogue.yaml", draft / "catalogue.yaml")
    main = draft / "flows" / "main.yaml"
    main.write_text(main.read_text(encoding="utf-8").replace("goto: track\n", "goto: trak\n"), encoding="utf-8")
    bad = subprocess.run([sys.executable, "-m", "gateway", "flows", "validate", str(draft)], cwd=ROOT, capture_output=True, text=True)
    assert bad.returncode == 1
    assert "node `home`: option 2 goes to `trak`, which does not exist (did you mean `track`?)" in bad.stderr


@pytest.mark.parametrize("node, message", [
    ({"type": "input", "text": {"fa": "کد", "en": "Code"}, "var": "code", "next": "home", "retires": 2},
     "unknown key `retires` (did you mean `retries`?)"),
    ({"type": "menu", "text": {"fa": "م", "en": "M"}, "options": [{"label": {"fa": "ا", "en": "A"}, "goto": "home", "got": "x"}]},
     "option 1: unknown key `got` (did you mean `goto`?)"),
    ({"type": "end", "text": {"fa": "پایان", "en": "End"}, "colour": "red"}, "unknown key `colour`"),
])
def test_an_unknown_key_in_a_node_is_an_error_naming_the_node_and_the_closest_key(node: dict, message: str) -> None:  # type: ignore[type-arg]
    errors: list = []
    parse_flow({"flow": "x", "start": "home", "nodes": {"home": {"type": "end", "text": {"fa": "خانه", "en": "Home"}}, "n": node}},
               "flows/x.yaml", errors)
    assert [str(e) for e in errors if message in str(e)], errors
    assert all(e.node == "n" for e in errors)


def test_an_unknown_key_at_the_top_of_a_flow_is_an_error() -> None:
    errors: list = []
    parse_flow({"flow": "x", "strat": "home", "nodes": {"home": {"type": "end", "text": {"fa": "خانه", "en": "Home"}}}}, "flows/x.yaml", errors)
    assert len(errors) == 1 and "unknown key `strat` (did you mean `start`?)" in str(errors[0])


RESULTS = CheckContext(action_results={"submit_request": frozenset({"tracking_code"})}, actions=frozenset({"submit_request"}))


def test_a_variable_nothing_sets_is_an_error_with_the_closest_one_that_is_set() -> None:
    assert problems({
        "home": {"type": "menu", "text": t("Home"), "options": [{"label": t("Apply"), "goto": "code"}]},
        "code": {"type": "input", "text": t("Code"), "var": "national_code", "next": "submit"},
        "submit": {"type": "action", "action": "submit_request", "next": "done"},
        "done": {"type": "end", "text": t("Code {tracking_cod} for {national_code}")},
    }, RESULTS) == ["flows/main.yaml: node `done`: `{tracking_cod}` is never set (did you mean `{tracking_code}`?)"]


def test_variables_set_by_inputs_options_and_actions_pass() -> None:
    assert problems({
        "home": {"type": "menu", "text": t("Home"), "options": [{"label": t("Apply"), "goto": "code", "set": {"kind": "new"}}]},
        "code": {"type": "input", "text": t("{kind} code"), "var": "national_code", "next": "submit"},
        "submit": {"type": "action", "action": "submit_request", "args": {"who": "{national_code}"}, "next": "done"},
        "done": {"type": "end", "text": t("{tracking_code} {lang}")},
    }, RESULTS) == []


def test_renames_must_lead_from_a_gone_node_to_one_that_exists() -> None:
    errors: list[FlowError] = []
    flow = parse_flow({"flow": "main", "start": "home", "renames": {"home": "away", "old": "gone", "older": "home"},
                       "nodes": {"home": {"type": "end", "text": t("Bye")}}}, "flows/main.yaml", errors)
    assert flow is not None and not errors and flow.renames == {"home": "main:away", "old": "main:gone", "older": "main:home"}
    found = [str(e) for e in check_flows(FlowSet({"main": flow}, entry="main:home", home="main:home"), CheckContext())]
    assert "flows/main.yaml: `renames`: home still exists, so the rename never applies (remove `home` from `renames`)" in found
    assert "flows/main.yaml: `renames`: old leads to main:gone, which does not exist (name a node of this version)" in found
    assert len(found) == 3  # home → away is both: it still exists, and away does not
    bad: list[FlowError] = []
    parse_flow({"flow": "main", "renames": ["x"], "nodes": {"home": {"type": "end", "text": t("Bye")}}}, "flows/main.yaml", bad)
    assert [str(e) for e in bad] == ["flows/main.yaml: `renames` must map old node ids to new ones (e.g. `renames: {track_old: track}`)"]

"""What changes between two contents: node by node, field by field, and as each channel's pages before
and after; the catalogue's services and categories; the nodes whose sessions will have to move."""

from __future__ import annotations

import json
import time

from content_sides import CATALOGUE, MAIN, shipped_settings, shipped_side, side, small_settings, yaml_of

from gateway.content.diff import ContentDiff, content_diff


def _diff(flow: dict | None = None, catalogue: dict | None = None) -> ContentDiff:  # type: ignore[type-arg]
    settings = small_settings()
    return content_diff(side(settings), side(settings, [flow] if flow else None, catalogue), settings)


def test_a_changed_menu_label_is_a_changed_node_with_both_ussd_pages() -> None:
    flow = yaml_of(MAIN)
    flow["nodes"]["home"]["options"][1]["label"]["fa"] = "راهنمای سامانه"
    diff = _diff(flow)
    [node] = diff.nodes
    assert (node.ref, node.change) == ("main:home", "changed")
    assert [f.line() for f in node.fields] == ['options[2].label[fa]: "راهنما" → "راهنمای سامانه"']
    assert [(s.channel, s.lang) for s in node.screens] == [("ussd", "fa"), ("sms", "fa"), ("telegram", "fa")]
    ussd = node.screens[0]
    assert ussd.lines() == [
        "- page 1/1 · 53/80 characters",
        "+ page 1/1 · 61/80 characters",
        "  CON پیشخوان دولت",
        "  ۱. پیگیری درخواست",
        "- ۲. راهنما",
        "+ ۲. راهنمای سامانه",
        "  ۳. خدمات",
    ]
    assert ussd.before is not None and ussd.before.pages[0].text.endswith("۲. راهنما\n۳. خدمات")
    assert ussd.after is not None and ussd.after.pages[0].text.endswith("۲. راهنمای سامانه\n۳. خدمات")
    assert diff.summary() == "1 node changed"
    assert diff.removed_nodes == frozenset()


def test_a_removed_node_is_listed_for_the_sessions_on_it_to_be_moved() -> None:
    flow = yaml_of(MAIN)
    del flow["nodes"]["help"]
    flow["nodes"]["home"]["options"].pop(1)
    flow["nodes"]["lookup"]["outcomes"] = {"error": "home"}
    diff = _diff(flow)
    assert diff.removed_nodes == frozenset({"main:help"})
    assert [(n.ref, n.change) for n in diff.nodes] == [("main:home", "changed"), ("main:lookup", "changed"), ("main:help", "removed")]
    assert diff.summary() == "2 nodes changed, 1 removed"
    lookup = diff.nodes[1]
    assert [f.line() for f in lookup.fields] == ['outcomes[error]: "help" → "home"']
    assert lookup.screens == ()  # an action shows nothing: it is described instead
    assert lookup.lines()[-2:] == [
        "      - (shows nothing) action `request_status`(code={code}): ok → status; error → help",
        "      + (shows nothing) action `request_status`(code={code}): ok → status; error → home",
    ]
    assert "  - main:help (removed)" in diff.lines()


def test_an_added_node_shows_its_pages_on_every_channel_in_every_language() -> None:
    flow = yaml_of(MAIN)
    flow["nodes"]["about"] = {"type": "message", "text": {"fa": "درباره ما", "en": "About us"}}
    flow["nodes"]["home"]["options"].append({"label": {"fa": "درباره", "en": "About"}, "goto": "about"})
    diff = _diff(flow)
    added = next(n for n in diff.nodes if n.change == "added")
    assert added.ref == "main:about"
    assert [(s.channel, s.lang) for s in added.screens] == [
        ("ussd", "fa"), ("sms", "fa"), ("telegram", "fa"), ("ussd", "en"), ("sms", "en"), ("telegram", "en")]
    assert added.screens[3].lines() == ["+ page 1/1 · 30/182 characters", "+ CON About us", "+ 0. Back  00. Home"]
    assert diff.summary() == "1 node changed, 1 added"


def test_a_changed_validator_and_next_are_named_even_when_the_pages_stay_the_same() -> None:
    flow = yaml_of(MAIN)
    flow["nodes"]["track"]["validator"] = "text"
    flow["nodes"]["track"]["next"] = "help"
    flow["nodes"]["home"]["options"].append({"label": {"fa": "وضعیت", "en": "Status"}, "goto": "lookup"})  # keep lookup reached
    diff = _diff(flow)
    track = next(n for n in diff.nodes if n.ref == "main:track")
    assert [f.line() for f in track.fields] == ['validator: "tracking_code" → "text"', 'next: "lookup" → "help"']
    assert track.lines()[-1] == "      (pages unchanged)"


def test_a_catalogue_fee_change_shows_the_field_and_the_cards_new_pages() -> None:
    settings = shipped_settings()
    catalogue = yaml_of((settings.config_dir / "catalogue.yaml").read_text(encoding="utf-8"))
    catalogue["services"][0].update(fee=160000, account="IR820170000000123456789001")  # a fee is paid into an account
    diff = content_diff(shipped_side(settings), shipped_side(settings, catalogue), settings)
    [service] = diff.services
    assert (service.id, service.change) == ("121095000", "changed")
    assert [f.line() for f in service.fields] == ["fee: 0 → 160000", 'account: (none) → "IR820170000000123456789001"']
    [card] = diff.nodes
    assert card.ref == "services:card_121095000"
    assert [f.line() for f in card.fields] == [
        'text[fa], line 3: "هزینه: رایگان" → "هزینه: 160,000 ریال"', 'text[en], line 3: "Fee: free" → "Fee: 160,000 rials"']
    ussd_fa = next(s for s in card.screens if (s.channel, s.lang) == ("ussd", "fa"))
    assert "- CON هزینه: رایگان" in ussd_fa.lines() and "+ CON هزینه: ۱۶۰,۰۰۰ ریال" in ussd_fa.lines()
    assert all(line.endswith("/80 characters") for line in ussd_fa.lines() if "page " in line)
    assert diff.summary() == "1 node changed, 1 service changed"
    assert "  ~ service 121095000 (کارت هوشمند ملی) changed" in diff.lines()
    assert "      fee: 0 → 160000" in diff.lines()


def test_retired_services_and_renamed_categories_are_named_and_their_menus_change() -> None:
    catalogue = yaml_of(CATALOGUE)
    catalogue["services"].append({"id": "121095100", "parent": "121095000", "title": {"fa": "المثنی", "en": "Replacement"},
                                  "type": "G2C", "channels": ["ussd"]})
    before = side(small_settings(), catalogue=catalogue)
    catalogue["services"][1]["active"] = False
    catalogue["categories"][0]["title"]["en"] = "Civil registry"
    settings = small_settings()
    diff = content_diff(before, side(settings, catalogue=catalogue), settings)
    assert [(c.id, c.change) for c in diff.services] == [("121095100", "retired")]
    assert [f.line() for f in diff.services[0].fields] == ["active: true → false"]
    assert [(c.id, c.change, [f.line() for f in c.fields]) for c in diff.categories] == [
        ("identity", "renamed", ['title[en]: "Identity" → "Civil registry"'])]
    assert diff.removed_nodes == {"services:ussd_svc_121095100", "services:card_121095100"}
    # every channel's category menus carry the new title; only USSD offered the retired sub-service
    assert [n.ref for n in diff.nodes if n.change == "changed"] == [
        "services:ussd_categories", "services:ussd_cat_identity", "services:ussd_svc_121095000", "services:sms_categories",
        "services:sms_cat_identity", "services:telegram_categories", "services:telegram_cat_identity"]
    assert diff.summary() == "7 nodes changed, 2 removed, 1 service retired, 1 category renamed"


def test_flows_added_and_removed_are_listed_with_their_nodes() -> None:
    extra = {"flow": "extra", "nodes": {"hello": {"type": "end", "text": {"fa": "سلام", "en": "Hello"}}}}
    settings = small_settings()
    with_extra = side(settings, [yaml_of(MAIN), extra])
    diff = content_diff(with_extra, side(settings), settings)
    assert [(c.id, c.change) for c in diff.flows] == [("extra", "removed")]
    assert diff.removed_nodes == {"extra:hello"}
    assert diff.lines() == ["1 flow removed, 1 node removed", "flow extra (removed)", "  - extra:hello (removed)"]
    back = content_diff(side(settings), with_extra, settings)
    assert back.summary() == "1 flow added, 1 node added"
    [hello] = back.nodes
    # a goodbye is one END page on USSD; the bot offers to start again
    assert next(s for s in hello.screens if (s.channel, s.lang) == ("ussd", "en")).lines()[1] == "+ END Hello"
    assert next(s for s in hello.screens if (s.channel, s.lang) == ("telegram", "en")).after.pages[0].buttons == (("Main menu",),)  # type: ignore[union-attr]


def test_identical_sides_say_no_changes() -> None:
    diff = _diff()
    assert diff.empty
    assert diff.summary() == "no changes"
    assert diff.lines() == ["no changes"]
    assert diff.to_dict() == {"summary": "no changes", "empty": True, "flows": [], "nodes": [], "removed_nodes": [],
                              "catalogue": {"services": [], "categories": []}}


def test_the_shipped_config_against_itself_is_empty_and_fast() -> None:
    settings = shipped_settings()
    old, new = shipped_side(settings), shipped_side(settings)  # built twice: equal content, not the same objects
    started = time.perf_counter()
    diff = content_diff(old, new, settings)
    took = time.perf_counter() - started
    assert diff.summary() == "no changes"
    assert took < 1.0, f"{took:.3f}s"  # ~15 ms measured: it compares parsed nodes and draws no page


def test_the_diff_as_data_is_json_with_each_pages_text_and_counter() -> None:
    flow = yaml_of(MAIN)
    flow["nodes"]["help"]["text"]["en"] = "Help: send your tracking code."
    data = json.loads(json.dumps(_diff(flow).to_dict(), ensure_ascii=False))
    [node] = data["nodes"]
    assert node["ref"] == "main:help" and node["change"] == "changed"
    assert node["fields"] == [{"field": "text[en]", "old": "Help: send your code.", "new": "Help: send your tracking code."}]
    ussd = next(s for s in node["screens"] if s["channel"] == "ussd")
    assert ussd["after"]["pages"][0] == {"text": "CON Help: send your tracking code.\n0. Back  00. Home", "buttons": [],
                                         "used": 52, "limit": 182, "unit": "characters", "detail": ""}
    assert data["summary"] == "1 node changed"


def test_a_flows_own_start_is_a_change_of_the_flow() -> None:
    flow = yaml_of(MAIN)
    flow["start"] = "help"
    diff = _diff(flow)
    assert [(c.id, c.change, [f.line() for f in c.fields]) for c in diff.flows] == [("main", "changed", ['start: "home" → "help"'])]
    assert diff.nodes == ()
    assert diff.lines() == ["1 flow changed", "flow main (changed)", '    start: "home" → "help"']

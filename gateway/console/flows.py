"""The console's flow pages: the live content version and its map, a node as citizens see it, and
(admins) editing, publishing and rolling back versions.

Edits go through the same Publisher as `pishkhan flows publish` and `POST /api/v1/flows` (admin
only, as there): the same checks, the same diff, the same audit entries, under `user.actor`. A
draft lives only in the form: an error re-renders it with the problems, never losing what was typed.
The form carries the version it was based on; a publish over a newer live version is refused until
the diff against that version has been shown (an operator would otherwise undo a colleague's
change unseen). The store's own compare-and-set (StaleVersion) still catches a publish racing
another between the diff and the switch.
"""

from __future__ import annotations

import asyncio
import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import yaml
from aiohttp import web
from markupsafe import Markup

from flows.errors import FlowError, FlowErrors
from flows.graph import targets
from flows.model import EndNode, FlowSet, InputNode, MenuNode, MessageNode, Node, qualify
from gateway.analytics.heat import drop_heat
from gateway.analytics.period import period
from gateway.api.flows import MAX_NOTE
from gateway.calendar import build_calendar
from gateway.console.flowmap import render_flowmap
from gateway.console.i18n import Texts
from gateway.console.web import PREFIX, NavItem, gateway_of, read_form, render, requires, see_other, signed_in, speaker
from gateway.content.diff import ContentDiff
from gateway.content.model import FLOWS_DIR, Content, Version, yaml_data, yaml_text
from gateway.content.preview import ChannelPreview, Previewer
from gateway.content.publish import Change, NothingToRollBack
from gateway.content.store import StaleVersion, UnknownVersion
from gateway.flowfiles import CheckedContent
from gateway.runtime import Gateway
from gateway.scopes import AGENCY, NATIONAL
from gateway.settings import Settings

PAGE_SIZE = 20
"""Versions a page of the list shows."""
FILE_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}[.]ya?ml")
"""A flow file's name, as the API takes it."""
MAX_FILE = 200_000
"""Characters of one flow file in the editor (the shipped ones have about 3,000)."""
BASE = f"{PREFIX}/flows"
MAPS_KEPT = 8
"""Drawn maps kept, by version and language: a version never changes, so its map never goes stale."""
MAPS = web.AppKey("flows_maps", dict)
HEAT_DAYS = ("7", "30", "90")
"""Periods (days up to today) the map can be coloured by drop-offs over."""

NAV = (NavItem(BASE, "flows.title"),)
TEXTS: Texts = {
    "flows.title": {"fa": "جریان‌ها", "en": "Flows"},
    "flows.live": {"fa": "نسخهٔ زنده", "en": "Live version"},
    "flows.version": {"fa": "نسخهٔ {number}", "en": "Version {number}"},
    "flows.number": {"fa": "نسخه", "en": "Version"},
    "flows.author": {"fa": "نویسنده", "en": "Author"},
    "flows.note": {"fa": "یادداشت", "en": "Note"},
    "flows.when": {"fa": "زمان", "en": "When"},
    "flows.versions": {"fa": "نسخه‌ها", "en": "Versions"},
    "flows.is_live": {"fa": "زنده", "en": "live"},
    "flows.map": {"fa": "نقشه", "en": "Map"},
    "flows.heat": {"fa": "رنگ بر پایهٔ رهاشدن", "en": "Colour by drop-offs"},
    "flows.heat_none": {"fa": "بی‌رنگ", "en": "No colour"},
    "flows.heat_days": {"fa": "{days} روز گذشته", "en": "last {days} days"},
    "flows.map_of": {"fa": "نقشهٔ نسخهٔ {number}", "en": "Map of version {number}"},
    "flows.none": {"fa": "هنوز نسخه‌ای منتشر نشده است.", "en": "Nothing is published yet."},
    "flows.newer": {"fa": "جدیدتر", "en": "Newer"},
    "flows.older": {"fa": "قدیمی‌تر", "en": "Older"},
    "flows.edit": {"fa": "ویرایش جریان‌ها", "en": "Edit the flows"},
    "flows.rollback": {"fa": "بازگشت به این نسخه", "en": "Roll back to this"},
    "flows.rollback_previous": {"fa": "بازگشت به نسخهٔ پیشین", "en": "Roll back to the previous version"},
    "flows.published": {"fa": "نسخهٔ {number} منتشر شد و اکنون زنده است.", "en": "Version {number} is published and live."},
    "flows.rolled_back": {"fa": "نسخهٔ {number} دوباره زنده است.", "en": "Version {number} is live again."},
    "flows.node": {"fa": "گره {ref}", "en": "Node {ref}"},
    "flows.kind": {"fa": "نوع", "en": "Kind"},
    "flows.file": {"fa": "پرونده", "en": "File"},
    "flows.texts": {"fa": "متن‌ها", "en": "Texts"},
    "flows.text": {"fa": "متن", "en": "Text"},
    "flows.option": {"fa": "گزینهٔ {number}", "en": "Option {number}"},
    "flows.error_text": {"fa": "متن خطا", "en": "Error text"},
    "flows.no_text": {"fa": "این گره متنی نشان نمی‌دهد.", "en": "This node shows no text."},
    "flows.pages": {"fa": "صفحه‌ها، آن‌گونه که شهروندان می‌بینند", "en": "Pages as citizens see them"},
    "flows.page": {"fa": "صفحهٔ {number} از {total}", "en": "Page {number} of {total}"},
    "flows.over": {"fa": "بیش از حد مجاز", "en": "over the limit"},
    "flows.unit.characters": {"fa": "{used} از {limit} نویسه", "en": "{used} of {limit} characters"},
    "flows.unit.segments": {"fa": "{used} از {limit} پیامک", "en": "{used} of {limit} SMS segments"},
    "flows.channels": {"fa": "کانال‌هایی که به این گره می‌رسند", "en": "Channels that reach it"},
    "flows.no_channel": {"fa": "هیچ کانالی به این گره نمی‌رسد.", "en": "No channel reaches it."},
    "flows.channel.ussd": {"fa": "یو‌اس‌اس‌دی", "en": "USSD"},
    "flows.channel.sms": {"fa": "پیامک", "en": "SMS"},
    "flows.channel.telegram": {"fa": "بات", "en": "Bot"},
    "flows.leads_to": {"fa": "به کجا می‌رود", "en": "Leads to"},
    "flows.reached_from": {"fa": "از کجا به آن می‌رسند", "en": "Reached from"},
    "flows.nowhere": {"fa": "هیچ", "en": "Nowhere"},
    "flows.missing": {"fa": "(وجود ندارد)", "en": "(does not exist)"},
    "flows.back": {"fa": "بازگشت به نقشه", "en": "Back to the map"},
    "flows.based_on": {"fa": "بر پایهٔ نسخهٔ {number}", "en": "Based on version {number}"},
    "flows.check": {"fa": "بررسی", "en": "Check"},
    "flows.diff": {"fa": "تفاوت‌ها", "en": "Diff"},
    "flows.publish": {"fa": "انتشار", "en": "Publish"},
    "flows.note_hint": {"fa": "چرا؟ در فهرست نسخه‌ها و گزارش ممیزی می‌آید.", "en": "Why? Shown in the versions list and the audit trail."},
    "flows.fine": {"fa": "مشکلی پیدا نشد.", "en": "No problems found."},
    "flows.problems": {"fa": "{count} مشکل", "en": "{count} problem(s)"},
    "flows.line": {"fa": "خط {line}", "en": "line {line}"},
    "flows.unchanged": {"fa": "این همان نسخهٔ زنده است؛ چیزی منتشر نشد.", "en": "This is the live version already; nothing was published."},
    "flows.no_changes": {"fa": "تفاوتی با نسخهٔ زنده ندارد.", "en": "No changes against the live version."},
    "flows.diff_against": {"fa": "تفاوت با نسخهٔ زندهٔ {number}", "en": "Changes against live version {number}"},
    "flows.removed": {"fa": "گره‌های حذف‌شده: {refs}", "en": "Nodes removed: {refs}"},
    "flows.moved": {"fa": "{count} گفتگوی زنده روی این گره‌ها به صفحه‌ای ماندگار برده می‌شود.",
                    "en": "{count} live conversation(s) on them will be moved to a surviving screen."},
    "flows.stale": {"fa": "نسخهٔ {live} پس از آغاز کار شما (بر پایهٔ نسخهٔ {base}) منتشر شد. "
                          "«تفاوت‌ها» را بزنید تا تغییر خود را در برابر آن ببینید؛ سپس می‌توانید منتشر کنید.",
                    "en": "Version {live} was published after you began (on version {base}). "
                          "Press “Diff” to see your change against it; then you may publish."},
    "flows.note_required": {"fa": "یادداشت: بنویسید چرا منتشر می‌کنید.", "en": "note: say why you publish."},
    "flows.note_long": {"fa": "یادداشت: حداکثر {limit} نویسه.", "en": "note: at most {limit} characters."},
    "flows.file_long": {"fa": "{file}: حداکثر {limit} نویسه.", "en": "{file}: at most {limit} characters."},
    "flows.confirm_rollback": {"fa": "بازگشت به نسخهٔ {number}", "en": "Roll back to version {number}"},
    "flows.confirm_text": {"fa": "پس از تأیید، شهروندان نسخهٔ {number} را می‌بینند. تغییرها در برابر نسخهٔ زندهٔ {live}:",
                           "en": "Once confirmed, citizens get version {number}. What changes against live version {live}:"},
    "flows.confirm": {"fa": "تأیید بازگشت", "en": "Confirm the rollback"},
    "flows.cancel": {"fa": "انصراف", "en": "Cancel"},
    "flows.nothing_to_roll_back": {"fa": "نسخه‌ای برای بازگشت نیست.", "en": "There is no version to roll back to."},
    "flows.rollback_stale": {"fa": "نسخهٔ زنده در این میان تغییر کرد؛ تفاوت‌ها را دوباره ببینید و تأیید کنید.",
                             "en": "The live version changed meanwhile; look at the changes again and confirm."},
}
_KINDS = {"menu": {"fa": "منو", "en": "menu"}, "input": {"fa": "پرسش", "en": "question"}, "message": {"fa": "پیام", "en": "message"},
          "action": {"fa": "کنش", "en": "action"}, "switch": {"fa": "انشعاب", "en": "switch"}, "end": {"fa": "پایان", "en": "end"}}
TEXTS = {**TEXTS, **{f"flows.kind.{kind}": words for kind, words in _KINDS.items()}}


def node_url(version: int, ref: str) -> str:
    """A node's page in a version."""
    return f"{BASE}/{version}/nodes/{quote(ref, safe=':')}"


async def _version_of(gateway: Gateway, number: int) -> tuple[Version, CheckedContent]:
    """A version's record and checked content (the served one without checking it again); 404 if none."""
    served = gateway.content.served
    if served.version.number == number:
        return served.version, served.checked
    try:
        version, content = await gateway.publisher.store.get(number)
        return version, await gateway.publisher.check(content)
    except UnknownVersion as exc:
        raise web.HTTPNotFound(reason=str(exc)) from exc
    except FlowErrors as exc:  # stored by a build with other actions: it cannot be drawn here
        raise web.HTTPNotFound(reason=f"version {number} cannot be checked by this build: {exc.errors[0]}") from exc


def _number(request: web.Request, name: str, default: int) -> int:
    """A whole number from the query string; 400 naming it when it is not one."""
    value = request.query.get(name, "")
    if not value:
        return default
    if not value.isdigit() or len(value) > 9:
        raise web.HTTPBadRequest(reason=f"{name}: expected a whole number")
    return int(value)


# -- the map and the versions ----------------------------------------------------------------------


@requires("viewer", scope=AGENCY)  # reading the shared flows tells nothing of any agency
async def index(request: web.Request) -> web.StreamResponse:
    """The live version, its map and the versions list."""
    live = await gateway_of(request).publisher.store.live_number()
    return await _overview(request, live)


@requires("viewer", scope=AGENCY)
async def version_page(request: web.Request) -> web.StreamResponse:
    """One version's map, with the versions list."""
    return await _overview(request, int(request.match_info["version"]))


async def _overview(request: web.Request, number: int | None) -> web.StreamResponse:
    gateway = gateway_of(request)
    page = max(_number(request, "page", 1), 1)
    versions, total = await gateway.publisher.store.versions(PAGE_SIZE, (page - 1) * PAGE_SIZE)
    shown, svg = None, None
    if number is not None:
        shown, checked = await _version_of(gateway, number)
        svg = await _map(request, number, checked.flowset)
        drops = request.query.get("drops", "")
        if drops and drops not in HEAT_DAYS:
            raise web.HTTPBadRequest(reason=f"drops: one of {', '.join(HEAT_DAYS)} (days), or nothing for a plain map")
        if drops:  # coloured by drop-offs over the last `drops` days
            svg = await _heat_map(request, number, checked.flowset, int(drops))
    done = {key: _number(request, key, 0) for key in ("published", "rolled_back")}
    return render(request, "flows_index.html", {
        "shown": shown, "live": await gateway.publisher.store.live_number(), "svg": svg, "versions": versions, "page": page,
        "more": page * PAGE_SIZE < total, "done": done, "heat_days": HEAT_DAYS, "drops": request.query.get("drops", "")})


async def _map(request: web.Request, number: int, flows: FlowSet) -> Markup:
    """A version's map in the page's language, drawn in a thread (a few hundred nodes take a tenth of
    a second: citizens' hops must not wait for it), once per version and language."""
    kept: dict[tuple[int, str], Markup] = request.config_dict[MAPS]
    key = (number, speaker(request).lang)
    if key not in kept:
        svg = await asyncio.to_thread(render_flowmap, flows, key[1], lambda ref: node_url(number, ref))
        kept[key] = Markup(svg)  # noqa: S704 - flowmap escapes every text and attribute it writes
        while len(kept) > MAPS_KEPT:
            kept.pop(next(iter(kept)))
    return kept[key]


async def _heat_map(request: web.Request, number: int, flows: FlowSet, days: int) -> Markup:
    """The map tinted by each node's drop-off rate over the last `days` days (drawn each time: the
    counts move)."""
    gateway = gateway_of(request)
    today = build_calendar(gateway.settings.calendar).today()
    heat = await drop_heat(gateway.db, flows, period(today - datetime.timedelta(days=days - 1), today, today))
    svg = await asyncio.to_thread(render_flowmap, flows, speaker(request).lang, lambda ref: node_url(number, ref), heat=heat)
    return Markup(svg)  # noqa: S704 - flowmap escapes every text and attribute it writes


# -- a node ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    """A link into or out of a node: what takes it (`option 1`, `next`) and the node's ref and page."""

    what: str
    ref: str
    url: str | None


@dataclass(frozen=True)
class NodeText:
    """One text of a node (`flows.text`, `flows.option` with its number …) in each language."""

    key: str
    words: Mapping[str, str]
    number: int = 0


def _texts(node: Node) -> list[NodeText]:
    """A node's texts: its text, a menu's options, a question's error text."""
    found: list[NodeText] = []
    if isinstance(node, (MenuNode, InputNode, MessageNode, EndNode)):
        found.append(NodeText("flows.text", node.text))
    if isinstance(node, MenuNode):
        found.extend(NodeText("flows.option", option.label, number) for number, option in enumerate(node.options, 1))
    if isinstance(node, InputNode) and node.error is not None:
        found.append(NodeText("flows.error_text", node.error))
    return found


def _links(flows: FlowSet, version: int, ref: str, node: Node) -> tuple[list[Link], list[Link]]:
    """Where the node leads, and which nodes lead to it."""
    def link(what: str, target: str) -> Link:
        return Link(what, target, node_url(version, target) if flows.find(target) is not None else None)

    out = [link(what, qualify(node.flow, target)) for what, target in targets(node) if target]
    into = [link(what, qualify(other.flow, other.id)) for flow in flows.flows.values() for other in flow.nodes.values()
            for what, target in targets(other) if target and qualify(other.flow, target) == ref]
    return out, into


def _screens(flows: FlowSet, settings: Settings, ref: str, languages: tuple[str, ...]) -> tuple[tuple[str, ...], list[ChannelPreview]]:
    """The channels reaching `ref` and its screen on each, in each language (tens of ms: run in a thread)."""
    previewer = Previewer(flows, settings)
    channels = previewer.channels_reaching(ref)
    return channels, [previewer.node(ref, lang, channel) for channel in channels for lang in languages]


@requires("viewer", scope=AGENCY)
async def node_page(request: web.Request) -> web.StreamResponse:
    """A node's texts, its pages on each channel that reaches it with their counters, and its links."""
    gateway = gateway_of(request)
    version, checked = await _version_of(gateway, int(request.match_info["version"]))
    ref = request.match_info["ref"]
    node = checked.flowset.find(ref) if ":" in ref else None
    if node is None:
        raise web.HTTPNotFound(reason=f"version {version.number} has no node {ref!r}")
    languages = tuple(gateway.settings.flows.languages)
    channels, screens = await asyncio.to_thread(_screens, checked.flowset, gateway.settings, ref, languages)
    out, into = _links(checked.flowset, version.number, ref, node)
    kind = type(node).__name__.removesuffix("Node").lower()
    return render(request, "flows_node.html", {
        "version": version, "ref": ref, "node": node, "kind": kind, "texts": _texts(node), "langs": languages,
        "channels": channels, "screens": screens, "out": out, "into": into})


# -- editing ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """A problem the checks found, placed where the operator fixes it."""

    file: str
    node: str | None
    line: int | None
    message: str
    hint: str | None
    url: str | None
    """The node's page in the live version, when it has that node."""


@dataclass
class Draft:
    """What the editor's form holds: the flow files as typed, the versions it rests on, the note."""

    files: dict[str, str]
    base: int
    seen: int = 0
    """The live version a diff was last shown against (0: none)."""
    note: str = ""


def node_lines(text: str) -> dict[str, int]:
    """Each node id of a flow file → the line (from 1) it starts on; {} when the YAML does not parse
    (its syntax error names the line itself)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    if not isinstance(root, yaml.MappingNode):
        return {}
    for key, value in root.value:
        if key.value == "nodes" and isinstance(value, yaml.MappingNode):
            return {str(name.value): name.start_mark.line + 1 for name, _ in value.value}
    return {}


def _label(name: str) -> str:
    return f"{FLOWS_DIR}/{name}"


def _problems(errors: list[FlowError], draft: Draft, live: FlowSet, live_number: int) -> list[Problem]:
    """The checks' errors placed at their file, node and line, each node linked to its live page."""
    by_label = {_label(name): name for name in draft.files}
    lines = {name: node_lines(text) for name, text in draft.files.items()}
    flow_of = {name: _flow_id(text) for name, text in draft.files.items()}
    found = []
    for error in errors:
        name = by_label.get(error.file)
        line = lines[name].get(error.node or "") if name else None
        ref = f"{flow_of[name]}:{error.node}" if name and error.node and flow_of[name] else None
        url = node_url(live_number, ref) if ref and live.find(ref) is not None else None
        found.append(Problem(name or error.file, error.node, line, error.message, error.hint, url))
    return found


def _flow_id(text: str) -> str | None:
    """The `flow:` a file's YAML names (None when it does not parse)."""
    errors: list[FlowError] = []
    data = yaml_data(text, "", errors)
    return str(data["flow"]) if isinstance(data, Mapping) and "flow" in data else None


def _draft(form: Mapping[str, Any]) -> Draft:
    """The draft the form sends; 400 for a field no editor form has (the page was not ours)."""
    files: dict[str, str] = {}
    for key, value in form.items():
        if key in ("csrf", "base", "seen", "note", "do"):
            continue
        name = key.removeprefix(f"{FLOWS_DIR}/")
        if name == key or not FILE_NAME.fullmatch(name) or not isinstance(value, str):
            raise web.HTTPBadRequest(reason=f"{key}: not a field of the flow editor")
        files[name] = value.replace("\r\n", "\n")
    if not files:
        raise web.HTTPBadRequest(reason="the form has no flow file")
    return Draft(files, _form_number(form, "base"), _form_number(form, "seen"), str(form.get("note", "")).strip())


def _form_number(form: Mapping[str, Any], name: str) -> int:
    value = form.get(name, "0")
    if not isinstance(value, str) or not value.isdigit() or len(value) > 9:
        raise web.HTTPBadRequest(reason=f"{name}: expected a whole number")
    return int(value)


@requires("admin", scope=NATIONAL)  # the flows are every agency's menus
async def edit_page(request: web.Request) -> web.StreamResponse:
    """The live version's flow files, each in a text box."""
    live = await gateway_of(request).publisher.store.live()
    if live is None:
        raise web.HTTPConflict(reason="nothing is published yet; publish with `pishkhan flows publish` first")
    version, content = live
    draft = Draft({name: yaml_text(data) for name, data in sorted(content.flows.items())}, version.number)
    return _editor(request, draft)


def _editor(request: web.Request, draft: Draft, *, status: int = 200, **shown: Any) -> web.Response:
    context = {"draft": draft, "problems": None, "diff": None, "change": None, "message": None, "notice": None, **shown}
    return render(request, "flows_edit.html", {**context, "lines": _diff_lines(context["diff"])}, status=status)


@requires("admin", scope=NATIONAL)
async def edit_post(request: web.Request) -> web.StreamResponse:
    """Check, diff or publish the draft; every answer but a publish re-draws the draft as typed."""
    gateway = gateway_of(request)
    form = await read_form(request)
    draft = _draft(form)
    action = form.get("do")
    if action not in ("check", "diff", "publish"):
        raise web.HTTPBadRequest(reason="do: use check, diff or publish")
    say = speaker(request)
    s = say.t
    too_long = next((name for name, text in draft.files.items() if len(text) > MAX_FILE), None)
    if too_long:
        return _editor(request, draft, status=422, message=s("flows.file_long", file=_label(too_long), limit=say.num(MAX_FILE)))
    live = await gateway.publisher.store.live()
    if live is None:
        raise web.HTTPConflict(reason="nothing is published yet")
    errors: list[FlowError] = []
    flows = {name: yaml_data(text, _label(name), errors) for name, text in draft.files.items()}
    try:
        if errors:
            raise FlowErrors(errors)
        change = await gateway.publisher.prepare_content(Content(flows, live[1].catalogue))
    except FlowErrors as failed:
        served = gateway.content.served
        return _editor(request, draft, status=422, problems=_problems(failed.errors, draft, served.checked.flowset, served.version.number))
    if action == "check":
        return _editor(request, draft, notice=s("flows.fine"))
    if action == "diff":
        draft.seen = change.live.number if change.live else 0
        return _editor(request, draft, diff=change.diff, change=change)
    return await _publish(request, draft, change)


async def _publish(request: web.Request, draft: Draft, change: Change) -> web.StreamResponse:
    """Publish a checked draft, unless it rests on an older version whose successor's diff was not shown."""
    gateway, say = gateway_of(request), speaker(request)
    s = say.t
    if not draft.note:
        return _editor(request, draft, status=422, message=s("flows.note_required"))
    if len(draft.note) > MAX_NOTE:
        return _editor(request, draft, status=422, message=s("flows.note_long", limit=say.num(MAX_NOTE)))
    assert change.live is not None
    if change.live.number not in (draft.base, draft.seen):
        return _editor(request, draft, status=409, message=s("flows.stale", live=say.num(change.live.number), base=say.num(draft.base)))
    if change.unchanged:
        return _editor(request, draft, notice=s("flows.unchanged"))
    try:
        outcome = await gateway.publisher.publish(change, author=signed_in(request).user.actor, note=draft.note)
    except StaleVersion:  # another publish came between this one's check and its switch
        live = await gateway.publisher.store.live_number() or 0
        return _editor(request, draft, status=409, message=s("flows.stale", live=say.num(live), base=say.num(draft.base)))
    await gateway.watcher.follow()
    return see_other(f"{BASE}?published={outcome.version.number}")


def _diff_lines(diff: ContentDiff | None) -> list[tuple[str, str]]:
    """The diff's lines with the class that draws them: `diff-add`, `diff-del` or none."""
    if diff is None:
        return []
    out = []
    for line in diff.lines():
        body = line.lstrip()
        out.append(("diff-add" if body.startswith("+ ") else "diff-del" if body.startswith("- ") else "", line))
    return out


# -- rolling back ----------------------------------------------------------------------------------


async def _rollback_change(gateway: Gateway, number: int) -> Change:
    """What going back to version `number` changes against the live version."""
    try:
        _, content = await gateway.publisher.store.get(number)
        return await gateway.publisher.prepare_content(content)
    except UnknownVersion as exc:
        raise web.HTTPNotFound(reason=str(exc)) from exc
    except FlowErrors as exc:
        raise web.HTTPConflict(reason=f"version {number} cannot be served by this build: {exc.errors[0]}") from exc


@requires("admin", scope=NATIONAL)
async def rollback_page(request: web.Request) -> web.StreamResponse:
    """The confirmation: the version to go back to (default: the one before the live one) and the diff."""
    gateway = gateway_of(request)
    live = await gateway.publisher.store.live_number()
    target = _number(request, "version", (live or 0) - 1)
    return await _confirmation(request, live, target)


async def _confirmation(request: web.Request, live: int | None, target: int, *, status: int = 200, message: str | None = None) -> web.Response:
    gateway = gateway_of(request)
    if live is None or target < 1 or target == live:
        raise web.HTTPConflict(reason=speaker(request).t("flows.nothing_to_roll_back"))
    change = await _rollback_change(gateway, target)
    version, _ = await gateway.publisher.store.get(target)
    return render(request, "flows_rollback.html", {"target": version, "live": live, "change": change,
                                                   "lines": _diff_lines(change.diff), "message": message}, status=status)


@requires("admin", scope=NATIONAL)
async def rollback_post(request: web.Request) -> web.StreamResponse:
    """Serve the confirmed version again, unless the live version moved since the confirmation was shown."""
    gateway = gateway_of(request)
    form = await read_form(request)
    target, base = _form_number(form, "version"), _form_number(form, "base")
    live = await gateway.publisher.store.live_number()
    if live != base:
        return await _confirmation(request, live, target, status=409, message=speaker(request).t("flows.rollback_stale"))
    try:
        outcome = await gateway.publisher.roll_back(target, by=signed_in(request).user.actor)
    except UnknownVersion as exc:
        raise web.HTTPNotFound(reason=str(exc)) from exc
    except NothingToRollBack as exc:
        raise web.HTTPConflict(reason=str(exc)) from exc
    except StaleVersion:
        return await _confirmation(request, await gateway.publisher.store.live_number(), target, status=409,
                                   message=speaker(request).t("flows.rollback_stale"))
    await gateway.watcher.follow()
    return see_other(f"{BASE}?rolled_back={outcome.version.number}")


def setup(console: web.Application) -> None:
    """Add the flow pages."""
    console[MAPS] = {}
    console.router.add_get("/flows", index)
    console.router.add_get("/flows/edit", edit_page)
    console.router.add_post("/flows/edit", edit_post)
    console.router.add_get("/flows/rollback", rollback_page)
    console.router.add_post("/flows/rollback", rollback_post)
    console.router.add_get(r"/flows/{version:\d{1,9}}", version_page)
    console.router.add_get(r"/flows/{version:\d{1,9}}/nodes/{ref}", node_page)

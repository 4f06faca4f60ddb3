"""Menus and request flows made from the catalogue, so a new service needs no hand-written flow.

The flow is built as the same mapping an operator would write in YAML and goes through the same
parser and checks, so generated and hand-written flows cannot drift apart.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flows.normalise import to_persian_digits
from flows.texts import LocalisedText
from gateway.catalogue import Catalogue, Service
from gateway.catalogue.model import CITIZEN_CHANNELS
from gateway.complaints.lifecycle import MAX_TEXT
from gateway.identity import flow as identity_flow

FLOW_ID = "services"
FILE = "<catalogue>"

_WORDS: dict[str, LocalisedText] = {
    "services": {"fa": "خدمات:", "en": "Services:"},
    "apply": {"fa": "ثبت درخواست", "en": "Apply"},
    "card": {"fa": "شناسنامه خدمت", "en": "Service card"},
    "code": {"fa": "شناسه", "en": "ID"},
    "fee": {"fa": "هزینه", "en": "Fee"},
    "free": {"fa": "رایگان", "en": "free"},
    "rials": {"fa": "ریال", "en": "rials"},
    "days": {"fa": "مدت", "en": "Time"},
    "days_unit": {"fa": "روز کاری", "en": "working days"},
    "documents": {"fa": "مدارک", "en": "Documents"},
    "hours": {"fa": "ساعات ارائه", "en": "Hours"},
    "visits": {"fa": "مراجعه حضوری", "en": "In-person visits"},
    "channels": {"fa": "کانال‌ها", "en": "Channels"},
    "complaint": {"fa": "شکایت", "en": "Complaints"},
    "steps": {"fa": "مراحل", "en": "Steps"},
    "confirm": {"fa": "«{title}»\n{fee_line}", "en": "Submit a request for {title}?\n{fee_line}"},
    "yes": {"fa": "تایید و ثبت", "en": "Confirm"},
    "complain": {"fa": "شکایت از این خدمت", "en": "Complain about it"},
    "suggest": {"fa": "پیشنهاد برای این خدمت", "en": "Suggest an improvement"},
}

RECEIPT: LocalisedText = {
    "fa": "ثبت شد. کد پیگیری:\n{tracking_code}\nمهلت: {due_date}\n{fee_text}",
    "en": "Request received. Tracking code:\n{tracking_code}\nAnswer due: {due_date}\n{fee_text}",
}
"""The last screen of a request: one USSD page (an END), the same facts also go by SMS."""
NONE_HERE: LocalisedText = {
    "fa": "خدمتی در این کانال ارائه نمی‌شود.",
    "en": "No services are offered on this channel.",
}
COMPLAINT_NODES: dict[str, Any] = {
    "complaint_text": {"type": "input", "var": "complaint_text", "next": "complaint_file",
                       "validator": {"type": "text", "max_length": MAX_TEXT},
                       "text": {"fa": f"متن خود را بنویسید (حداکثر {to_persian_digits(str(MAX_TEXT))} نویسه):",
                                "en": f"Write it in at most {MAX_TEXT} characters:"}},
    "complaint_file": {"type": "action", "action": "file_complaint", "next": "complaint_filed",
                       "args": {"kind": "{complaint_kind}", "service_id": "{complaint_service}", "text": "{complaint_text}"},
                       "outcomes": {"rate_limited": "complaint_busy", "error": "complaint_failed"}},
    "complaint_filed": {"type": "end", "text": {"fa": "ثبت شد. کد پیگیری:\n{complaint_code}\nمهلت پاسخ: {complaint_due}",
                                                "en": "Received. Tracking code:\n{complaint_code}\nAnswer due: {complaint_due}"}},
    "complaint_busy": {"type": "end", "text": {"fa": "از این شماره شکایت زیادی رسیده است. بعدا تلاش کنید.",
                                               "en": "Too many complaints from this number. Please try later."}},
    "complaint_failed": {"type": "message", "text": {"fa": "ثبت ممکن نشد. لطفا بعدا تلاش کنید.",
                                                     "en": "It could not be registered. Please try later."}},
}
"""A complaint or suggestion about a service, reached from its card (which sets `complaint_kind` and
`complaint_service`): the text, then the `file_complaint` action (gateway/complaints/actions.py)."""
FAILED: LocalisedText = {
    "fa": "ثبت درخواست ممکن نشد. لطفا بعدا تلاش کنید.",
    "en": "Your request could not be registered. Please try later.",
}


def money(amount: int, lang: str) -> str:
    """A fee as people read it: grouped digits and the unit, or `free`."""
    if amount == 0:
        return _WORDS["free"][lang]
    return f"{amount:,} {_WORDS['rials'][lang]}"


def _each(languages: tuple[str, ...], make: Any) -> dict[str, str]:
    return {lang: make(lang) for lang in languages}


def card_text(service: Service, lang: str) -> str:
    """The full identity card in one language (paged by the channel when long)."""
    w = {k: v[lang] for k, v in _WORDS.items()}
    lines = [
        service.title[lang],
        f"{w['code']}: {service.id} ({service.type})",
        f"{w['fee']}: {money(service.fee, lang)}",
        f"{w['days']}: {service.days_to_deliver} {w['days_unit']}",
    ]
    if service.description.get(lang):
        lines.append(service.description[lang])
    if service.documents:
        lines.append(f"{w['documents']}: " + "، ".join(d[lang] for d in service.documents) if lang == "fa"
                     else f"{w['documents']}: " + "; ".join(d[lang] for d in service.documents))
    if service.hours.get(lang):
        lines.append(f"{w['hours']}: {service.hours[lang]}")
    lines.append(f"{w['visits']}: {service.visits}")
    if service.channels:
        lines.append(f"{w['channels']}: {', '.join(service.channels)}")
    if service.steps:
        lines.append(f"{w['steps']}: " + " ← ".join(s[lang] for s in service.steps) if lang == "fa"
                     else f"{w['steps']}: " + " → ".join(s[lang] for s in service.steps))
    if service.complaint.get(lang):
        lines.append(f"{w['complaint']}: {service.complaint[lang]}")
    return "\n".join(lines)


def _reachable(catalogue: Catalogue, channel: str) -> list[Service]:
    """Services a citizen on `channel` can get to: offered there, under a parent that is too."""
    found: list[Service] = []
    pending = [s for c in catalogue.categories for s in catalogue.top_level(c.id, channel)]
    while pending:
        service = pending.pop(0)
        found.append(service)
        pending.extend(catalogue.children(service.id, channel))
    return found


def _menus(catalogue: Catalogue, channel: str) -> dict[str, Any]:
    """One channel's menus, numbered 1..n over only what that channel offers: categories with
    nothing on it are left out, and a service's menu lists only its sub-services offered there."""
    nodes: dict[str, Any] = {}
    categories = [c for c in catalogue.categories if catalogue.top_level(c.id, channel)]
    if not categories:
        nodes[f"{channel}_categories"] = {"type": "message", "text": NONE_HERE}
        return nodes
    nodes[f"{channel}_categories"] = {"type": "menu", "text": _WORDS["services"], "options": [
        {"label": dict(c.title), "goto": f"{channel}_cat_{c.id}"} for c in categories
    ]}
    for category in categories:
        nodes[f"{channel}_cat_{category.id}"] = {"type": "menu", "text": dict(category.title), "options": [
            {"label": dict(s.label), "goto": f"{channel}_svc_{s.id}"} for s in catalogue.top_level(category.id, channel)
        ]}
    for service in _reachable(catalogue, channel):
        options = [{"label": dict(c.label), "goto": f"{channel}_svc_{c.id}"} for c in catalogue.children(service.id, channel)]
        if service.inputs:
            options.append({"label": _WORDS["apply"], "goto": f"req_{service.id}_0"})
        options.append({"label": _WORDS["card"], "goto": f"card_{service.id}"})
        # The title alone, so the options fit the first Persian USSD page; fee and time are on the card
        # and on the confirm screen before anything is submitted.
        nodes[f"{channel}_svc_{service.id}"] = {"type": "menu", "text": dict(service.title), "options": options}
    return nodes


def _service_nodes(service: Service, languages: tuple[str, ...]) -> dict[str, Any]:
    """A service's card and request questions, shared by every channel that offers it."""
    sid = service.id
    # The card's "how to complain" made an action: a complaint or a suggestion about this service.
    nodes: dict[str, Any] = {f"card_{sid}": {"type": "menu", "text": _each(languages, lambda lang: card_text(service, lang)), "options": [
        {"label": _WORDS[kind], "goto": "complaint_text", "set": {"complaint_kind": name, "complaint_service": sid}}
        for kind, name in (("complain", "complaint"), ("suggest", "suggestion"))]}}
    for index, item in enumerate(service.inputs):
        last = index == len(service.inputs) - 1
        nodes[f"req_{sid}_{index}"] = {
            "type": "input", "text": dict(item.prompt), "validator": item.validator, "var": item.name,
            "next": f"confirm_{sid}" if last else f"req_{sid}_{index + 1}",
        }
    if service.inputs:
        confirm = _each(languages, lambda lang: _WORDS["confirm"][lang].replace("{title}", service.label[lang]).replace(
            "{fee_line}", f"{_WORDS['fee'][lang]}: {money(service.fee, lang)}"))
        # One option: `00` cancels, and the screen keeps to one Persian USSD page.
        nodes[f"confirm_{sid}"] = {"type": "menu", "text": confirm, "options": [{"label": _WORDS["yes"], "goto": f"submit_{sid}"}]}
        nodes[f"submit_{sid}"] = {"type": "action", "action": "submit_request", "args": {"service_id": sid},
                                  "next": "receipt", "outcomes": {"error": "failed", **identity_flow.submit_outcomes(service)}}
        nodes.update(identity_flow.service_nodes(service))
    return nodes


def catalogue_flow(catalogue: Catalogue, languages: tuple[str, ...]) -> dict[str, Any]:
    """The `services` flow as a YAML-shaped mapping: `categories` switches on the session's channel
    to that channel's menus (categories -> services -> card / request); cards and request questions
    are shared. A session on a channel Pishkhan does not know sees no services."""
    nodes: dict[str, Any] = {
        "categories": {"type": "switch", "var": "channel", "default": "none_here",
                       "cases": {channel: f"{channel}_categories" for channel in CITIZEN_CHANNELS}},
        "none_here": {"type": "message", "text": NONE_HERE},
        "receipt": {"type": "end", "text": RECEIPT},
        "failed": {"type": "message", "text": FAILED},
    }
    offered: set[str] = set()
    for channel in CITIZEN_CHANNELS:
        nodes.update(_menus(catalogue, channel))
        offered.update(s.id for s in _reachable(catalogue, channel))
    for service in catalogue.services:  # in catalogue order, so the flow reads like the catalogue
        if service.id in offered:
            nodes.update(_service_nodes(replace(service, complaint=catalogue.complaint_of(service)), languages))
    if offered:  # the cards lead there
        nodes.update(COMPLAINT_NODES)
    if any(s.identity_check and s.inputs for s in catalogue.services if s.id in offered):
        nodes.update(identity_flow.SHARED)
    return {"flow": FLOW_ID, "start": "categories", "nodes": nodes}


def catalogue_warnings(catalogue: Catalogue) -> list[str]:
    """Cards that take requests nobody can make: no citizen channel offers the service, or none
    that offers it also offers its parent (whose menu leads to it)."""
    reachable = {s.id for channel in CITIZEN_CHANNELS for s in _reachable(catalogue, channel)}
    choices = ", ".join(CITIZEN_CHANNELS)
    warnings = []
    for service in catalogue.services:
        if not service.active or not service.inputs or service.id in reachable:
            continue
        name = f"service {service.id} ({service.title.get('en') or next(iter(service.title.values()), '')})"
        on = [c for c in CITIZEN_CHANNELS if service.offered_on(c)]
        if on:
            warnings.append(f"{name} takes requests on {', '.join(on)}, but its parent {service.parent} is not offered there,"
                            f" so no menu leads to it: add {', '.join(on)} to the parent's `channels`")
        else:
            warnings.append(f"{name} takes requests, but no citizen channel offers it (channels: {', '.join(service.channels) or 'none'}):"
                            f" add one of {choices} to its `channels`, or drop its `inputs` if citizens never apply")
    return warnings

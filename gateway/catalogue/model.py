"""The service catalogue: every service's identity card (seed 001), read from YAML and checked."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flows.errors import FlowError
from flows.graphemes import clusters
from flows.loader import unknown_keys
from flows.texts import LocalisedText
from flows.validators import build_validator

SERVICE_ID = re.compile(r"^[1-9][0-9]{8}$")
AGENCY_ID = re.compile(r"^[a-z][a-z0-9_]{1,31}$")
"""An agency's id: a short lower-case ASCII slug (`sabt`, `police`), used in tokens' scopes and event URLs."""
SERVICE_TYPES = ("G2C", "G2B", "G2G")
CHANNELS = ("web", "email", "ivr", "app", "sms", "ussd", "telegram", "counter")
CITIZEN_CHANNELS = ("ussd", "sms", "telegram")
"""The channels Pishkhan itself serves. A card names them as sessions do: `telegram` is every Bot
API bot (Bale included); the other CHANNELS are served elsewhere (web portals, counters)."""


# what these validators check identifies a person, so such inputs are personal unless the card says otherwise
PERSONAL_KINDS = frozenset({"national_code", "mobile", "date"})


@dataclass(frozen=True)
class ServiceInput:
    """One thing a request asks for: stored under `name`, checked by `validator`.

    `personal` answers are masked for viewers (names, dates of birth, postal codes...).
    """

    name: str
    validator: Any
    prompt: LocalisedText
    personal: bool = False

    @property
    def kind(self) -> str:
        """The validator's type name (`national_code`, `text`...)."""
        return _kind(self.validator)


def _kind(spec: Any) -> str:
    return str(spec.get("type") if isinstance(spec, Mapping) else spec)


@dataclass(frozen=True)
class Agency:
    """A government body (دستگاه) that owns services: its staff and systems see only its own requests."""

    id: str
    name: LocalisedText
    complaints: LocalisedText
    """Where citizens take a complaint about the agency; a card without its own `complaint` shows this."""


@dataclass(frozen=True)
class Service:
    """A service's identity card plus the inputs a request for it needs."""

    id: str
    title: LocalisedText
    type: str
    category: str
    agency: str = ""
    """The owning agency's id; a sub-service takes its parent's unless it names its own."""
    parent: str | None = None
    short: LocalisedText | None = None
    description: LocalisedText = field(default_factory=dict)
    documents: tuple[LocalisedText, ...] = ()
    days_to_deliver: int = 0
    hours: LocalisedText = field(default_factory=dict)
    visits: int = 0
    fee: int = 0
    account: str | None = None
    channels: tuple[str, ...] = ()
    complaint: LocalisedText = field(default_factory=dict)
    steps: tuple[LocalisedText, ...] = ()
    inputs: tuple[ServiceInput, ...] = ()
    active: bool = True
    identity_check: bool = False
    """Before a request is submitted, the citizen's mobile number must belong to the national code
    they typed (gateway.identity): the agency need not ask for copies of identity documents."""

    def offered_on(self, channel: str) -> bool:
        """The card lists this channel: only there is the service in the menus and open to requests."""
        return channel in self.channels

    @property
    def label(self) -> LocalisedText:
        """What a menu shows: the short title when there is one."""
        return self.short or self.title

    def to_dict(self) -> dict[str, Any]:
        """The card as JSON-ready data (operator API, storage)."""
        return {
            "id": self.id, "parent": self.parent, "category": self.category, "agency": self.agency or None, "title": dict(self.title),
            "short": dict(self.short) if self.short else None, "type": self.type,
            "description": dict(self.description), "documents": [dict(d) for d in self.documents],
            "days_to_deliver": self.days_to_deliver, "hours": dict(self.hours), "visits": self.visits,
            "fee": self.fee, "account": self.account, "channels": list(self.channels),
            "complaint": dict(self.complaint), "steps": [dict(s) for s in self.steps],
            "inputs": [{"name": i.name, "validator": i.validator, "prompt": dict(i.prompt), "personal": i.personal} for i in self.inputs],
            "active": self.active, "identity_check": self.identity_check,
        }


@dataclass(frozen=True)
class Category:
    """A group of services shown as one entry of the services menu."""

    id: str
    title: LocalisedText


@dataclass(frozen=True)
class Catalogue:
    """Categories and services, in the order operators listed them."""

    categories: tuple[Category, ...]
    services: tuple[Service, ...]
    agencies: tuple[Agency, ...] = ()

    def to_data(self, services: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """The catalogue as the data it would be read from (with `services` instead of its own, when given)."""
        data: dict[str, Any] = {
            "categories": [{"id": c.id, "title": dict(c.title)} for c in self.categories],
            "services": [s.to_dict() for s in self.services] if services is None else services,
        }
        if self.agencies:
            data = {"agencies": [{"id": a.id, "name": dict(a.name), "complaints": dict(a.complaints)} for a in self.agencies], **data}
        return data

    def agency(self, agency_id: str) -> Agency | None:
        """An agency by its id."""
        return next((a for a in self.agencies if a.id == agency_id), None)

    def complaint_of(self, service: Service) -> LocalisedText:
        """Where citizens complain about `service`: its card's own words, else its agency's."""
        agency = self.agency(service.agency)
        return service.complaint or (agency.complaints if agency else {})

    def get(self, service_id: str) -> Service | None:
        """A service by its 9-digit id."""
        return self._by_id.get(service_id)

    @property
    def _by_id(self) -> Mapping[str, Service]:
        cached = self.__dict__.get("_index")
        if cached is None:
            cached = {s.id: s for s in self.services}
            object.__setattr__(self, "_index", cached)
        return cached

    def children(self, service_id: str, channel: str | None = None) -> list[Service]:
        """Active sub-services of a service (offered on `channel`, when one is named)."""
        return [s for s in self.services if s.parent == service_id and s.active and (channel is None or s.offered_on(channel))]

    def top_level(self, category: str, channel: str | None = None) -> list[Service]:
        """Active services of a category that are not sub-services (offered on `channel`, when one is named)."""
        return [s for s in self.services if s.category == category and s.parent is None and s.active
                and (channel is None or s.offered_on(channel))]


SERVICE_KEYS = frozenset({
    "id", "parent", "category", "agency", "title", "short", "type", "description", "documents", "days_to_deliver", "hours",
    "visits", "fee", "account", "channels", "complaint", "steps", "inputs", "active", "identity_check",
})
"""The keys of an identity card: any other (`fees:` for `fee:`) is an error, never a silent default."""
INPUT_KEYS = frozenset({"name", "validator", "prompt", "personal"})
CATEGORY_KEYS = frozenset({"id", "title"})
AGENCY_KEYS = frozenset({"id", "name", "complaints"})
CATALOGUE_KEYS = frozenset({"agencies", "categories", "services"})


class _CardReader:
    """Reads one service mapping, recording problems as FlowErrors that name the service."""

    def __init__(self, file: str, ident: str, data: Mapping[str, Any], errors: list[FlowError]) -> None:
        self.file, self.ident, self.data, self.errors = file, ident, data, errors

    def fail(self, message: str, hint: str | None = None) -> None:
        self.errors.append(FlowError(self.file, self.ident, message, hint))

    def only(self, known: frozenset[str], data: Mapping[str, Any] | None = None, where: str = "") -> None:
        """Record every key of `data` (the card's own by default) that `known` does not list."""
        for key, close in unknown_keys(self.data if data is None else data, known):
            self.fail(f"{where}unknown key `{key}`", f"did you mean `{close}`?" if close else f"known keys: {', '.join(sorted(known))}")

    def text(self, key: str, required: bool = False) -> dict[str, str]:
        value = self.data.get(key)
        if value is None:
            if required:
                self.fail(f"`{key}` is missing", f"add `{key}: {{fa: ..., en: ...}}`")
            return {}
        if not isinstance(value, Mapping):
            self.fail(f"`{key}` must map languages to texts", f"write `{key}: {{fa: ..., en: ...}}`")
            return {}
        return {str(k): str(v) for k, v in value.items()}

    def texts(self, key: str) -> tuple[LocalisedText, ...]:
        value = self.data.get(key) or []
        if not isinstance(value, Sequence) or isinstance(value, str):
            self.fail(f"`{key}` must be a list of {{fa: ..., en: ...}} texts")
            return ()
        return tuple(_CardReader(self.file, self.ident, {"t": v}, self.errors).text("t", required=True) for v in value)

    def count(self, key: str) -> int:
        value = self.data.get(key, 0)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            self.fail(f"`{key}` must be a whole number, 0 or more")
            return 0
        return value


def _inputs(reader: _CardReader, default_region: str) -> tuple[ServiceInput, ...]:
    raw = reader.data.get("inputs") or []
    if not isinstance(raw, list):
        reader.fail("`inputs` must be a list")
        return ()
    inputs = []
    for item in raw:
        if not isinstance(item, Mapping) or not str(item.get("name", "")).isidentifier():
            reader.fail("each input needs a `name` (a variable name)", "e.g. `name: national_code`")
            continue
        reader.only(INPUT_KEYS, item, where=f"input `{item['name']}`: ")
        spec = item.get("validator", "text")
        try:
            build_validator(spec, default_region=default_region)
        except (ValueError, TypeError) as exc:
            reader.fail(f"input `{item['name']}`: {exc}")
            continue
        prompt = _CardReader(reader.file, reader.ident, item, reader.errors).text("prompt", required=True)
        personal = item.get("personal", _kind(spec) in PERSONAL_KINDS)
        if not isinstance(personal, bool):
            reader.fail(f"input `{item['name']}`: `personal` must be true or false")
            continue
        inputs.append(ServiceInput(name=str(item["name"]), validator=spec, prompt=prompt, personal=personal))
    return tuple(inputs)


TITLE_LIMITS = {"fa": 28}
"""Characters of a title that fit a USSD menu line: 28 in Persian (a UCS-2 page holds 80), else `TITLE_LIMIT`."""
TITLE_LIMIT = 32
SHORT_LIMIT = 18
"""A `short` menu label, in any language."""
PREFIX = 6
"""Digits a sub-service shares with its parent (121095000 -> 121095100)."""


def _check_lengths(reader: _CardReader, key: str, text: Mapping[str, str], limit: Callable[[str], int]) -> None:
    for lang, value in text.items():
        if len(clusters(value)) > limit(lang):
            reader.fail(f"`{key}.{lang}` is {len(clusters(value))} characters; at most {limit(lang)} fit a USSD menu line",
                        "shorten it" + (", or give a `short` menu label" if key == "title" else ""))


def _check_fee(reader: _CardReader, fee: int, account: str | None) -> None:
    if fee > 0 and account is None:
        reader.fail(f"`fee` is {fee} rials but there is no `account` to pay it into", "add `account: <treasury IBAN>`, or make the fee 0")
    if fee == 0 and account is not None:
        reader.fail("`account` is set but the service is free (`fee: 0`)", "remove `account`, or set the fee")


def _identity_check(reader: _CardReader, inputs: tuple[ServiceInput, ...]) -> bool:
    """`identity_check: true` checks the citizen's number against the national code they type, so the
    card must ask for one."""
    value = reader.data.get("identity_check", False)
    if not isinstance(value, bool):
        reader.fail(f"`identity_check` must be true or false, not {value!r}")
        return False
    if value and not any(item.kind == "national_code" for item in inputs):
        reader.fail("`identity_check` is true but no input asks for a national code to check the mobile number against",
                    "add an input with `validator: national_code`, or set `identity_check: false`")
        return False
    return value


def parse_service(data: Any, file: str, errors: list[FlowError], *, default_region: str = "IR") -> Service | None:
    """One service card from its mapping; None (with errors recorded) when it is unusable."""
    ident = str(data.get("id", "?")) if isinstance(data, Mapping) else "?"
    reader = _CardReader(file, f"service {ident}", data if isinstance(data, Mapping) else {}, errors)
    reader.only(SERVICE_KEYS)
    if not SERVICE_ID.match(ident):
        reader.fail("`id` must be a 9-digit service id", "e.g. `id: \"121095000\"` (quote it)")
        return None
    kind = reader.data.get("type")
    if kind not in SERVICE_TYPES:
        reader.fail(f"`type` is {kind!r}", f"use one of {', '.join(SERVICE_TYPES)}")
    channels = tuple(str(c) for c in reader.data.get("channels") or ())
    unknown = [c for c in channels if c not in CHANNELS]
    if unknown:
        reader.fail(f"unknown channels {unknown}", f"use any of {', '.join(CHANNELS)}")
    parent = reader.data.get("parent")
    title, short = reader.text("title", required=True), reader.text("short") or None
    _check_lengths(reader, "title", title, lambda lang: TITLE_LIMITS.get(lang, TITLE_LIMIT))
    _check_lengths(reader, "short", short or {}, lambda lang: SHORT_LIMIT)
    fee, account = reader.count("fee"), str(reader.data["account"]) if reader.data.get("account") else None
    _check_fee(reader, fee, account)
    inputs = _inputs(reader, default_region)
    return Service(
        id=ident,
        parent=str(parent) if parent else None,
        category=str(reader.data.get("category") or ""),
        agency=str(reader.data.get("agency") or ""),
        title=title,
        short=short,
        type=str(kind),
        description=reader.text("description"),
        documents=reader.texts("documents"),
        days_to_deliver=reader.count("days_to_deliver"),
        hours=reader.text("hours"),
        visits=reader.count("visits"),
        fee=fee,
        account=account,
        channels=channels,
        complaint=reader.text("complaint"),
        steps=reader.texts("steps"),
        inputs=inputs,
        active=bool(reader.data.get("active", True)),
        identity_check=_identity_check(reader, inputs),
    )


def _inherit_categories(services: list[Service], file: str, errors: list[FlowError]) -> list[Service]:
    """Sub-services take their parent's category and agency; a parent must exist and share the id prefix."""
    by_id = {s.id: s for s in services}
    result = []
    for service in services:
        if service.parent:
            parent = by_id.get(service.parent)
            if parent is None:
                errors.append(FlowError(file, f"service {service.id}", f"parent {service.parent} does not exist", "add it or fix `parent`"))
                continue
            if service.id[:PREFIX] != parent.id[:PREFIX]:
                errors.append(FlowError(file, f"service {service.id}", f"does not share its parent's first {PREFIX} digits {parent.id[:PREFIX]}",
                                        f"a sub-service of {parent.id} has an id {parent.id[:PREFIX]}xxx"))
            service = Service(**{**service.__dict__, "category": service.category or parent.category,
                                 "agency": service.agency or parent.agency})
        result.append(service)
    return result


def parse_catalogue(data: Any, file: str, errors: list[FlowError], *, default_region: str = "IR") -> Catalogue:
    """The whole catalogue; problems are appended to `errors` and bad services left out."""
    if not isinstance(data, Mapping):
        errors.append(FlowError(file, None, "the catalogue must be a mapping with `categories` and `services`"))
        return Catalogue((), ())
    top = _CardReader(file, "", data, errors)
    top.only(CATALOGUE_KEYS)
    agencies = _agencies(data.get("agencies"), file, errors)
    categories = []
    for item in data.get("categories") or []:
        if isinstance(item, Mapping):
            reader = _CardReader(file, f"category {item.get('id')}", item, errors)
            reader.only(CATEGORY_KEYS)
            categories.append(Category(id=str(item.get("id")), title=reader.text("title", required=True)))
    services: list[Service] = []
    seen: set[str] = set()
    for item in data.get("services") or []:
        service = parse_service(item, file, errors, default_region=default_region)
        if service is None:
            continue
        if service.id in seen:
            errors.append(FlowError(file, f"service {service.id}", "this id is used twice", "give each service its own id"))
            continue
        seen.add(service.id)
        services.append(service)
    services = _inherit_categories(services, file, errors)
    if "agencies" in data:
        services = _with_agencies(services, {a.id: a for a in agencies}, file, errors)
    else:
        # a catalogue from before agencies: one body owns it all, and no card names one (reported once, not per sub-service)
        inherited = {s.id: s.agency for s in services}
        for service in (s for s in services if s.agency and inherited.get(s.parent or "") != s.agency):
            errors.append(FlowError(file, f"service {service.id}", f"agency {service.agency!r} is not listed",
                                    "list the agencies under `agencies:`"))
    known = {c.id for c in categories}
    for service in services:
        if service.category not in known:
            errors.append(FlowError(file, f"service {service.id}", f"category {service.category!r} is not listed", f"use one of {sorted(known)}"))
    return Catalogue(tuple(categories), tuple(s for s in services if s.category in known), agencies)


def _agencies(raw: Any, file: str, errors: list[FlowError]) -> tuple[Agency, ...]:
    """The `agencies:` list: each with an id slug, a name and where complaints about it go."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        errors.append(FlowError(file, None, "`agencies` must be a list",
                                "e.g. `agencies: [{id: sabt, name: {fa: ..., en: ...}, complaints: {fa: ..., en: ...}}]`"))
        return ()
    agencies: list[Agency] = []
    for item in raw:
        ident = str(item.get("id")) if isinstance(item, Mapping) else "?"
        reader = _CardReader(file, f"agency {ident}", item if isinstance(item, Mapping) else {}, errors)
        reader.only(AGENCY_KEYS)
        if not AGENCY_ID.match(ident):
            reader.fail("`id` must be a lower-case slug of 2-32 letters, digits or _", "e.g. `id: sabt`")
            continue
        if any(a.id == ident for a in agencies):
            reader.fail("this id is used twice", "give each agency its own id")
            continue
        agencies.append(Agency(ident, reader.text("name", required=True), reader.text("complaints", required=True)))
    return tuple(agencies)


def _with_agencies(services: list[Service], agencies: Mapping[str, Agency], file: str, errors: list[FlowError]) -> list[Service]:
    """Once a catalogue lists agencies, every service names one of them (its own or its parent's); one
    with no known agency is left out with an error, so no request is ever made for a service nobody owns."""
    result, refused = [], {}  # refused: service id -> the agency it named
    for service in services:
        agency = agencies.get(service.agency)
        if agency is None:
            refused[service.id] = service.agency
            if service.parent in refused and refused[service.parent] == service.agency:
                continue  # its parent's error covers it
            hint = f"use one of {sorted(agencies)}" if agencies else "list the agencies under `agencies:` and name one"
            errors.append(FlowError(file, f"service {service.id}",
                                    f"agency {service.agency!r} is not listed" if service.agency else "`agency` is missing", hint))
            continue
        result.append(service)
    return result

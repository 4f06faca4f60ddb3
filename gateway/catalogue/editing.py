"""Changing identity cards while the gateway serves: the checks and the publishing that the operator
API and the console share, so a card refused by one is refused by the other, in the same words.

A card is checked like the YAML (the card rules of `parse_catalogue`), then every text the menus show
must exist in every language, then the whole set of menus and pages it makes is checked against the
channels' limits; only then is it stored as a new content version on top of the one served and
served at once, audited under whoever made it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flows.errors import FlowError, FlowErrors, PishkhanError
from flows.loader import parse_flow
from flows.model import FlowSet
from gateway.catalogue.flows import FILE, catalogue_flow
from gateway.catalogue.model import Catalogue, Service, parse_catalogue
from gateway.content.model import Version

if TYPE_CHECKING:  # the runtime imports the catalogue; only its type is needed here
    from gateway.runtime import Gateway


MAX_TEXT, MAX_LIST = 500, 20
"""Characters of one text, and entries of a list (documents, steps, inputs), that a card may have."""
MAXIMA = {"fee": 10**13, "days_to_deliver": 3650, "visits": 100}
"""The largest number each count of a card may be (fee in rials, working days, in-person visits)."""
MAX_ACCOUNT = 64
"""Characters of the account a fee goes to."""
INPUT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,31}$")
"""What an input's `name` may be: the variable its answer is kept under."""


class InvalidCard(PishkhanError):
    """A card (or the menus it makes) does not pass the checks; `errors` says each problem."""

    def __init__(self, errors: list[FlowError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


def missing_languages(service: Service, languages: tuple[str, ...], source: str) -> list[FlowError]:
    """Every text the menus show must exist in every language (the YAML loader leaves this to the flows)."""
    texts: list[tuple[str, Any]] = [("title", service.title), ("short", service.short or {})]
    texts += [(key, getattr(service, key)) for key in ("description", "hours", "complaint")]
    texts += [(f"documents[{i}]", t) for i, t in enumerate(service.documents)]
    texts += [(f"steps[{i}]", t) for i, t in enumerate(service.steps)]
    texts += [(f"inputs[{i}].prompt", item.prompt) for i, item in enumerate(service.inputs)]
    return [
        FlowError(source, f"service {service.id}", f"`{key.split('[')[0]}` has no {', '.join(missing)} text", f"give it {{{', '.join(languages)}}}")
        for key, text in texts
        if (key in ("title",) or text) and (missing := [lang for lang in languages if not text.get(lang)])
    ]


@dataclass(frozen=True)
class Draft:
    """The catalogue with one card added or replaced, and every problem the card rules found in it."""

    catalogue: Catalogue
    service: Service | None
    """The card as parsed (None when it is unusable: a bad id or an unknown category)."""
    errors: list[FlowError]
    complete: bool
    """Every text the menus show is there in every language (so its menus and pages can be drawn)."""


def draft(gateway: Gateway, card: dict[str, Any], source: str) -> Draft:
    """The served catalogue with `card` added, or replacing the card of its id (a change keeps its place)."""
    current = gateway.catalogue
    services = [card if s.id == card.get("id") else s.to_dict() for s in current.services]
    if current.get(str(card.get("id"))) is None:
        services.append(card)
    data = current.to_data(services)
    errors: list[FlowError] = []
    catalogue = parse_catalogue(data, source, errors, default_region=gateway.settings.flows.default_region)
    service = catalogue.get(str(card.get("id")))
    missing = missing_languages(service, tuple(gateway.settings.flows.languages), source) if service is not None else []
    return Draft(catalogue, service, errors + missing, not missing)


def candidate(gateway: Gateway, card: dict[str, Any], source: str) -> tuple[Catalogue, Service]:
    """The catalogue with `card` in it, its card rules checked; InvalidCard if it does not pass."""
    drafted = draft(gateway, card, source)
    if drafted.errors:
        raise InvalidCard(drafted.errors)
    assert drafted.service is not None
    return drafted.catalogue, drafted.service


def draft_flows(gateway: Gateway, catalogue: Catalogue) -> FlowSet | None:
    """The flows citizens would be served with `catalogue`, made as publishing makes them but not
    checked against the limits, so a preview can show a page that is too long (None if the
    catalogue's flow cannot be made at all)."""
    settings = gateway.settings
    errors: list[FlowError] = []
    generated = parse_flow(catalogue_flow(catalogue, tuple(settings.flows.languages)), FILE, errors,
                           default_region=settings.flows.default_region)
    if generated is None or errors:
        return None
    flows = {**gateway.content.served.checked.handwritten, generated.id: generated}
    return FlowSet(flows=flows, entry=settings.flows.entry, home=settings.flows.home)


async def publish_catalogue(gateway: Gateway, catalogue: Catalogue, *, author: str, note: str, action: str, subject: str) -> Version:
    """Check the menus `catalogue` makes with the flows served, store it as a new version and serve it.
    InvalidCard if the menus break a limit; StaleVersion if another change was published meanwhile."""
    served = gateway.content.served
    try:
        checked = gateway.builder.with_catalogue(served, catalogue)
    except FlowErrors as exc:
        raise InvalidCard(exc.errors) from exc
    change = await gateway.publisher.prepare(checked, (served.version, served.checked))
    outcome = await gateway.publisher.publish(change, author=author, note=note, action=action, subject=subject)
    await gateway.watcher.follow()
    return outcome.version

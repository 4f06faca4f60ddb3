"""The version a gateway serves when it starts, and the first version of a new store.

A new store gets config/ as version 1 by itself (the two-command start needs no publish); a store
from before versions keeps the catalogue it holds (API edits included). From then on the store is
the one source: YAML edits reach citizens through `pishkhan flows publish`, and a gateway whose
config/ differs from the live version says so at start instead of serving either silently.
"""

from __future__ import annotations

import logging

from flows.errors import FlowError, FlowErrors
from gateway.catalogue.store import CatalogueStore
from gateway.content.model import Content, Version, configured_content
from gateway.content.publish import Publisher
from gateway.content.store import StaleVersion
from gateway.engines import EngineBuilder, Served
from gateway.flowfiles import CheckedContent
from gateway.store import Database

log = logging.getLogger(__name__)

FIRST_AUTHOR = "pishkhan (first start)"


async def _first_version(publisher: Publisher, db: Database, seed: Content | None) -> None:
    content = seed or configured_content(publisher.settings)
    note = "config/ as found at the first start" if seed is None else "the content the gateway was opened with"
    legacy = CatalogueStore(db, default_region=publisher.settings.flows.default_region)
    if not await legacy.is_empty():  # a store from before versions: its catalogue (API edits included) wins
        content = content.with_catalogue(await legacy.load())
        note = "config/flows with the catalogue the store held before versions"
    change = await publisher.prepare(await publisher.check(content), None)
    try:
        outcome = await publisher.publish(change, author=FIRST_AUTHOR, note=note)
        log.info("content version %d stored: %s", outcome.version.number, note)
    except StaleVersion:
        pass  # another worker starting at the same time stored it first


def _warn_on_drift(publisher: Publisher, version: Version, content: Content) -> None:
    try:
        on_disk = configured_content(publisher.settings)
    except FlowErrors:
        log.warning("config/ cannot be read as content; serving version %d from the store", version.number)
        return
    if on_disk.digest != content.digest:
        log.warning("config/ differs from the live version %d, which is what citizens get: see `pishkhan flows diff`, "
                    "then `pishkhan flows publish` (or `pishkhan flows export` to bring the version into config/)", version.number)


async def _newest_servable(publisher: Publisher) -> tuple[Version, CheckedContent]:
    """The live version, or, when this build refuses it (an upgrade with stricter checks), the newest
    earlier version it accepts: content never keeps a gateway from starting while one version can be
    served. The store's live pointer is left as it is: the operator publishes a fixed version."""
    live = await publisher.store.live_number()
    assert live is not None
    refusals: list[str] = []
    for number in range(live, 0, -1):
        version, content = await publisher.store.get(number)
        try:
            checked = await publisher.check(content)
        except FlowErrors as errors:
            refusals.append(f"version {number}:\n{errors}")
            continue
        if refusals:
            log.error("this build refuses the live version %d; serving version %d until a version that passes is published "
                      "(`pishkhan flows validate`, then `pishkhan flows publish`):\n%s", live, number, "\n".join(refusals))
        return version, checked
    raise FlowErrors([FlowError(f"version {live}", None, "no stored version passes this build's checks",
                                "fix config/ until `pishkhan flows validate` passes, then `pishkhan flows publish`")])


async def served_at_start(publisher: Publisher, builder: EngineBuilder, db: Database, seed: Content | None = None) -> Served:
    """The live version, checked, ready to serve; FlowErrors when it (or a new store's config/) is broken.
    A new store's first version is `seed` when given, else config/."""
    if await publisher.store.live_number() is None:
        await _first_version(publisher, db, seed)
    elif seed is not None:
        log.warning("the store has versions already: serving its live version, not the content given")
    version, checked = await _newest_servable(publisher)
    if seed is None:
        _warn_on_drift(publisher, version, checked.content)
    log.info("serving content version %d (%s, %s)", version.number, version.author, version.note or "no note")
    return builder.serve(version, checked)

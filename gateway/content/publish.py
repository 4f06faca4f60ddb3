"""Publishing and rolling back content: check everything, say what changes, then switch atomically.

The same steps for `pishkhan flows publish`, `catalogue import`, the operator API's card edits and
rollbacks: a version that fails any check never reaches the store, and the operator is told, before
the switch, how many live conversations sit on nodes the new version removes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flows.engine import Action
from flows.errors import FlowErrors, PishkhanError
from gateway.audit import AuditLog
from gateway.content.diff import ContentDiff, Side, content_diff
from gateway.content.live import announce, conversations_on, removed_nodes
from gateway.content.model import Content, Version
from gateway.content.store import AfterWrite, ContentStore
from gateway.flowfiles import CheckedContent, check_content
from gateway.sessions import Sessions
from gateway.settings import Settings
from gateway.store import Transaction


@dataclass(frozen=True)
class Change:
    """What a publish or rollback will do (or did): from which version to which content."""

    checked: CheckedContent
    live: Version | None
    previous: CheckedContent | None
    removed: frozenset[str]
    """`flow:node` refs the live version has and this one removes."""
    conversations_moved: int | None
    """Live conversations on removed nodes (None: they are in a gateway's memory, uncounted here)."""
    diff: ContentDiff | None
    """What changes, node by node and page by page (None when there is no checked live version)."""

    @property
    def unchanged(self) -> bool:
        return self.live is not None and self.live.digest == self.checked.content.digest


@dataclass(frozen=True)
class Outcome:
    """A finished publish or rollback."""

    version: Version
    change: Change
    created: bool
    """False when the content was already the live version's (nothing was stored)."""


class Publisher:
    """Checks and stores content versions, and announces them to every worker."""

    def __init__(self, settings: Settings, store: ContentStore, actions: Mapping[str, Action], sessions: Sessions | None) -> None:
        self.settings, self.store, self.actions, self.sessions = settings, store, actions, sessions

    async def check(self, content: Content) -> CheckedContent:
        """Everything `content` makes, checked off the event loop (a full check takes tens of ms)."""
        return await asyncio.to_thread(check_content, content, self.settings, self.actions.keys())

    async def current(self) -> tuple[Version, CheckedContent | None] | None:
        """The live version and its checked content (None when this build can no longer check it)."""
        live = await self.store.live()
        if live is None:
            return None
        try:
            return live[0], await self.check(live[1])
        except FlowErrors:
            return live[0], None

    async def prepare(self, checked: CheckedContent, current: tuple[Version, CheckedContent | None] | None) -> Change:
        """What publishing `checked` over `current` (the live version) changes."""
        previous = current[1] if current else None
        removed = frozenset(removed_nodes(previous.flowset, checked.flowset)) if previous else frozenset()
        moved: int | None = 0
        if removed:  # counted before the switch, so the operator knows how many citizens it moves
            moved = await conversations_on(self.sessions, removed)
        diff = await asyncio.to_thread(content_diff, Side(previous.flowset, previous.catalogue),
                                       Side(checked.flowset, checked.catalogue), self.settings) if previous else None
        return Change(checked, current[0] if current else None, previous, removed, moved, diff)

    async def prepare_content(self, content: Content) -> Change:
        """Check `content` and compare it with the live version; FlowErrors if it cannot be served."""
        return await self.prepare(await self.check(content), await self.current())

    async def publish(self, change: Change, *, author: str, note: str, action: str = "content.published",
                      subject: str | None = None) -> Outcome:
        """Store a prepared change as the new live version (unless it is the live content already),
        recorded in the audit trail as `action` on `subject` (default: the version) with its diff."""
        if change.unchanged:
            assert change.live is not None
            return Outcome(change.live, change, created=False)
        based_on = change.live.number if change.live else None
        version = await self.store.publish(change.checked.content, change.checked.catalogue, author=author, note=note, based_on=based_on,
                                           after=self._audit(author, action, subject, change, note))
        await announce(self.settings.redis, version.number)
        return Outcome(version, change, created=True)

    async def roll_back(self, number: int | None, *, by: str) -> Outcome:
        """Serve version `number` again (default: the one before the live version)."""
        live = await self.store.live_number()
        if live is None:
            raise NothingToRollBack("nothing is published yet")
        target = number if number is not None else live - 1
        if target < 1:
            raise NothingToRollBack(f"version {live} is the first; there is nothing before it")
        _, content = await self.store.get(target)
        change = await self.prepare_content(content)
        if change.live is not None and change.live.number == target:
            return Outcome(change.live, change, created=False)
        version = await self.store.make_live(target, change.checked.catalogue, by=by, based_on=live,
                                             after=self._audit(by, "content.rolled_back", None, change, f"back from version {live}"))
        await announce(self.settings.redis, version.number)
        return Outcome(version, change, created=False)

    def _audit(self, actor: str, action: str, subject: str | None, change: Change, note: str) -> AfterWrite:
        async def record(conn: Transaction, version: Version) -> None:
            detail: dict[str, Any] = {"version": version.number, "note": note,
                                      "from": change.live.number if change.live else None}
            if change.diff is not None:
                detail.update(summary=change.diff.summary(), diff=change.diff.lines())
            await AuditLog(self.store.db).record(actor, action, subject or f"version {version.number}", detail, conn=conn)
        return record


class NothingToRollBack(PishkhanError):
    """A rollback with no version to go back to."""

"""The audit trail: who changed content, tokens or a request's status, when, and what.

Each change writes one row in the same transaction as the change itself (`record(..., conn=conn)`),
so a change and its record commit together or not at all. Rows are only ever added; `pishkhan audit`
and `GET /api/v1/audit` (admin) list them, newest first.

Actors: `token 3 (desk 3)` for an API token (`token_actor`; its id, since names need not be unique),
`cli:<user>` for a shell command (`cli_actor`), `console:<name>` for a console user.

Actions, their subjects and details:
- `token.created`, `token.revoked`: subject `token <id>`; detail `{name, role}` (and `agencies`, `expires_at` when
  the token has them).
- `token.rotated`: subject the old token; detail `{name, role, [agencies, expires_at,] replaced_by, old_works_until}`.
- `request.transitioned`: subject the tracking code; detail `{from, to, reason}`.
- `request.noted` {note}: a staff note added to a request (the note's id; its text stays with the request,
  never in the trail), and `request.assigned` {from, to}: who works on it (user names, null for nobody);
  subject the tracking code (the console's requests desk, gateway.requests.desk).
- `content.published`, `content.rolled_back`: subject the content version; detail with a `diff`
  (a list of text lines) of what changed.
- `service.changed`, `service.retired`: subject the service id; detail with a `diff` of the card.
- `user.created` {role}, `user.changed` {role, language, disabled_at, locked_until}, `user.password_changed`,
  `user.signed_in`, `user.sign_in_failed` {failures}, `user.locked` {failures}: console accounts; subject
  `user <name>`; actor `console:<name>` for what a user does in the console.
- `outbox.retried`: subject `outbox <id>`; detail `{previous_state, last_error}` (a dead or failed message sent again).
- `payments.repaired`: subject `payments`; detail `{counts}` (what a reconcile repair run did, by result).
- `consultation.opened` {question, options, audience_service}, `consultation.closed`: subject `consultation <id>`
  (gateway.consultations: a poll opened, or ended before its close time).
- `complaint.transitioned`: subject the complaint's code; detail `{from, to, answer}` (gateway.complaints).
- `request.erased`: subject the tracking code; detail `{why, inputs}` (gateway.privacy: a finished request's personal
  inputs erased, `why` `citizen` on their own request or `retention` after privacy.retention_days; `inputs` names
  the inputs erased, never their values). Actor `citizen` or `privacy:retention`.

A detail never holds a token secret, and phone numbers and national codes in its texts are masked
(flows.masking), erring on the side of hiding: a tracking code in a reason that looks like a mobile
number is masked too (the subject, never scrubbed, names the request).
"""

from __future__ import annotations

import getpass
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flows.clock import SYSTEM_CLOCK, Clock
from flows.dates import iso_utc
from flows.masking import mask_national_code, mask_phone
from flows.validators import is_valid_national_code
from gateway.scopes import service_clause
from gateway.store import Database, Transaction

if TYPE_CHECKING:  # tokens record their own changes here, so this module cannot import them at run time
    from gateway.tokens import TokenInfo

ACTIONS = ("token.created", "token.revoked", "request.transitioned", "request.noted", "request.assigned", "content.published", "content.rolled_back",
           "service.changed", "service.retired", "user.created", "user.changed", "user.password_changed", "user.signed_in",
           "user.sign_in_failed", "user.locked", "outbox.retried", "payments.repaired",
           "consultation.opened", "consultation.closed",
           "complaint.transitioned",
           "event_subscription.created", "event_subscription.enabled", "event_subscription.disabled", "event_subscription.rotated",
           "event_subscription.deleted", "events.replayed",
           "request.erased",
           "token.rotated")
"""Every action an entry may record (see the module docstring); `record` refuses others."""

_DIGIT = "[0-9\u06f0-\u06f9\u0660-\u0669]"  # ASCII, Persian and Arabic-Indic: citizens and operators type all three
_ASCII = str.maketrans({**{chr(0x06F0 + i): str(i) for i in range(10)}, **{chr(0x0660 + i): str(i) for i in range(10)}})
_SECRET = re.compile(r"pk_[A-Za-z0-9_-]{8,}")
_PHONE = re.compile(rf"\+{_DIGIT}{{8,15}}(?!{_DIGIT})|(?<!{_DIGIT})(?:0|\u06f0|\u0660)(?:9|\u06f9|\u0669){_DIGIT}{{9}}(?!{_DIGIT})")
_TEN_DIGITS = re.compile(rf"(?<!{_DIGIT}){_DIGIT}{{10}}(?!{_DIGIT})")


def _scrubbed_text(text: str) -> str:
    """A text with token secrets hidden and phone numbers and national codes masked."""
    text = _SECRET.sub("pk_***", text)
    text = _PHONE.sub(lambda m: mask_phone(m.group(0)), text)
    return _TEN_DIGITS.sub(lambda m: mask_national_code(m.group(0)) if is_valid_national_code(m.group(0).translate(_ASCII)) else m.group(0), text)


def _scrubbed(value: Any) -> Any:
    """A detail value with every text in it scrubbed, however deep."""
    if isinstance(value, str):
        return _scrubbed_text(value)
    if isinstance(value, Mapping):
        return {str(k): _scrubbed(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrubbed(v) for v in value]
    return value


def token_actor(token: TokenInfo) -> str:
    """How an API token is named as an actor: `token 3 (desk 3)`."""
    return f"token {token.id} ({token.name})"


def cli_actor() -> str:
    """How a shell command is named as an actor: `cli:<user>`, or the uid where the system has no
    name for it (a container started with `--user 1234`)."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return f"cli:uid {os.getuid()}" if hasattr(os, "getuid") else "cli"


@dataclass(frozen=True)
class AuditEntry:
    """One recorded change."""

    id: int
    at: float
    actor: str
    action: str
    subject: str
    detail: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The entry as the API and `pishkhan audit --json` show it (time as ISO 8601 UTC)."""
        return {"id": self.id, "at": iso_utc(self.at), "actor": self.actor, "action": self.action, "subject": self.subject,
                "detail": self.detail}


class AuditLog:
    """Records changes and lists them."""

    def __init__(self, db: Database, clock: Clock = SYSTEM_CLOCK) -> None:
        self.db = db
        self.clock = clock

    async def record(self, actor: str, action: str, subject: str, detail: Mapping[str, Any] | None = None, *,
                     conn: Transaction | None = None) -> None:
        """Add an entry; inside the caller's write transaction when `conn` is given (so it commits
        or rolls back with the change), else in its own."""
        if action not in ACTIONS:
            raise ValueError(f"unknown audit action {action!r}; use one of {', '.join(ACTIONS)}")
        row = (self.clock(), actor, action, subject, json.dumps(_scrubbed(detail or {}), ensure_ascii=False))
        sql = "INSERT INTO audit (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)"
        if conn is not None:
            await conn.execute(sql, row)
        else:
            await self.db.execute(sql, row)

    async def list(self, *, actor: str | None = None, action: str | None = None, subject: str | None = None,
                   since: float | None = None, until: float | None = None, limit: int = 50,
                   offset: int = 0, services: frozenset[str] | None = None) -> tuple[list[AuditEntry], int]:
        """A page of entries, newest first, and how many match in all. `actor` matches any part of
        the actor (`alice`, `token 3 `, `cli:`); `since` is inclusive, `until` exclusive (Unix times).
        With `services` (an agency scope's, gateway.scopes) only entries about them: the services
        themselves, their requests and their complaints (by subject)."""
        clauses, params = [], []
        for clause, value in (("instr(actor, ?) > 0", actor), ("action = ?", action), ("subject = ?", subject),
                              ("at >= ?", since), ("at < ?", until)):
            if value is not None:
                clauses.append(clause)
                params.append(value)
        if (of_service := service_clause("service_id", services)) is not None and (itself := service_clause("subject", services)):
            clauses.append(f"(subject IN (SELECT tracking_code FROM requests WHERE {of_service[0]})"
                           f" OR subject IN (SELECT code FROM complaints WHERE {of_service[0]}) OR {itself[0]})")
            params.extend((*of_service[1], *of_service[1], *itself[1]))
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        total = await self.db.fetchone(f"SELECT count(*) AS n FROM audit{where}", params)
        rows = await self.db.fetchall(f"SELECT * FROM audit{where} ORDER BY at DESC, id DESC LIMIT ? OFFSET ?", [*params, limit, offset])
        entries = [AuditEntry(r["id"], r["at"], r["actor"], r["action"], r["subject"], json.loads(r["detail"])) for r in rows]
        return entries, int(total["n"]) if total else 0

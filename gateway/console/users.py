"""Console accounts: names, roles, argon2id password hashes, lockout after wrong passwords.

argon2id (argon2-cffi, RFC 9106 parameters) because passwords, unlike API tokens, are chosen by people
and can be guessed offline from a stolen store: a slow, memory-hard hash is the defence. Hashing takes
tens of milliseconds of CPU, so it runs in a thread and never stalls the event loop serving citizens.

A wrong password counts against the account; `max_failed_logins` in a row lock it for
`lockout_minutes` (an admin may unlock it sooner). An unknown name costs the same hash as a known one,
so timing does not tell which names exist. Every change is audited under the actor who made it.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from flows.clock import SYSTEM_CLOCK, Clock
from flows.errors import PishkhanError
from gateway.audit import AuditLog
from gateway.console.settings import ConsoleSettings
from gateway.store import Database, Transaction
from gateway.tokens import ROLES, TokenError, checked_agencies, read_agencies

LANGUAGES = ("fa", "en")
NAME = re.compile(r"[a-z][a-z0-9._-]{1,31}")
MIN_PASSWORD = 10
MAX_PASSWORD = 256
"""Characters; a longer "password" is an attempt to make hashing expensive, not a password."""

_HASHER = PasswordHasher()  # argon2id with argon2-cffi's RFC 9106 "low memory" profile
_UNKNOWN_USER_HASH = _HASHER.hash("not a password anyone has")


class UserError(PishkhanError):
    """An account cannot be made or changed as asked; the message says why, for a person."""


class LoginRefused(PishkhanError):
    """A sign-in did not succeed: `reason` is "wrong" (name or password) or "locked"."""

    def __init__(self, reason: str, until: float | None = None) -> None:
        super().__init__(reason)
        self.reason, self.until = reason, until


@dataclass(frozen=True)
class User:
    """A console account as the pages see it (never its hash)."""

    id: int
    name: str
    role: str
    language: str
    created_at: float = 0.0
    locked_until: float | None = None
    disabled_at: float | None = None
    agencies: frozenset[str] | None = None
    """The agencies this user sees and acts for (gateway.scopes); None is every agency (the national operator)."""

    def can(self, role: str) -> bool:
        """This user's role is `role` or above it (viewer < operator < admin)."""
        return ROLES.index(self.role) >= ROLES.index(role)

    @property
    def actor(self) -> str:
        """How this user is named in the audit trail and in request events."""
        return console_actor(self.name)


def console_actor(name: str) -> str:
    """`console:alice`: the audit trail's name for a console user."""
    return f"console:{name}"


def check_name(name: str) -> str:
    """A valid account name (lower-case letters, digits, `.`, `_`, `-`; 2-32, starting with a letter)."""
    if not NAME.fullmatch(name):
        raise UserError(f"name {name!r}: use 2-32 lower-case letters, digits, '.', '_' or '-', starting with a letter")
    return name


def check_password(password: str, name: str) -> str:
    """A password long enough and not the account's name."""
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password must have at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise UserError(f"the password must have at most {MAX_PASSWORD} characters")
    if name.lower() in password.lower():
        raise UserError("the password must not contain the account's name")
    return password


def user_of(row: Mapping[str, Any]) -> User:
    """A User from a row with the account's columns."""
    return User(row["id"], row["name"], row["role"], row["language"], row["created_at"], row["locked_until"], row["disabled_at"],
                read_agencies(row["agencies"]))


_COLUMNS = "id, name, role, language, created_at, locked_until, disabled_at, agencies"


class Unchanged:
    """`change(agencies=UNCHANGED)`: leave the scope as it is (None means every agency)."""


UNCHANGED = Unchanged()



class UserStore:
    """Creates, checks and changes console accounts."""

    def __init__(self, db: Database, settings: ConsoleSettings, clock: Clock = SYSTEM_CLOCK) -> None:
        self.db, self.settings, self.clock = db, settings, clock
        self.audit = AuditLog(db, clock)

    async def create(self, name: str, role: str, password: str, *, actor: str, language: str = "fa",
                     agencies: Iterable[str] | None = None) -> User:
        """A new account limited to `agencies` (None: every agency), audited; UserError when the name is taken or a
        value is not acceptable."""
        check_name(name)
        if role not in ROLES:
            raise UserError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
        if language not in LANGUAGES:
            raise UserError(f"unknown language {language!r}; use one of {', '.join(LANGUAGES)}")
        digest = await asyncio.to_thread(_HASHER.hash, check_password(password, name))
        async with self.db.transaction() as conn:
            scope = await _scope(conn, agencies)
            if await conn.fetchone("SELECT id FROM console_users WHERE name = ?", (name,)):
                raise UserError(f"there is already an account named {name!r}")
            user_id = await conn.insert(
                "INSERT INTO console_users (name, role, password_hash, language, created_at, agencies) VALUES (?, ?, ?, ?, ?, ?)",
                (name, role, digest, language, self.clock(), scope))
            await self.audit.record(actor, "user.created", f"user {name}", {"role": role, **({"agencies": scope} if scope else {})},
                                    conn=conn)
        return User(user_id, name, role, language, self.clock(), agencies=read_agencies(scope))

    async def get(self, user_id: int) -> User | None:
        """An account by id."""
        row = await self.db.fetchone(f"SELECT {_COLUMNS} FROM console_users WHERE id = ?", (user_id,))
        return user_of(row) if row else None

    async def named(self, name: str) -> User | None:
        """An account by name."""
        row = await self.db.fetchone(f"SELECT {_COLUMNS} FROM console_users WHERE name = ?", (name,))
        return user_of(row) if row else None

    async def list(self) -> list[User]:
        """Every account, by name."""
        return [user_of(row) for row in await self.db.fetchall(f"SELECT {_COLUMNS} FROM console_users ORDER BY name")]

    async def sign_in(self, name: str, password: str) -> User:
        """The account whose name and password these are; LoginRefused otherwise. Wrong passwords count
        towards the lockout; a right one clears the count. Audited either way."""
        row = await self.db.fetchone("SELECT * FROM console_users WHERE name = ?", (name,)) if len(password) <= MAX_PASSWORD else None
        now = self.clock()
        if row is None or row["disabled_at"] is not None:
            await asyncio.to_thread(_matches, _UNKNOWN_USER_HASH, password)  # the same cost, so timing names no account
            raise LoginRefused("wrong")
        if row["locked_until"] is not None and row["locked_until"] > now:
            raise LoginRefused("locked", row["locked_until"])
        if not await asyncio.to_thread(_matches, row["password_hash"], password):
            await self._failed(row["id"], name, int(row["failed_logins"]) + 1, now)
        async with self.db.transaction() as conn:
            await conn.execute("UPDATE console_users SET failed_logins = 0, locked_until = NULL WHERE id = ?", (row["id"],))
            if _HASHER.check_needs_rehash(row["password_hash"]):
                rehashed = await asyncio.to_thread(_HASHER.hash, password)
                await conn.execute("UPDATE console_users SET password_hash = ? WHERE id = ?", (rehashed, row["id"]))
            await self.audit.record(console_actor(name), "user.signed_in", f"user {name}", conn=conn)
        return user_of(row)

    async def _failed(self, user_id: int, name: str, failures: int, now: float) -> NoReturn:
        """Count a wrong password; lock the account when it is one too many. Always raises."""
        locked = failures >= self.settings.max_failed_logins
        until = now + self.settings.lockout_minutes * 60 if locked else None
        async with self.db.transaction() as conn:
            await conn.execute("UPDATE console_users SET failed_logins = ?, locked_until = ? WHERE id = ?",
                               (0 if locked else failures, until, user_id))
            await self.audit.record(console_actor(name), "user.locked" if locked else "user.sign_in_failed", f"user {name}",
                                    {"failures": failures}, conn=conn)
        raise LoginRefused("locked", until) if locked else LoginRefused("wrong")

    async def change_password(self, user: User, current: str, new: str) -> None:
        """The user's own password change: the current one must be right (UserError otherwise). Every
        other session of the account ends (a stolen cookie stops working)."""
        row = await self.db.fetchone("SELECT password_hash FROM console_users WHERE id = ?", (user.id,))
        if row is None or len(current) > MAX_PASSWORD or not await asyncio.to_thread(_matches, row["password_hash"], current):
            raise UserError("the current password is not right")
        await self._set_password(user.name, new, actor=user.actor)

    async def reset_password(self, name: str, new: str, *, actor: str) -> None:
        """An admin's (or the shell's) reset of someone's password; it also unlocks the account."""
        if await self.named(name) is None:
            raise UserError(f"there is no account named {name!r}")
        await self._set_password(name, new, actor=actor)

    async def _set_password(self, name: str, new: str, *, actor: str) -> None:
        digest = await asyncio.to_thread(_HASHER.hash, check_password(new, name))
        async with self.db.transaction() as conn:
            row = await conn.fetchone("UPDATE console_users SET password_hash = ?, failed_logins = 0, locked_until = NULL "
                                      "WHERE name = ? RETURNING id", (digest, name))
            if row is not None:
                await conn.execute("DELETE FROM console_sessions WHERE user_id = ?", (row["id"],))
            await self.audit.record(actor, "user.password_changed", f"user {name}", conn=conn)

    async def change(self, name: str, *, actor: str, role: str | None = None, language: str | None = None,
                     disabled: bool | None = None, unlock: bool = False, agencies: Iterable[str] | None | Unchanged = UNCHANGED) -> User:
        """Change an account's role, language, agencies (None: every agency), whether it is disabled, or lift its
        lockout (audited; a disabled account's sessions end at once)."""
        user = await self.named(name)
        if user is None:
            raise UserError(f"there is no account named {name!r}")
        if role is not None and role not in ROLES:
            raise UserError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
        if language is not None and language not in LANGUAGES:
            raise UserError(f"unknown language {language!r}; use one of {', '.join(LANGUAGES)}")
        changes: dict[str, object] = {}
        if role is not None and role != user.role:
            changes["role"] = role
        if language is not None and language != user.language:
            changes["language"] = language
        if disabled is not None and disabled != (user.disabled_at is not None):
            changes["disabled_at"] = self.clock() if disabled else None
        if unlock:
            changes.update(failed_logins=0, locked_until=None)
        if not isinstance(agencies, Unchanged) and read_agencies(scope := await _scope(self.db, agencies)) != user.agencies:
            changes["agencies"] = scope
        if not changes:
            return user
        async with self.db.transaction() as conn:
            assignments = ", ".join(f"{column} = ?" for column in changes)
            await conn.execute(f"UPDATE console_users SET {assignments} WHERE id = ?", [*changes.values(), user.id])
            if changes.get("disabled_at") is not None:
                await conn.execute("DELETE FROM console_sessions WHERE user_id = ?", (user.id,))
            if set(changes) != {"language"}:  # a user's own choice of language is not a change anyone audits
                await self.audit.record(actor, "user.changed", f"user {name}",
                                        {key: value for key, value in changes.items() if key != "failed_logins"}, conn=conn)
        changed = await self.named(name)
        assert changed is not None
        return changed


async def _scope(conn: Database | Transaction, agencies: Iterable[str] | None) -> str | None:
    """A scope as stored, every agency checked against the catalogue's; UserError naming the unknown ones."""
    try:
        return await checked_agencies(conn, agencies)
    except TokenError as error:
        raise UserError(str(error)) from None


def _matches(digest: str, password: str) -> bool:
    """The password is the one `digest` was made from."""
    try:
        return _HASHER.verify(digest, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False

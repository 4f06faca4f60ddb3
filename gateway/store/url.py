"""`store.url`: which engine and where, as one URL (SQLAlchemy's spelling, which operators know).

    sqlite:///var/pishkhan.sqlite3     a file relative to the config directory
    sqlite:////srv/pishkhan/store.db   an absolute path (four slashes)
    postgresql://user:password@db.example:5432/pishkhan   (postgres:// too)
"""

from __future__ import annotations

from pathlib import Path

from gateway.store.base import Database, StoreError

SQLITE = "sqlite:///"
POSTGRES = ("postgresql://", "postgres://")


def sqlite_url(path: Path) -> str:
    """The URL of the SQLite file at `path` (absolute)."""
    return SQLITE + str(path.resolve())


def sqlite_path(url: str, base: Path) -> Path:
    """The file a `sqlite:///…` URL names, relative ones under `base`."""
    rest = url[len(SQLITE):]
    if not rest:
        raise StoreError(f"store URL {url!r} names no file: sqlite:///relative/path or sqlite:////absolute/path")
    path = Path(rest)
    return path if path.is_absolute() else base / path


def check_url(url: str) -> str:
    """`url` if it names an engine Pishkhan has; a StoreError showing both forms otherwise."""
    if url.startswith(SQLITE) or url.startswith(POSTGRES):
        return url
    shown = url.split("@")[-1] if "@" in url else url  # never echo a password
    raise StoreError(f"store URL {shown!r} is not sqlite:///path nor postgresql://user:password@host:5432/database")


def database_at(url: str, *, synchronous: str = "FULL", pool_size: int = 10, timeout: float = 5.0) -> Database:
    """The store at `url` (absolute, as Settings.store_url gives it), not yet open."""
    check_url(url)
    if url.startswith(SQLITE):
        from gateway.store.sqlite import SqliteDatabase

        return SqliteDatabase(sqlite_path(url, Path.cwd()), synchronous=synchronous)
    from gateway.store.postgres import PostgresDatabase  # asyncpg is imported only when used

    return PostgresDatabase(url, pool_size=pool_size, timeout=timeout)

"""The catalogue's rows in the store: every service ever published (requests refer to them).

Content versions (gateway.content) are what citizens are served; each publish records its services
here in the same transaction. A store from before versions is read back once (`load`, through the
same parser as the YAML) to become its first version.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flows.errors import FlowError, FlowErrors
from gateway.catalogue import Catalogue, Service, parse_catalogue
from gateway.store import Database, Transaction

SOURCE = "<store>"
_JSON_FIELDS = ("title", "short", "description", "documents", "hours", "channels", "complaint", "steps", "inputs")
_COLUMNS = ("id", "parent", "category", "agency", "type", "days_to_deliver", "visits", "fee", "account", *_JSON_FIELDS, "identity_check")


@dataclass(frozen=True)
class ImportCounts:
    """What an import wrote."""

    categories: int
    services: int


def _service_row(service: Service, position: int, now: float) -> tuple[Any, ...]:
    card = {**service.to_dict(), "identity_check": int(service.identity_check)}  # 0/1 in both engines, like `active`
    values = [json.dumps(card[c], ensure_ascii=False) if c in _JSON_FIELDS else card[c] for c in _COLUMNS]
    return (*values, int(service.active), position, now)


def _service_data(row: Mapping[str, Any]) -> dict[str, Any]:
    data = {c: json.loads(row[c]) if c in _JSON_FIELDS and row[c] is not None else row[c] for c in _COLUMNS}
    data["active"] = bool(row["active"])
    data["identity_check"] = bool(row["identity_check"])
    return {k: v for k, v in data.items() if v is not None}


_UPSERT = (
    f"INSERT INTO services ({', '.join(_COLUMNS)}, active, position, updated_at) VALUES ({', '.join('?' * (len(_COLUMNS) + 3))})"
    f" ON CONFLICT (id) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in (*_COLUMNS[1:], 'active', 'position', 'updated_at'))}"
)


async def record_services(conn: Transaction, catalogue: Catalogue) -> ImportCounts:
    """Insert or update every agency, category and service of `catalogue` inside the caller's transaction:
    the tables keep every service ever published, which requests refer to."""
    now = time.time()
    # parents first, so a sub-service's foreign key always finds its parent
    ordered = sorted(enumerate(catalogue.services), key=lambda item: item[1].parent is not None)
    await conn.executemany(
        "INSERT INTO agencies (id, name, complaints, position) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET name = excluded.name, complaints = excluded.complaints, position = excluded.position",
        [(a.id, json.dumps(dict(a.name), ensure_ascii=False), json.dumps(dict(a.complaints), ensure_ascii=False), i)
         for i, a in enumerate(catalogue.agencies)],
    )
    await conn.executemany(
        "INSERT INTO categories (id, title, position) VALUES (?, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET title = excluded.title, position = excluded.position",
        [(c.id, json.dumps(dict(c.title), ensure_ascii=False), i) for i, c in enumerate(catalogue.categories)],
    )
    await conn.executemany(_UPSERT, [_service_row(s, i, now) for i, s in ordered])
    return ImportCounts(len(catalogue.categories), len(catalogue.services))


class CatalogueStore:
    """Categories and services in SQLite (tests and benches fill it directly; publishing records into it)."""

    def __init__(self, db: Database, *, default_region: str = "IR") -> None:
        self.db = db
        self.default_region = default_region

    async def is_empty(self) -> bool:
        """No service has been imported yet."""
        return await self.db.fetchone("SELECT 1 AS one FROM services LIMIT 1") is None

    async def import_catalogue(self, catalogue: Catalogue) -> ImportCounts:
        """Insert or update every category and service of `catalogue`; services only in the store stay."""
        async with self.db.transaction() as conn:
            return await record_services(conn, catalogue)

    async def load(self) -> Catalogue:
        """The stored catalogue, checked like the YAML; FlowErrors if a row is unusable."""
        agencies = await self.db.fetchall("SELECT * FROM agencies ORDER BY position, id")
        categories = await self.db.fetchall("SELECT * FROM categories ORDER BY position, id")
        rows = await self.db.fetchall("SELECT * FROM services ORDER BY position, id")
        data: dict[str, Any] = {
            "categories": [{"id": c["id"], "title": json.loads(c["title"])} for c in categories],
            "services": [_service_data(r) for r in rows],
        }
        if agencies:
            data["agencies"] = [{"id": a["id"], "name": json.loads(a["name"]), "complaints": json.loads(a["complaints"])} for a in agencies]
        errors: list[FlowError] = []
        catalogue = parse_catalogue(data, SOURCE, errors, default_region=self.default_region)
        if errors:
            raise FlowErrors(errors)
        return catalogue

"""What an agency-scoped token or console user may see: the services of its agencies, and through them
their requests, payments, outbound messages, complaints, feedback and analytics.

A request's agency is its service's agency. The services are those the served catalogue gives the
scope's agencies plus those the `services` table keeps for them (every service ever published, retired
ones included), so an old request of a service gone from the catalogue stays its agency's. Stores take
`Scope.services` as a filter and add `service_id IN (...)` to their SQL, so pages, totals, summaries
and CSV exports are counted on what the scope sees, never trimmed after the fact. A thing outside the
scope is answered as if it did not exist (404), never 403: that would tell another agency it exists.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from gateway.catalogue.model import Catalogue
from gateway.store import Database

AGENCY = "agency"
"""Scope rule of an API route or console page: anyone may call it; it reads and changes only what the caller's scope
sees (its store queries take `Scope.services`), answers 404 for a single thing outside it and refuses to make one there."""
NATIONAL = "national"
"""Scope rule: what every agency shares (flows, settings, tokens, users, payment reconciliation...): only a caller
limited to no agency (403 for a scoped one: these things are no agency's, so naming them leaks nothing)."""
SCOPE_RULES = (AGENCY, NATIONAL)


@dataclass(frozen=True)
class Scope:
    """The agencies someone may see and act for, and their services; None for both: every agency."""

    agencies: frozenset[str] | None = None
    services: frozenset[str] | None = None

    @property
    def national(self) -> bool:
        """Not limited to any agency: the national operator, who may change what every agency shares."""
        return self.agencies is None

    def sees_service(self, service_id: str | None) -> bool:
        """This scope sees things of `service_id` (None: something of no service, which only the national scope sees)."""
        return self.services is None or (service_id is not None and service_id in self.services)

    def sees_agency(self, agency: str | None) -> bool:
        """This scope sees `agency` (None or "": no agency, which only the national scope sees)."""
        return self.agencies is None or (bool(agency) and agency in self.agencies)


EVERY_AGENCY = Scope()


async def scope_of(db: Database, catalogue: Catalogue, agencies: Iterable[str] | None) -> Scope:
    """The scope of someone limited to `agencies` (None: every agency)."""
    if agencies is None:
        return EVERY_AGENCY
    wanted = frozenset(agencies)
    marks = ", ".join("?" * len(wanted))
    stored = await db.fetchall(f"SELECT id FROM services WHERE agency IN ({marks})", tuple(sorted(wanted))) if wanted else []
    served = {s.id for s in catalogue.services if s.agency in wanted}
    gone = {row["id"] for row in stored if catalogue.get(row["id"]) is None}  # the catalogue's word wins for the services it has
    return Scope(wanted, frozenset(served | gone))


def service_clause(column: str, services: frozenset[str] | None) -> tuple[str, tuple[str, ...]] | None:
    """The SQL condition (and its parameters) keeping rows whose `column` is one of `services`; None when every
    service is seen. An empty scope keeps nothing (`IN ()` is not SQL, so it is said another way)."""
    if services is None:
        return None
    if not services:
        return "1 = 0", ()
    ordered = tuple(sorted(services))
    return f"{column} IN ({', '.join('?' * len(ordered))})", ordered

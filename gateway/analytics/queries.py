"""Reading the numbers back for a period: the stored aggregates (nodes, channels, flow completion)
and what the durable records already say (SLA from requests and their events, payment conversion,
CSAT from the survey table), bucketed by local day in Python so both engines give the same days."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gateway.analytics.period import Period
from gateway.calendar import WorkingCalendar
from gateway.scopes import service_clause
from gateway.store import Database, Row

RATINGS = (1, 2, 3, 4, 5)


def _channel(sql: str, params: list[Any], channel: str | None, column: str = "channel") -> str:
    """`sql` narrowed to one channel when one is asked for (its value appended to `params`)."""
    if channel is None:
        return sql
    params.append(channel)
    return f"{sql} AND {column} = ?"


def _scoped(sql: str, params: list[Any], services: frozenset[str] | None, column: str = "service_id") -> str:
    """`sql` narrowed to an agency scope's services (gateway.scopes) when it has one (their ids appended to `params`)."""
    clause = service_clause(column, services)
    if clause is None:
        return sql
    params.extend(clause[1])
    return f"{sql} AND {clause[0]}"


async def node_rows(db: Database, period: Period, channel: str | None = None) -> list[Row]:
    """Per day, channel and node: visits, exits, drop-offs."""
    params: list[Any] = [period.since.isoformat(), period.until.isoformat()]
    sql = _channel("SELECT day, channel, node, visits, exits, drops FROM analytics_nodes WHERE day >= ? AND day <= ?", params, channel)
    return [{**row, "visits": int(row["visits"]), "exits": int(row["exits"]), "drops": int(row["drops"])}
            for row in await db.fetchall(f"{sql} ORDER BY day, channel, node", params)]


def node_totals(rows: list[Row]) -> list[Row]:
    """`node_rows` summed over days and channels, per node, most drop-offs first, with the drop-off
    rate (drop-offs per visit): what the flow map and the bar chart show."""
    totals: dict[str, list[int]] = {}
    for row in rows:
        total = totals.setdefault(row["node"], [0, 0, 0])
        total[0] += row["visits"]
        total[1] += row["exits"]
        total[2] += row["drops"]
    found = [{"node": node, "visits": v, "exits": e, "drops": d, "drop_rate": _rate(d, v)} for node, (v, e, d) in totals.items()]
    return sorted(found, key=lambda r: (-r["drops"], r["node"]))


async def channel_rows(db: Database, period: Period, channel: str | None = None) -> list[Row]:
    """Per day and channel: conversations started, visits, exits and drop-offs."""
    params: list[Any] = [period.since.isoformat(), period.until.isoformat()]
    sessions = await db.fetchall(_channel("SELECT day, channel, sessions FROM analytics_channels WHERE day >= ? AND day <= ?",
                                          params, channel), params)
    found: dict[tuple[str, str], Row] = {}

    def row(day: str, name: str) -> Row:
        return found.setdefault((day, name), {"day": day, "channel": name, "sessions": 0, "visits": 0, "exits": 0, "drops": 0})

    for item in sessions:
        row(item["day"], item["channel"])["sessions"] += int(item["sessions"])
    for item in await node_rows(db, period, channel):
        into = row(item["day"], item["channel"])
        for name in ("visits", "exits", "drops"):
            into[name] += item[name]
    return [found[key] for key in sorted(found)]


SERVICE_FIELDS = ("started", "submitted", "completion_rate", "avg_submit_seconds", "delivered", "delivered_on_time", "sla_rate",
                  "payments", "paid", "payment_conversion", "csat_answers", "csat_average", *(f"csat_{n}" for n in RATINGS))
"""The columns of a service's day, after day, service_id and channel (the CSV's header says them in this order)."""


class _Services:
    """Per (day, service, channel) sums, filled from each source in turn."""

    def __init__(self, calendar: WorkingCalendar) -> None:
        self.calendar = calendar
        self.rows: dict[tuple[str, str, str], dict[str, float]] = {}

    def at(self, day: str, service_id: str, channel: str) -> dict[str, float]:
        key = (day, service_id, channel)
        row = self.rows.get(key)
        if row is None:
            row = self.rows[key] = dict.fromkeys(("started", "submitted", "submit_seconds", "delivered", "delivered_on_time",
                                                  "payments", "paid", "csat_sum", *(f"csat_{n}" for n in RATINGS)), 0)
        return row

    def on(self, at: float, service_id: str, channel: str) -> dict[str, float]:
        return self.at(self.calendar.date_of(at).isoformat(), service_id, channel)

    def finished(self) -> list[Row]:
        result = []
        for (day, service_id, channel), s in sorted(self.rows.items()):
            answers = int(sum(s[f"csat_{n}"] for n in RATINGS))
            result.append({
                "day": day, "service_id": service_id, "channel": channel,
                "started": int(s["started"]), "submitted": int(s["submitted"]),
                "completion_rate": _rate(s["submitted"], s["started"]),
                "avg_submit_seconds": round(s["submit_seconds"] / s["submitted"], 1) if s["submitted"] else None,
                "delivered": int(s["delivered"]), "delivered_on_time": int(s["delivered_on_time"]),
                "sla_rate": _rate(s["delivered_on_time"], s["delivered"]),
                "payments": int(s["payments"]), "paid": int(s["paid"]), "payment_conversion": _rate(s["paid"], s["payments"]),
                "csat_answers": answers, "csat_average": round(s["csat_sum"] / answers, 2) if answers else None,
                **{f"csat_{n}": int(s[f"csat_{n}"]) for n in RATINGS},
            })
        return result


async def service_rows(db: Database, calendar: WorkingCalendar, period: Period, channel: str | None = None,
                       scope: frozenset[str] | None = None) -> list[Row]:
    """Per day, service and channel: applications started and submitted (with the completion rate
    and mean seconds to submit), requests delivered and how many by their due date (SLA), payment
    links and how many were paid, and the CSAT answers (average and count per rating). With `scope`
    (an agency scope's services), only those services', counted in SQL."""
    services = _Services(calendar)
    params: list[Any] = [period.since.isoformat(), period.until.isoformat()]
    flows = await db.fetchall(_scoped(_channel("SELECT day, service_id, channel, started, submitted, submit_seconds FROM analytics_services"
                                               " WHERE day >= ? AND day <= ?", params, channel), params, scope), params)
    for item in flows:
        row = services.at(item["day"], item["service_id"], item["channel"])
        row["started"] += item["started"]
        row["submitted"] += item["submitted"]
        row["submit_seconds"] += item["submit_seconds"]
    start, end = period.bounds(calendar)
    for item in await _deliveries(db, start, end, channel, scope):
        row = services.on(item["at"], item["service_id"], item["channel"])
        row["delivered"] += 1
        row["delivered_on_time"] += calendar.date_of(item["at"]).isoformat() <= item["due_date"]
    for item in await _payments(db, start, end, channel, scope):
        row = services.on(item["at"], item["service_id"], item["channel"])
        row["payments"] += 1
        row["paid"] += int(item["paid"])
    for item in await csat_answers(db, start, end, channel, scope):
        row = services.on(item["answered_at"], item["service_id"], item["channel"])
        row["csat_sum"] += item["rating"]
        row[f"csat_{item['rating']}"] += 1
    return services.finished()


async def _deliveries(db: Database, start: float, end: float, channel: str | None, scope: frozenset[str] | None) -> list[Row]:
    """Requests delivered within the period: when, and the day they were due."""
    params: list[Any] = [start, end]
    sql = ("SELECT r.service_id, r.channel, r.due_date, e.at FROM request_events e JOIN requests r ON r.id = e.request_id"
           " WHERE e.to_status = 'delivered' AND e.at >= ? AND e.at < ?")
    return await db.fetchall(_scoped(_channel(sql, params, channel, "r.channel"), params, scope, "r.service_id"), params)


async def _payments(db: Database, start: float, end: float, channel: str | None, scope: frozenset[str] | None) -> list[Row]:
    """Requests asked to pay within the period (their first link: a renewed link is the same
    payment asked again) and whether any of their payments went through."""
    params: list[Any] = []
    sql = ("SELECT r.service_id, r.channel, MIN(p.created_at) AS at,"
           " MAX(CASE WHEN p.state IN ('paid', 'refunded') THEN 1 ELSE 0 END) AS paid"
           " FROM payments p JOIN requests r ON r.id = p.request_id WHERE 1 = 1")
    sql = _scoped(_channel(sql, params, channel, "r.channel"), params, scope, "r.service_id")
    params += [start, end]
    return await db.fetchall(f"{sql} GROUP BY p.request_id, r.service_id, r.channel HAVING MIN(p.created_at) >= ? AND MIN(p.created_at) < ?",
                             params)


async def csat_answers(db: Database, start: float, end: float, channel: str | None, scope: frozenset[str] | None = None) -> list[Row]:
    """Satisfaction answers given within the period: service, channel, when, rating 1-5 (the one
    place analytics reads gateway.feedback's `feedback_surveys`)."""
    params: list[Any] = [start, end]
    sql = ("SELECT service_id, channel, answered_at, rating FROM feedback_surveys"
           " WHERE rating IS NOT NULL AND answered_at >= ? AND answered_at < ?")
    return await db.fetchall(_scoped(_channel(sql, params, channel), params, scope), params)


def _rate(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def series(rows: list[Row], days: list[str], by: str, value: Callable[[list[Row]], float | None]) -> dict[str, list[float | None]]:
    """Per value of `by` (a channel, a service): one point per day, `value` of that day's rows
    (None where it has none), for the charts."""
    grouped: dict[str, dict[str, list[Row]]] = {}
    for row in rows:
        grouped.setdefault(row[by], {}).setdefault(row["day"], []).append(row)
    return {name: [value(per_day[day]) if day in per_day else None for day in days] for name, per_day in sorted(grouped.items())}


def pooled(rows: list[Row], part: str, whole: str) -> float | None:
    """A rate over several rows (a day's channels): their parts over their wholes."""
    return _rate(sum(r[part] for r in rows), sum(r[whole] for r in rows))


def csat_mean(rows: list[Row]) -> float | None:
    """The average rating over several rows."""
    answers = sum(r["csat_answers"] for r in rows)
    return round(sum(n * r[f"csat_{n}"] for r in rows for n in RATINGS) / answers, 2) if answers else None

"""SMS load: texts into `pishkhan serve` through Kannel's get-url, replies out to a fake Kannel
sendsms, against a bare aiohttp handler that parses the same request and answers 200.

Runs as its own process (the servers under test must not share its event loop); the fake Kannel
runs here, on the client's loop: it answers `0: Accepted for delivery` and notes when each reply
arrives. Per target, started fresh (its own scratch SQLite file, in-process sessions, the Kannel
provider's rate raised to 10,000/s so pacing does not cap it), then:
  closed loop  `--concurrency` citizens (distinct numbers) text back to back for `--duration` s,
               each walking WALK (a greeting opens the menu, then options, back, home, a keyword);
               then the bench waits for every acknowledged text's reply to reach the fake Kannel.
  open loop    `--rate` texts/s on a fixed schedule over `--sessions` citizens; latency counts
               from each text's planned send time (no coordinated omission); then the drain again.
Reported: texts/s (and ÷ bare), server CPU per text (utime+stime of the process tree from /proc,
from the loop's start until its last reply left: the reply's sending is part of a text's cost),
acknowledgement p50/p99, replies/s while the load ran and after it, and the reply lag: from a
text's acknowledgement to its reply reaching the fake Kannel (p50/p99/max).

    python bench/sms_load.py                                  # this checkout and bare, 1 round
    python bench/sms_load.py --rounds 3 --compare /work/wt-sms-base   # and another checkout, interleaved
    python bench/sms_load.py --count-writes --rounds 1        # also the store's transactions and statements per text
    python bench/sms_load.py --rate 0 --wrap "-m cProfile -o /tmp/gw.prof"   # a profile of the gateway
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict, deque
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from aiohttp import ClientError, ClientSession, ClientTimeout, TCPConnector, web
from yarl import URL

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.ussd_load import free_port, percentile, run_client, stop, uvloop, wait_healthy  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ENDPOINT = "/sms/inbound/kannel"
SECRET = "bench-secret"
USERNAME, PASSWORD = "bench", "bench-pass"
SHORT_NUMBER = "4000"
TEXT_TIMEOUT_S = 30.0  # Kannel's own HTTP timeout for a get-url is 30 s by default
DRAIN_IDLE_S = 15.0
"""The drain gives up when no reply arrived for this long (a gateway that lost some)."""
WALK = ["سلام", "1", "1", "1", "0", "00", "راهنما", "2"]
"""One citizen's texts: a greeting opens the menu, Services, a category, a service, back, home,
the help keyword, Track a request."""


@dataclass
class Result:
    """One target's numbers in one round."""

    target: str
    texts_per_s: float = 0.0
    texts: int = 0
    errors: int = 0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    cpu_us_per_text: float = 0.0
    """Server CPU from the closed loop's start until its last reply left, per acknowledged text."""
    cpu_us_per_text_load: float = 0.0
    """Server CPU during the closed loop only, per acknowledged text."""
    replies_per_s_during: float = 0.0
    replies_per_s_after: float = 0.0
    replies_missing: int = 0
    lag_p50_ms: float = 0.0
    lag_p99_ms: float = 0.0
    lag_max_ms: float = 0.0
    open_rate: float = 0.0
    open_achieved: float = 0.0
    open_errors: int = 0
    open_p50_ms: float = 0.0
    open_p99_ms: float = 0.0
    open_max_ms: float = 0.0
    open_replies_per_s: float = 0.0
    open_lag_p50_ms: float = 0.0
    open_lag_p99_ms: float = 0.0
    open_lag_max_ms: float = 0.0
    open_replies_missing: int = 0
    writes: dict[str, float] = field(default_factory=dict)
    """With --count-writes: store transactions and statements per closed-loop text."""
    load_average: float = 0.0


class FakeKannel:
    """Kannel's sendsms, answering at once; pairs each reply with its number's oldest unanswered text.

    A number's texts are sent one after the other, so its replies leave in the same order when the
    gateway keeps per-number order; a reply that beats the client's own view of the acknowledgement
    (the gateway may send it before the 200 is read) counts as lag 0."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.sent: list[float] = []
        self.lags: list[float] = []
        self._acks: dict[str, deque[float]] = defaultdict(deque)
        self._early: dict[str, deque[float]] = defaultdict(deque)
        self.acked = 0

    def ack(self, phone: str, at: float) -> None:
        """The gateway acknowledged one of `phone`'s texts at `at`."""
        self.acked += 1
        early = self._early[phone]
        if early:
            self.lags.append(max(0.0, early.popleft() - at))
        else:
            self._acks[phone].append(at)

    async def sendsms(self, request: web.Request) -> web.Response:
        now = time.perf_counter()
        query = request.query
        if query.get("username") != USERNAME or query.get("password") != PASSWORD:
            return web.Response(status=403, text="Authorization failed for sendsms")
        to = query.get("to", "")
        self.sent.append(now)
        acks = self._acks[to]
        if acks:
            self.lags.append(now - acks.popleft())
        else:
            self._early[to].append(now)
        return web.Response(status=202, text="0: Accepted for delivery")

    async def drained(self, sent_before: int) -> float:
        """Wait until every acknowledged text has its reply (or none came for DRAIN_IDLE_S); when the last came."""
        last_count, last_change = -1, time.perf_counter()
        while len(self.sent) - sent_before < self.acked:
            if len(self.sent) != last_count:
                last_count, last_change = len(self.sent), time.perf_counter()
            elif time.perf_counter() - last_change > DRAIN_IDLE_S:
                break
            await asyncio.sleep(0.02)
        return self.sent[-1] if len(self.sent) > sent_before else time.perf_counter()


class Citizens:
    """Distinct numbers and provider message ids."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.numbers = 0
        self.ids = 0

    def new(self) -> str:
        self.numbers += 1
        return f"+98912{self.numbers % 10_000_000:07d}"

    def message_id(self) -> str:
        self.ids += 1
        return f"{self.prefix}-{self.ids}"


def get_url(base: str, phone: str, message_id: str, body: str) -> URL:
    """Kannel's get-url for one text, as deploy/kannel/kannel.conf configures it (`%b`: UTF-16BE for Persian)."""
    ucs2 = not body.isascii()
    data = body.encode("utf-16-be") if ucs2 else body.encode()
    query = (f"secret={SECRET}&id={quote(message_id)}&sender={quote(phone)}&receiver={SHORT_NUMBER}&text={quote(data)}"
             f"&coding={2 if ucs2 else 0}&charset={'UTF-16BE' if ucs2 else 'UTF-8'}")
    return URL(f"{base}{ENDPOINT}?{query}", encoded=True)


async def send_text(http: ClientSession, url: URL) -> bool:
    """One text; True when the gateway acknowledged it (200)."""
    try:
        async with http.get(url) as response:
            await response.read()
            return response.status == 200
    except (TimeoutError, ClientError, OSError):
        return False


async def closed_loop(http: ClientSession, base: str, citizens: Citizens, kannel: FakeKannel | None,
                      concurrency: int, duration: float) -> tuple[int, int, list[float], float]:
    """Citizens text back to back until the deadline; (acknowledged, errors, latencies ms, elapsed s)."""
    ok = bad = 0
    latencies: list[float] = []
    start = time.perf_counter()
    deadline = start + duration

    async def citizen() -> None:
        nonlocal ok, bad
        while True:
            phone = citizens.new()
            for body in WALK:
                sent = time.perf_counter()
                if sent >= deadline:
                    return
                if await send_text(http, get_url(base, phone, citizens.message_id(), body)):
                    done = time.perf_counter()
                    ok += 1
                    latencies.append((done - sent) * 1000)
                    if kannel is not None:
                        kannel.ack(phone, done)
                else:
                    bad += 1

    await asyncio.gather(*(citizen() for _ in range(concurrency)))
    return ok, bad, latencies, time.perf_counter() - start


async def open_loop(http: ClientSession, base: str, citizens: Citizens, kannel: FakeKannel | None,
                    rate: float, sessions: int, duration: float) -> tuple[list[float], int, float]:
    """A fixed offered rate over `sessions` citizens each on its own schedule; (latencies ms from the
    plan, errors, achieved texts/s). A citizen's next text waits for the last one's acknowledgement."""
    interval = sessions / rate
    latencies: list[float] = []
    errors = 0
    start = time.perf_counter() + 0.05

    async def slot(index: int) -> None:
        nonlocal errors
        planned = start + index * interval / sessions
        phone, step = citizens.new(), 0
        while planned < start + duration:
            await asyncio.sleep(max(0.0, planned - time.perf_counter()))
            if await send_text(http, get_url(base, phone, citizens.message_id(), WALK[step])):
                done = time.perf_counter()
                latencies.append((done - planned) * 1000)
                if kannel is not None:
                    kannel.ack(phone, done)
            else:
                errors += 1
            step += 1
            if step == len(WALK):
                phone, step = citizens.new(), 0
            planned += interval

    await asyncio.gather(*(slot(i) for i in range(sessions)))
    return latencies, errors, (len(latencies) + errors) / (time.perf_counter() - start)


def ms(values: list[float], q: float) -> float:
    """A percentile of seconds (or ms when already ms) rounded for the table."""
    return round(percentile(sorted(values), q), 2)


class WriteCounts:
    """The counting gateway's figures, read from the file it rewrites every 0.2 s."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> dict[str, int]:
        try:
            return dict(json.loads(self.path.read_text()))
        except (OSError, ValueError):
            return {}


async def measure(target: str, cmd: list[str], cwd: Path, args: argparse.Namespace, kannel: FakeKannel, kannel_url: str,
                  directory: Path, log: IO[bytes], round_no: int) -> Result:
    """Start one target, run the closed then the open loop against it, stop it."""
    from bench.ussd_scale import gateway_env, tree_cpu  # it imports the gateway, which --serve-counting must take from its checkout

    port = free_port()
    counts = WriteCounts(directory / f"counts-{target}-{round_no}.json") if args.count_writes and target != "bare" else None
    env = {**gateway_env(1, "", directory, f"{target}-{round_no}"),
           "PISHKHAN_SMS_PROVIDERS_KANNEL_BASE_URL": kannel_url, "PISHKHAN_SMS_PROVIDERS_KANNEL_USERNAME": USERNAME,
           "PISHKHAN_SMS_PROVIDERS_KANNEL_PASSWORD": PASSWORD, "PISHKHAN_SMS_PROVIDERS_KANNEL_SECRET": SECRET,
           "PISHKHAN_SMS_PROVIDERS_KANNEL_RATE": "10000", "PISHKHAN_SMS_PROVIDERS_KANNEL_BURST": "1000"}
    if target == "bare":
        full = [sys.executable, str(Path(__file__).resolve()), "--serve-bare", "--port", str(port)]
    elif counts is not None:
        full = [cmd[0], str(Path(__file__).resolve()), "--serve-counting", str(counts.path), "--", *cmd[3:], "--port", str(port)]
    else:
        full = [*cmd, "--port", str(port)]
    if target != "bare" and args.wrap:
        full = [full[0], *args.wrap.split(), *full[1:]]
    proc = subprocess.Popen(full, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    result = Result(target, load_average=round(os.getloadavg()[0], 2))
    try:
        await wait_healthy(base, proc, f"{target} (log: {log.name})")
        citizens = Citizens(f"r{round_no}")
        fake = None if target == "bare" else kannel
        async with ClientSession(connector=TCPConnector(limit=max(args.concurrency, args.sessions) + 10),
                                 timeout=ClientTimeout(total=TEXT_TIMEOUT_S)) as http:
            if args.warmup:
                await closed_loop(http, base, citizens, fake, args.concurrency, args.warmup)
                if fake is not None:
                    await fake.drained(0)
            kannel.reset()
            before = counts.read() if counts else {}
            cpu0 = tree_cpu(proc.pid)
            ok, bad, lat, elapsed = await closed_loop(http, base, citizens, fake, args.concurrency, args.duration)
            load_end, cpu_load = time.perf_counter(), tree_cpu(proc.pid)
            result.texts, result.errors = ok, bad
            result.texts_per_s = round(ok / elapsed, 1)
            result.p50_ms, result.p99_ms = ms(lat, 0.5), ms(lat, 0.99)
            result.cpu_us_per_text_load = round((cpu_load - cpu0) / ok * 1e6, 1) if ok else 0.0
            if fake is not None:
                last = await fake.drained(0)
                await asyncio.sleep(0.3)  # the last replies' bookkeeping
                spent = tree_cpu(proc.pid) - cpu0
                result.cpu_us_per_text = round(spent / ok * 1e6, 1) if ok else 0.0
                during = sum(1 for t in fake.sent if t <= load_end)
                result.replies_per_s_during = round(during / elapsed, 1)
                after = len(fake.sent) - during
                result.replies_per_s_after = round(after / (last - load_end), 1) if after and last > load_end else 0.0
                result.replies_missing = fake.acked - len(fake.sent)
                lags = [x * 1000 for x in fake.lags]
                result.lag_p50_ms, result.lag_p99_ms = ms(lags, 0.5), ms(lags, 0.99)
                result.lag_max_ms = round(max(lags), 1) if lags else 0.0
                if counts is not None:
                    time.sleep(0.5)  # the counting gateway's next dump
                    after_counts = counts.read()
                    result.writes = {k: round((after_counts.get(k, 0) - before.get(k, 0)) / ok, 2) for k in after_counts} if ok else {}
            else:
                result.cpu_us_per_text = result.cpu_us_per_text_load
            if args.rate:
                kannel.reset()
                lat, errors, achieved = await open_loop(http, base, citizens, fake, args.rate, args.sessions, args.duration)
                result.open_rate, result.open_achieved, result.open_errors = args.rate, round(achieved, 1), errors
                result.open_p50_ms, result.open_p99_ms = ms(lat, 0.5), ms(lat, 0.99)
                result.open_max_ms = round(max(lat), 1) if lat else 0.0
                if fake is not None:
                    first = fake.sent[0] if fake.sent else 0.0
                    last = await fake.drained(0)
                    result.open_replies_per_s = round(len(fake.sent) / (last - first), 1) if len(fake.sent) > 1 else 0.0
                    lags = [x * 1000 for x in fake.lags]
                    result.open_lag_p50_ms, result.open_lag_p99_ms = ms(lags, 0.5), ms(lags, 0.99)
                    result.open_lag_max_ms = round(max(lags), 1) if lags else 0.0
                    result.open_replies_missing = fake.acked - len(fake.sent)
        return result
    finally:
        stop(proc)


async def run(args: argparse.Namespace) -> list[list[Result]]:
    """The fake Kannel, then every target in turn, `--rounds` times over (interleaved)."""
    kannel = FakeKannel()
    app = web.Application()
    app.router.add_get("/cgi-bin/sendsms", kannel.sendsms)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    kannel_port = free_port()
    await web.TCPSite(runner, "127.0.0.1", kannel_port).start()
    targets = [("gateway", ROOT)] + [(Path(c).name, Path(c)) for c in args.compare] + [("bare", ROOT)]
    rounds: list[list[Result]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="pishkhan-sms-") as tmp, \
                tempfile.NamedTemporaryFile(prefix="pishkhan-sms-", suffix=".log", delete=False) as log:
            for number in range(1, args.rounds + 1):
                results = []
                order = targets if number % 2 else targets[::-1]  # alternate who goes first
                for name, where in order:
                    python = where / ".venv" / "bin" / "python"
                    cmd = [str(python if python.exists() else sys.executable), "-m", "gateway", "serve", "--config", "config"]
                    results.append(await measure(name, cmd, where, args, kannel, f"http://127.0.0.1:{kannel_port}", Path(tmp), log, number))
                    r = results[-1]
                    print(f"round {number} {name}: {r.texts_per_s:.0f} texts/s, {r.cpu_us_per_text:.0f} us/text, "
                          f"lag p99 {r.lag_p99_ms:.0f} ms, open lag p99 {r.open_lag_p99_ms:.0f} ms (load {r.load_average})", flush=True)
                rounds.append(sorted(results, key=lambda r: [t[0] for t in targets].index(r.target)))
    finally:
        await runner.cleanup()
    return rounds


def print_table(rounds: list[list[Result]], args: argparse.Namespace) -> None:
    """Per target the median over rounds of each figure, and its texts/s ÷ bare round by round."""
    print(f"\nclosed loop: {args.concurrency} citizens x {args.duration:g} s | open loop: {args.rate:g} texts/s over "
          f"{args.sessions} citizens | walk {' / '.join(WALK)} | {len(rounds)} round(s) | {os.cpu_count()} cores shared by client, "
          f"fake Kannel and servers")
    columns = list(zip(*rounds, strict=True))
    med = statistics.median
    head = (f"{'target':<16} {'texts/s':>8} {'÷bare':>6} {'cpu us':>7} {'(load)':>7} {'p50':>6} {'p99':>7} {'rep/s in':>8} "
            f"{'rep/s aft':>9} {'lag p50':>8} {'lag p99':>8} {'lag max':>8} | {'open/s':>6} {'p99':>7} {'lag p50':>7} {'lag p99':>7} "
            f"{'lag max':>7} {'miss':>5}")
    print(head)
    for column in columns:
        ratios = [r.texts_per_s / b.texts_per_s for r, b in zip(column, columns[-1], strict=True) if b.texts_per_s]

        def m(attr: str, column: tuple[Result, ...] = column) -> float:
            return float(med(getattr(r, attr) for r in column))

        print(f"{column[0].target:<16} {m('texts_per_s'):>8.0f} {med(ratios) if ratios else 0:>6.3f} {m('cpu_us_per_text'):>7.0f} "
              f"{m('cpu_us_per_text_load'):>7.0f} {m('p50_ms'):>6.1f} {m('p99_ms'):>7.1f} {m('replies_per_s_during'):>8.0f} "
              f"{m('replies_per_s_after'):>9.0f} {m('lag_p50_ms'):>8.0f} {m('lag_p99_ms'):>8.0f} {m('lag_max_ms'):>8.0f} | "
              f"{m('open_achieved'):>6.0f} {m('open_p99_ms'):>7.1f} {m('open_lag_p50_ms'):>7.0f} {m('open_lag_p99_ms'):>7.0f} "
              f"{m('open_lag_max_ms'):>7.0f} {sum(r.replies_missing + r.open_replies_missing for r in column):>5}")
        if len(rounds) > 1:
            print(f"{'':<16} spread texts/s {min(r.texts_per_s for r in column):.0f}-{max(r.texts_per_s for r in column):.0f}, "
                  f"÷bare {', '.join(f'{x:.3f}' for x in ratios)}; cpu us/text {', '.join(f'{r.cpu_us_per_text:.0f}' for r in column)}; "
                  f"load avg {', '.join(f'{r.load_average:.1f}' for r in column)}")
        if column[0].writes:
            keys = sorted(column[0].writes)
            print(f"{'':<16} store per text: " + ", ".join(f"{k} {med(r.writes.get(k, 0) for r in column):.2f}" for k in keys))
    print("cpu us: server CPU per acknowledged text, from the closed loop's start until its last reply left (the load "
          "alone in brackets); rep/s: replies reaching the fake Kannel while the load ran and after; lag: a text's "
          "acknowledgement to its reply at the fake Kannel; miss: replies never seen (all rounds)")


def serve_bare(port: int) -> None:
    """The ceiling: parse the Kannel get-url (or a POSTed form) as the gateway's dialect does, answer 200."""
    from channels.sms import dialect_for
    from channels.sms.base import WireRequest

    dialect = dialect_for("kannel")

    async def inbound(request: web.Request) -> web.Response:
        body = await request.read()
        dialect.parse_mo(WireRequest(request.rel_url.raw_query_string, body, request.content_type if body else "", request.headers))
        return web.Response(text="")

    async def healthz(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    if uvloop is not None:
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    app = web.Application()
    app.add_routes([web.get(ENDPOINT, inbound), web.post(ENDPOINT, inbound), web.get("/healthz", healthz)])
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


def serve_counting(path: str, argv: list[str]) -> None:
    """`pishkhan serve` with the SQLite engine counting what it does, dumped to `path` every 0.2 s:
    write transactions, statements inside them (an executemany counts its rows), reads outside."""
    import runpy
    from contextlib import asynccontextmanager

    sys.path.insert(0, os.getcwd())  # the checkout being measured, not this file's

    from gateway.store import sqlite

    counts = {"transactions": 0, "statements": 0, "rows_executemany": 0, "reads": 0}
    tx_class, db_class = sqlite.SqliteTransaction, sqlite.SqliteDatabase
    execute, executemany, fetchall = tx_class.execute, tx_class.executemany, tx_class.fetchall
    transaction, read = db_class.transaction, db_class.fetchall

    async def counted_execute(self: Any, sql: str, params: Any = ()) -> int:
        counts["statements"] += 1
        return await execute(self, sql, params)

    async def counted_executemany(self: Any, sql: str, rows: Any) -> None:
        rows = list(rows)
        counts["statements"] += 1
        counts["rows_executemany"] += len(rows)
        await executemany(self, sql, rows)

    async def counted_fetchall(self: Any, sql: str, params: Any = ()) -> Any:
        counts["statements"] += 1
        return await fetchall(self, sql, params)

    @asynccontextmanager
    async def counted_transaction(self: Any) -> Any:
        async with transaction(self) as tx:
            yield tx
        counts["transactions"] += 1

    async def counted_read(self: Any, sql: str, params: Any = ()) -> Any:
        counts["reads"] += 1
        return await read(self, sql, params)

    tx_class.execute, tx_class.executemany, tx_class.fetchall = counted_execute, counted_executemany, counted_fetchall  # type: ignore[method-assign]
    db_class.transaction, db_class.fetchall = counted_transaction, counted_read  # type: ignore[method-assign]

    def dump() -> None:
        while True:
            Path(path).write_text(json.dumps(counts))
            time.sleep(0.2)

    threading.Thread(target=dump, daemon=True).start()
    sys.argv = ["gateway", *argv]
    runpy.run_module("gateway", run_name="__main__")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="SMS load: the gateway's Kannel webhook and outbox against a bare aiohttp handler.")
    p.add_argument("--concurrency", type=int, default=100, help="closed-loop citizens")
    p.add_argument("--duration", type=float, default=8.0, help="seconds per loop")
    p.add_argument("--rate", type=float, default=500.0, help="open-loop offered texts/s (0: no open loop)")
    p.add_argument("--sessions", type=int, default=200, help="open-loop citizens")
    p.add_argument("--warmup", type=float, default=1.0, help="unmeasured closed-loop seconds first")
    p.add_argument("--rounds", type=int, default=1, help="every target this many times, interleaved; medians")
    p.add_argument("--compare", default="", help="comma-separated other checkouts (each with its .venv) measured alike")
    p.add_argument("--count-writes", action="store_true", help="count the store's transactions and statements per text")
    p.add_argument("--json", action="store_true", help="also print every result as JSON")
    p.add_argument("--wrap", default="", help="python options before the gateway's `-m gateway`, e.g. '-m cProfile -o gw.prof'")
    p.add_argument("--serve-bare", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--serve-counting", default="", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args, rest = p.parse_known_args(argv)
    if args.serve_counting:
        return argparse.Namespace(**{**vars(args), "rest": [a for a in rest if a != "--"]})
    if rest:
        p.error(f"unknown arguments {rest}")
    args.compare = [c.strip() for c in args.compare.split(",") if c.strip()]
    if not (0 < args.duration <= 600 and 0 <= args.warmup <= 60) or min(args.concurrency, args.sessions, args.rounds) < 1 or args.rate < 0:
        p.error("--duration in (0, 600], --warmup in [0, 60], positive --concurrency, --sessions and --rounds, --rate >= 0")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.serve_bare:
        serve_bare(args.port)
        return
    if args.serve_counting:
        serve_counting(args.serve_counting, args.rest)
        return
    rounds = run_client(run(args))
    print_table(rounds, args)
    if args.json:
        print(json.dumps([[asdict(r) for r in results] for results in rounds], indent=2))


if __name__ == "__main__":
    main()

"""USSD load generator: the gateway's Africa's Talking endpoint against a bare-aiohttp ceiling.

Runs as its own process (the server under test must not share its event loop). Two
measurements per target, as DESIGN.md "Benchmarks" asks:
  throughput  closed loop: N sessions, each sends its next hop when the last answer arrives.
  latency     open loop: a fixed offered rate; latency counts from each hop's *planned* send
              time, so a stalled server cannot hide its queue (no coordinated omission).
The ceiling is a bare aiohttp handler that reads the form and returns a fixed CON page,
measured in the same run, so the ratio gateway/bare is comparable across machines.

    python bench/ussd_load.py --start-gateway             # gateway vs bare, default load
    python bench/ussd_load.py --url http://127.0.0.1:8080 --duration 5 --json
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from aiohttp import ClientError, ClientSession, ClientTimeout, TCPConnector, web

ROOT = Path(__file__).resolve().parent.parent
# The lead owns the gateway CLI; if its spelling changes, this is the one line to update.
GATEWAY_CMD = [sys.executable, "-m", "gateway", "serve", "--port", "{port}", "--config", "config"]
ENDPOINT = "/ussd/africastalking"
DEFAULT_PATH = "1,1,1,1,0,00"
"""The walk after the first (empty) hop: language, home, services, category, service, back, home."""
HOP_TIMEOUT_S = 15.0  # aggregators drop a USSD session after ~15 s; a slower answer is lost anyway
START_TIMEOUT_S = 20.0
LOCAL_HOSTS = {"127.0.0.1", "localhost"}

try:
    import uvloop
except ImportError:  # the bench still runs, just with a slower client
    uvloop = None  # type: ignore[assignment]


@dataclass
class Result:
    """One target's numbers: throughput from the closed loop, latency from the open loop."""

    target: str
    hops_per_s: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    offered_rate: float = 0.0
    achieved_rate: float = 0.0
    errors: int = 0
    hops: int = 0
    latency_hops: int = 0
    cpu_us_per_hop: float = 0.0
    """CPU the server's processes spent per closed-loop hop, where the caller measured it."""


@dataclass
class Walker:
    """Builds the hops of successive USSD sessions: fresh sessionId and phone, growing `text`."""

    path: list[str]
    prefix: str = field(default_factory=lambda: f"b{os.getpid()}")
    count: int = 0

    def texts(self) -> list[str]:
        """The `text` field of each hop: empty first, then the inputs so far joined by '*'."""
        return ["*".join(self.path[:i]) for i in range(len(self.path) + 1)]

    def new_session(self) -> tuple[str, str]:
        """A unique (sessionId, phoneNumber) pair, so the gateway sees distinct citizens."""
        self.count += 1
        return f"{self.prefix}-{self.count}", f"+98912{self.count % 10_000_000:07d}"


class RoundRobin:
    """Several gateways behind one address, as a load balancer spreads hops: each hop goes to the
    next one, so a session's hops land on different hosts (which Redis-shared sessions allow)."""

    def __init__(self, urls: Sequence[str]) -> None:
        self.urls = list(urls)
        self._next = itertools.cycle(self.urls).__next__

    def __call__(self) -> str:
        return self._next()


Url = str | RoundRobin
"""One gateway, or several taken in turn."""


async def hop_page(http: ClientSession, url: Url, sid: str, phone: str, text: str) -> str | None:
    """Send one USSD hop; the page when it is a 200 whose body is a CON/END page, else None."""
    form = {"sessionId": sid, "serviceCode": "*4#", "phoneNumber": phone,
            "networkCode": "43211", "text": text}
    try:
        async with http.post((url if isinstance(url, str) else url()) + ENDPOINT, data=form) as resp:
            body = await resp.text()
            return body if resp.status == 200 and body.startswith(("CON ", "END ")) else None
    except (TimeoutError, ClientError, OSError, UnicodeDecodeError):  # an error hop, not a crash
        return None


async def hop(http: ClientSession, url: Url, sid: str, phone: str, text: str) -> bool:
    """Send one USSD hop; True when it is a 200 whose body is a CON/END page."""
    return await hop_page(http, url, sid, phone, text) is not None


async def closed_loop(http: ClientSession, url: Url, walker: Walker,
                      concurrency: int, duration: float) -> tuple[float, int, int]:
    """Throughput: every worker walks sessions back to back until the deadline; (hops/s, hops, errors)."""
    texts = walker.texts()
    ok = bad = 0
    start = time.perf_counter()
    deadline = start + duration

    async def worker() -> None:
        nonlocal ok, bad
        while time.perf_counter() < deadline:
            sid, phone = walker.new_session()
            for text in texts:
                if time.perf_counter() >= deadline:
                    return
                if await hop(http, url, sid, phone, text):
                    ok += 1
                else:
                    bad += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    return ok / elapsed, ok + bad, bad


async def open_loop(http: ClientSession, url: Url, walker: Walker, rate: float,
                    sessions: int, duration: float, on_page: Callable[[str], None] | None = None,
                    stagger: bool = False) -> tuple[list[float], int, float]:
    """Latency: each slot sends hops on a fixed schedule; (latencies ms, errors, achieved hops/s).

    A USSD session is sequential (nobody types before the page shows), so a slot that falls
    behind sends late, and that lateness is part of the latency: it is measured from the plan.
    `on_page` sees every good page (benches that check what citizens were shown). Slots start in step,
    so every session is at the same screen at the same time; `stagger` makes slot i's first session
    hang up after `len(path) + 1 - i % (len(path) + 1)` hops, so every screen is on show all the time.
    """
    texts = walker.texts()
    interval = sessions / rate  # each slot carries rate/sessions hops per second
    latencies: list[float] = []
    errors = 0
    start = time.perf_counter() + 0.05
    hard_stop = start + duration + HOP_TIMEOUT_S

    async def slot(index: int) -> None:
        nonlocal errors
        planned = start + index * interval / sessions  # stagger slots evenly
        k = 0
        walk = len(texts) - index % len(texts) if stagger else len(texts)
        sid, phone = walker.new_session()
        while planned < start + duration:
            if time.perf_counter() > hard_stop:  # a hung server must not keep us here
                errors += 1
            else:
                await asyncio.sleep(max(0.0, planned - time.perf_counter()))
                page = await hop_page(http, url, sid, phone, texts[k])
                if page is not None:
                    latencies.append((time.perf_counter() - planned) * 1000)
                    if on_page is not None:
                        on_page(page)
                else:
                    errors += 1
            k += 1
            if k == walk:
                k, walk = 0, len(texts)
                sid, phone = walker.new_session()
            planned += interval

    await asyncio.gather(*(slot(i) for i in range(sessions)))
    return latencies, errors, (len(latencies) + errors) / (time.perf_counter() - start)


def percentile(sorted_ms: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list (0 when empty)."""
    if not sorted_ms:
        return 0.0
    return sorted_ms[min(len(sorted_ms) - 1, max(0, round(q * len(sorted_ms)) - 1))]


async def measure(target: str, url: Url, args: argparse.Namespace, cpu: Callable[[], float] | None = None) -> Result:
    """Warm up, then run throughput and latency against one target with one client session.
    `cpu`: the server's CPU seconds so far, read around the closed loop (its cost per hop moves far
    less with what else the machine runs than its throughput does)."""
    walker = Walker(args.path)
    limit = max(args.concurrency, args.sessions) + 10
    async with ClientSession(connector=TCPConnector(limit=limit),
                             timeout=ClientTimeout(total=HOP_TIMEOUT_S)) as http:
        if args.warmup > 0:
            await closed_loop(http, url, walker, args.concurrency, args.warmup)
        spent = cpu() if cpu else 0.0
        hps, hops, err_t = await closed_loop(http, url, walker, args.concurrency, args.duration)
        spent = cpu() - spent if cpu else 0.0
        lat, err_l, achieved = await open_loop(http, url, walker, args.rate, args.sessions, args.duration)
    lat.sort()
    return Result(target, round(hps, 1), round(percentile(lat, 0.50), 2),
                  round(percentile(lat, 0.99), 2), round(lat[-1] if lat else 0.0, 2),
                  args.rate, round(achieved, 1), err_t + err_l, hops, len(lat) + err_l,
                  round(spent / hops * 1e6, 1) if hops else 0.0)


def free_port() -> int:
    """An unused local TCP port for a server we start ourselves."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_healthy(url: str, proc: subprocess.Popen[bytes], what: str, timeout: float = START_TIMEOUT_S) -> None:
    """Poll GET /healthz until 200 (for `timeout` seconds); fail fast (with the reason) if the process died."""
    deadline = time.monotonic() + timeout
    async with ClientSession(timeout=ClientTimeout(total=1)) as http:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"{what} exited with code {proc.returncode} before it was healthy")
            try:
                async with http.get(url + "/healthz") as resp:
                    if resp.status == 200:
                        return
            except (TimeoutError, OSError):
                pass
            await asyncio.sleep(0.1)
    raise SystemExit(f"{what} did not answer GET /healthz 200 within {timeout:.0f} s")


def spawn(cmd: list[str], log: Any) -> subprocess.Popen[bytes]:
    """Start a server as a separate process from the repo root (it must not share our CPU loop)."""
    return subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server we started: SIGTERM, then SIGKILL if it lingers."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def run(args: argparse.Namespace) -> list[Result]:
    """Start what needs starting, measure the gateway then the bare ceiling, stop everything."""
    procs: list[subprocess.Popen[bytes]] = []
    log = tempfile.NamedTemporaryFile(prefix="pishkhan-bench-", suffix=".log", delete=False)
    try:
        gw_url = args.url.rstrip("/")
        if args.start_gateway:
            port = free_port()
            gw_url = f"http://127.0.0.1:{port}"
            procs.append(spawn([a.format(port=port) for a in GATEWAY_CMD], log))
            await wait_healthy(gw_url, procs[-1], f"gateway (log: {log.name})")
        bare_port = free_port()
        bare_url = f"http://127.0.0.1:{bare_port}"
        procs.append(spawn([sys.executable, str(Path(__file__).resolve()),
                            "--serve-bare", "--port", str(bare_port)], log))
        await wait_healthy(bare_url, procs[-1], "bare server")
        results: list[Result] = []
        for target, url in (("gateway", gw_url), ("bare", bare_url)):
            results.append(await measure(target, url, args))
        return results
    finally:
        for proc in procs:
            stop(proc)
        log.close()


def print_table(results: list[Result], args: argparse.Namespace) -> None:
    """The human summary: one row per target and the gateway/bare throughput ratio."""
    print(f"closed loop: {args.concurrency} sessions x {args.duration:g} s | open loop: "
          f"{args.rate:g} hops/s over {args.sessions} sessions x {args.duration:g} s | "
          f"path {','.join(args.path)} | {os.cpu_count()} cores shared by client and servers")
    print(f"{'target':<8} {'hops/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} "
          f"{'achieved/s':>10} {'errors':>7}")
    for r in results:
        print(f"{r.target:<8} {r.hops_per_s:>9.1f} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f} "
              f"{r.max_ms:>8.2f} {r.achieved_rate:>10.1f} {r.errors:>7}")
    by = {r.target: r for r in results}
    if by["bare"].hops_per_s:
        print(f"gateway/bare hops/s ratio: {by['gateway'].hops_per_s / by['bare'].hops_per_s:.2f}")


def serve_bare(port: int) -> None:
    """The ceiling: the least an aiohttp USSD endpoint can do (read the form, fixed CON page)."""
    async def ussd(request: web.Request) -> web.Response:
        await request.post()
        return web.Response(text="CON Welcome\n1. Services")

    async def healthz(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    if uvloop is not None:
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    app = web.Application()
    app.add_routes([web.post(ENDPOINT, ussd), web.get("/healthz", healthz)])
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options; rejects anything that is not a bounded, local run."""
    p = argparse.ArgumentParser(description="USSD load: gateway vs bare-aiohttp ceiling.")
    p.add_argument("--url", default="http://127.0.0.1:8080", help="running gateway (127.0.0.1 only)")
    p.add_argument("--start-gateway", action="store_true", help="launch the gateway ourselves")
    p.add_argument("--path", default=DEFAULT_PATH, help="inputs after the first (empty) hop")
    p.add_argument("--concurrency", type=int, default=200, help="closed-loop sessions")
    p.add_argument("--rate", type=float, default=1000.0, help="open-loop offered hops/s")
    p.add_argument("--sessions", type=int, default=200, help="open-loop sessions")
    p.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    p.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds before each target")
    p.add_argument("--json", action="store_true", help="also print the results as JSON")
    p.add_argument("--serve-bare", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.path = [s.strip() for s in args.path.split(",") if s.strip()]
    if urlsplit(args.url).hostname not in LOCAL_HOSTS:
        p.error("--url must point at 127.0.0.1: this tool only loads local servers")
    if not (0 < args.duration <= 600 and 0 <= args.warmup <= 60):
        p.error("--duration must be in (0, 600] and --warmup in [0, 60] seconds")
    if min(args.concurrency, args.sessions) < 1 or args.rate <= 0:
        p.error("--concurrency, --sessions and --rate must be positive")
    return args


T = TypeVar("T")


def run_client(work: Coroutine[Any, Any, T]) -> T:
    """Run the load generator's event loop: uvloop when installed (a faster client), else asyncio."""
    runner: Callable[[Coroutine[Any, Any, T]], T] = uvloop.run if uvloop is not None else asyncio.run
    return runner(work)


def main(argv: list[str] | None = None) -> None:
    """Entry point: either be the bare server, or run the whole comparison."""
    args = parse_args(argv)
    if args.serve_bare:
        serve_bare(args.port)
        return
    results = run_client(run(args))
    print_table(results, args)
    if args.json:
        print(json.dumps([asdict(r) for r in results], indent=2))


if __name__ == "__main__":
    main()

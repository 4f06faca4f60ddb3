"""Scale-out bench: the same USSD load against each setup of TARGETS in turn (one worker on the
in-process store, one worker on a redis-server, two workers sharing it, then the same on PostgreSQL
and two hosts behind a round-robin balancer), in one run; prints each and its throughput against
the first. Two mixes: `browse` walks the menus; `submit` files a request in every session (the
Smart ID card's first issue, with its fee, receipt and payment link), so every session commits.

Uses bench/ussd_load.py's load generator (closed loop for hops/s, open loop from the plan for
latency). Everything runs on this machine: the client, the workers and Redis share its cores.

    python bench/ussd_scale.py                      # 8 s per measurement, 500 open-loop sessions
    python bench/ussd_scale.py --rounds 3           # every target three times, interleaved: medians and spread
    python bench/ussd_scale.py --duration 5 --json
    python bench/ussd_scale.py --mixes submit --targets "1 worker in-process,2 hosts + redis + pg"
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.postgres import Postgres  # noqa: E402
from bench.ussd_load import Result, RoundRobin, Url, free_port, measure, run_client, stop, wait_healthy  # noqa: E402
from gateway.store.url import database_at  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
APOLOGY = "answered with an apology"
"""What a worker logs when it answered a hop with the polite END because Redis did not answer."""


def start_redis(directory: Path, log: IO[bytes]) -> tuple[subprocess.Popen[bytes], str]:
    """A throwaway redis-server without persistence."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed: `apt-get install redis-server`")
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(directory)], stdout=log, stderr=subprocess.STDOUT)
    time.sleep(0.3)
    if proc.poll() is not None:
        raise SystemExit(f"redis-server exited with code {proc.returncode}")
    return proc, f"redis://127.0.0.1:{port}/0"


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process and its live descendants (the workers), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:  # it exited meanwhile
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS + sum(tree_cpu(int(child)) for child in children)


def gateway_env(workers: int, redis_url: str, directory: Path, name: str = "", store_url: str = "") -> dict[str, str]:
    """The environment of `pishkhan serve` and of any CLI command run against it: its scratch store
    (a SQLite file, or `store_url`) and Redis; INFO logs off for every setup alike."""
    store = directory / f"store-{workers}{'-' + name.replace(' ', '').replace(',', '') if name else ''}.sqlite3"
    where = {"PISHKHAN_STORE_URL": store_url} if store_url else {"PISHKHAN_STORE_PATH": str(store)}
    return {**os.environ, **where, "PISHKHAN_REDIS_URL": redis_url, "PISHKHAN_SERVER_LOG_LEVEL": "WARNING"}


def start_gateway(workers: int, redis_url: str, directory: Path, log: IO[bytes],
                  config: Path | None = None, name: str = "", store_url: str = "") -> tuple[subprocess.Popen[bytes], str]:
    """`pishkhan serve` with its own scratch store (and `config`, default the repository's config/);
    `name` tells apart the stores of setups with the same number of workers."""
    port = free_port()
    cmd = [sys.executable, "-m", "gateway", "serve", "--port", str(port), "--workers", str(workers)]
    proc = subprocess.Popen(cmd + (["--config", str(config)] if config else []), cwd=ROOT,
                            env=gateway_env(workers, redis_url, directory, name, store_url), stdout=log, stderr=subprocess.STDOUT)
    return proc, f"http://127.0.0.1:{port}"


@dataclass(frozen=True)
class Target:
    """One setup to measure: how many workers per host, whether they share a redis-server we start,
    whether the store is PostgreSQL (else SQLite), and how many hosts (`pishkhan serve` processes on
    their own ports, taken in turn by the client as a load balancer would)."""

    name: str
    workers: int
    redis: bool
    postgres: bool = False
    hosts: int = 1


TARGETS = [
    Target("1 worker in-process", 1, redis=False),
    Target("1 worker + redis", 1, redis=True),
    Target("2 workers + redis", 2, redis=True),
    Target("1 worker + redis + pg", 1, redis=True, postgres=True),
    Target("2 workers + redis + pg", 2, redis=True, postgres=True),
    Target("2 hosts + redis + pg", 1, redis=True, postgres=True, hosts=2),
]
"""Measured in this order; the first is the baseline every ratio is taken against."""

GOALS = {"1 worker + redis": 0.80, "2 workers + redis": 1.5}
"""Throughput against the baseline that issue 14 asks for, by target name."""


MIXES = {"browse": None, "submit": ["2", "1", "1", "1", "1", "1", "0499370899", "1375/06/21", "1"]}
"""The inputs of each mix after the first hop (browse: `--path`). submit: English, Services, Civil
registry, Smart ID card, First issue, Apply, national code, birth date, Confirm: a request filed."""


async def run(args: argparse.Namespace) -> dict[str, list[list[Result]]]:
    """Per mix, every target in turn, `--rounds` times over (interleaved, so what else the machine does
    weighs on every target alike); each started, measured and stopped (its Redis too) before the next.
    One PostgreSQL for the run (fsync on, as in production), a fresh database per measurement."""
    by_mix: dict[str, list[list[Result]]] = {}
    with tempfile.TemporaryDirectory(prefix="pishkhan-scale-") as tmp, \
            tempfile.NamedTemporaryFile(prefix="pishkhan-scale-", suffix=".log", delete=False) as log:
        postgres = None
        if any(t.postgres for t in args.targets):
            postgres = Postgres(free_port(), log).start()
        try:
            for mix in args.mixes:
                mixed = argparse.Namespace(**{**vars(args), "path": MIXES[mix] or args.path})
                rounds = by_mix[mix] = []
                for number in range(1, args.rounds + 1):
                    rounds.append([await measure_target(target, Path(tmp), log, mixed, postgres) for target in args.targets])
                    if args.rounds > 1:
                        print(f"{mix} round {number}: " + ", ".join(f"{r.target} {r.hops_per_s:.0f} hops/s" for r in rounds[-1]),
                              flush=True)
        finally:
            if postgres is not None:
                postgres.stop()
    return by_mix


async def measure_target(target: Target, directory: Path, log: IO[bytes], args: argparse.Namespace,
                         postgres: Postgres | None) -> Result:
    """Start the target's processes, measure it, stop them."""
    procs = []
    try:
        redis_url = store_url = ""
        if target.redis:
            redis, redis_url = start_redis(directory, log)
            procs.append(redis)
        if target.postgres:
            assert postgres is not None
            store_url = postgres.database(f"bench_{free_port()}")
        urls = []
        for host in range(target.hosts):  # one after the other: the first migrates the store
            gateway, url = start_gateway(target.workers, redis_url, directory, log, name=f"{target.name}{host}", store_url=store_url)
            procs.insert(0, gateway)
            urls.append(url)
            await wait_healthy(url, gateway, f"{target.name} (log: {log.name})")
        gateways = procs[:target.hosts]
        await asyncio.sleep(1.0 if target.workers > 1 else 0.2)  # every worker listening, not just the first
        seen = Path(log.name).read_text(errors="replace").count(APOLOGY)
        where: Url = urls[0] if len(urls) == 1 else RoundRobin(urls)
        result = await measure(target.name, where, args, cpu=lambda: sum(tree_cpu(g.pid) for g in gateways))
        log.flush()
        apologies = Path(log.name).read_text(errors="replace").count(APOLOGY) - seen
        if apologies:
            print(f"{target.name}: {apologies} hops answered with the store-unavailable apology (counted as hops)")
        if args.path == MIXES["submit"]:  # the requests are really there, not apologies counted as hops
            env = gateway_env(target.workers, redis_url, directory, f"{target.name}0", store_url)
            url = env.get("PISHKHAN_STORE_URL") or f"sqlite:///{env['PISHKHAN_STORE_PATH']}"
            db = await database_at(url).open(migrate=False)
            try:
                stored = (await db.fetchone("SELECT count(*) AS n FROM requests"))["n"]  # type: ignore[index]
            finally:
                await db.close()
            print(f"{target.name}: {stored} requests stored", flush=True)
        return result
    finally:
        for proc in procs:
            stop(proc)


def print_table(mix: str, rounds: list[list[Result]], args: argparse.Namespace) -> None:
    """One row per target (with several rounds: the round whose throughput is the target's median,
    and the spread), its throughput against the first target, then the goals met or missed. In the
    submit mix, `req/s`: requests filed per second (every session files one)."""
    path = MIXES[mix] or args.path
    per_session = len(path) + 1
    print(f"\n{mix}: closed loop: {args.concurrency} sessions x {args.duration:g} s | open loop: {args.rate:g} hops/s over "
          f"{args.sessions} sessions x {args.duration:g} s | path {','.join(path)} | {len(rounds)} round(s) | "
          f"{os.cpu_count()} cores shared by client, workers, Redis and PostgreSQL")
    columns = list(zip(*rounds, strict=True))  # per target, its result in each round
    typical = [sorted(column, key=lambda r: r.hops_per_s)[len(column) // 2] for column in columns]
    base = typical[0]
    print(f"{'setup':<23} {'hops/s':>9} {'req/s':>7} {'spread':>11} {'ratio':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} "
          f"{'achieved/s':>10} {'errors':>7} {'cpu us/hop':>10}")
    for r, column in zip(typical, columns, strict=True):
        spread = f"{min(c.hops_per_s for c in column):.0f}-{max(c.hops_per_s for c in column):.0f}"
        cpu = statistics.median(c.cpu_us_per_hop for c in column)
        filed = f"{r.hops_per_s / per_session:.1f}" if mix == "submit" else "-"
        print(f"{r.target:<23} {r.hops_per_s:>9.1f} {filed:>7} {spread:>11} {ratio(r, base):>6.2f} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f} "
              f"{r.max_ms:>8.2f} {r.achieved_rate:>10.1f} {r.errors:>7} {cpu:>10.0f}")
    print("cpu us/hop: the gateway's processes (not the client, not Redis) per closed-loop hop, median of the rounds")
    cpus = [statistics.median(c.cpu_us_per_hop for c in column) for column in columns]
    for index, r in enumerate(typical):
        if r.target in GOALS:
            each = sorted(ratio(results[index], results[0]) for results in rounds)
            median = statistics.median(each)
            met = "met" if median >= GOALS[r.target] else "missed"
            print(f"{r.target} / {base.target} hops/s: {median:.2f}, median of the rounds' "
                  f"{', '.join(f'{e:.2f}' for e in each)} (target >= {GOALS[r.target]:g}: {met}); "
                  f"per worker by CPU per hop, as with a core per worker: {cpus[0] / cpus[index] if cpus[index] else 0:.2f}")


def ratio(result: Result, base: Result) -> float:
    """`result`'s closed-loop throughput as a fraction of `base`'s."""
    return result.hops_per_s / base.hops_per_s if base.hops_per_s else 0.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Load shape; the same for every setup."""
    p = argparse.ArgumentParser(description="USSD load: each setup of TARGETS in one run.")
    p.add_argument("--path", default="1,1,1,1,0,00", help="inputs after the first (empty) hop")
    p.add_argument("--concurrency", type=int, default=200, help="closed-loop sessions")
    p.add_argument("--rate", type=float, default=1000.0, help="open-loop offered hops/s")
    p.add_argument("--sessions", type=int, default=500, help="open-loop concurrent sessions")
    p.add_argument("--duration", type=float, default=8.0, help="seconds per measurement")
    p.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds before each setup")
    p.add_argument("--rounds", type=int, default=1, help="measure every target this many times, interleaved; medians")
    p.add_argument("--mixes", default=",".join(MIXES), help=f"comma-separated, of {', '.join(MIXES)}")
    p.add_argument("--targets", default=",".join(t.name for t in TARGETS), help="comma-separated setup names; the first is the baseline")
    p.add_argument("--json", action="store_true", help="also print the results as JSON")
    args = p.parse_args(argv)
    args.path = [s.strip() for s in args.path.split(",") if s.strip()]
    args.mixes = [m.strip() for m in args.mixes.split(",") if m.strip()]
    by_name = {t.name: t for t in TARGETS}
    if unknown := [m for m in args.mixes if m not in MIXES] + [n for n in args.targets.split(",") if n.strip() not in by_name]:
        p.error(f"unknown mix or target {unknown}; mixes: {', '.join(MIXES)}; targets: {', '.join(by_name)}")
    args.targets = [by_name[n.strip()] for n in args.targets.split(",")]
    if not (0 < args.duration <= 600 and 0 <= args.warmup <= 60) or min(args.concurrency, args.sessions, args.rounds) < 1 or args.rate <= 0:
        p.error("--duration in (0, 600], --warmup in [0, 60], positive --concurrency, --sessions, --rounds and --rate")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    by_mix = run_client(run(args))
    for mix, rounds in by_mix.items():
        print_table(mix, rounds, args)
    if args.json:
        print(json.dumps({mix: [[asdict(r) for r in results] for results in rounds] for mix, rounds in by_mix.items()}, indent=2))


if __name__ == "__main__":
    main()

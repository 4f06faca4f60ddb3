"""Publish and roll back content while USSD load runs: does a live switch fail a hop or slow one?

Issue 13 asks for zero failed hops and a p99 within 2x of the same load without a publish. One run
starts a real `pishkhan serve` on a scratch store and a scratch copy of config/, then interleaves
open-loop latency runs of the same shape (bench/ussd_load.py's: a fixed offered rate, latency from
each hop's planned send time, so a stall is charged to every hop queued behind it):

  steady      no CLI runs;
  publishing  every `--every` s the real CLI, against the same store (and Redis), either edits a
              menu label in the scratch config/flows/main.yaml and runs `pishkhan flows publish`,
              or runs `pishkhan flows rollback 1` (the first version, config/ as copied);
  control     the same commands at the same times without the edit: publish finds nothing changed
              and the rollback finds version 1 live, so the CLI does its work (a Python process
              importing the gateway and checking the content twice) but no worker switches. It
              separates what a switch costs the workers from what the CLI costs the shared cores.

Pages are read as well as timed: the count of home pages showing the original and the edited
label proves the workers switched (both in `publishing`, only the original in the other runs).

    python bench/publish_under_load.py                      # 1 worker on the embedded store
    python bench/publish_under_load.py --workers 2          # 2 workers + a redis-server it starts
    python bench/publish_under_load.py --rounds 3 --json
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import ClientSession, ClientTimeout, TCPConnector  # noqa: E402

from bench.ussd_load import HOP_TIMEOUT_S, Walker, closed_loop, open_loop, percentile, run_client, stop, wait_healthy  # noqa: E402
from bench.ussd_scale import gateway_env, start_gateway, start_redis  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
LABEL = "خدمات"
"""Home's first option in config/flows/main.yaml (Persian): the default path shows home twice a session."""
EDITED = "خدمات نو"
BASE_VERSION = 1
"""A scratch store's first version is config/ as found at the first start: what every rollback returns to."""
FOLLOW_S = 3.0
"""How long after the last switch workers get to follow it before the next run (issue 13: within 2 s;
pages of the next runs showing the edited label say when they took longer)."""
CLI_TIMEOUT_S = 60.0
KINDS = ("steady", "control", "publishing")
"""No CLI; the CLI publishing and rolling back unchanged content (its own cost: a Python process
importing the gateway, checking content, on the same cores); the CLI switching versions."""


@dataclass
class Run:
    """One latency run's numbers and, for a publishing run, what the CLI did and what citizens saw."""

    kind: str
    round: int
    hops: int = 0
    failed: int = 0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    achieved_rate: float = 0.0
    publishes: int = 0
    rollbacks: int = 0
    cli_failures: int = 0
    cli_ms_max: float = 0.0
    pages_original: int = 0
    pages_edited: int = 0
    switch_lag_ms_max: float = 0.0
    """The slowest switch seen: from a command's exit to the first page showing what it published, or
    the last page still showing what it rolled back (pages timed on arrival, so a hop's latency is in)."""
    edited_at: list[float] = field(default_factory=list)
    switches: list[tuple[float, float, bool]] = field(default_factory=list)
    """(started, exited, edited label live after) of each command that switched versions."""

    def see(self, page: str) -> None:
        """Count the home page by the label its first option shows (`۱. خدمات` or `۱. خدمات نو`)."""
        for line in page.splitlines():
            label = line.partition(". ")[2]
            if label == LABEL:
                self.pages_original += 1
            elif label == EDITED:
                self.pages_edited += 1
                self.edited_at.append(time.monotonic())

    def switch_lags(self) -> list[float]:
        """Seconds from each switching command's exit until the pages showed it (0 when they did before)."""
        lags = []
        for i, (began, exited, edited) in enumerate(self.switches):
            until = self.switches[i + 1][0] if i + 1 < len(self.switches) else float("inf")
            seen = [t for t in self.edited_at if began <= t < until]
            if seen:  # a switch after the load ended shows on no page
                lags.append(max(0.0, (seen[0] if edited else seen[-1]) - exited))
        return lags

    def summary(self) -> dict[str, object]:
        """The figures, without the raw timeline."""
        return {k: v for k, v in asdict(self).items() if k not in ("edited_at", "switches")}


@contextmanager
def scratch_config(directory: Path) -> Iterator[tuple[Path, str, str]]:
    """A copy of config/ to publish from (the repository's files are never edited); (dir, original
    main.yaml, edited main.yaml)."""
    config = directory / "config"
    shutil.copytree(ROOT / "config", config)
    original = (config / "flows" / "main.yaml").read_text(encoding="utf-8")
    edited = original.replace(f'label: {{fa: "{LABEL}"', f'label: {{fa: "{EDITED}"', 1)
    if edited == original:
        raise SystemExit(f'config/flows/main.yaml has no option labelled {LABEL!r}: update LABEL in {__file__}')
    yield config, original, edited


class Churn:
    """The operator's side: the real CLI publishing an edited label and rolling it back on a schedule."""

    def __init__(self, config: Path, original: str, edited: str, env: dict[str, str], nice: int) -> None:
        self.config, self.original, self.edited, self.env = config, original, edited, env
        self.nice = ["nice", "-n", str(nice)] if nice else []
        self.main = config / "flows" / "main.yaml"
        self.edited_live = False

    async def cli(self, run: Run, *words: str) -> tuple[float, float]:
        """One `pishkhan flows …` command, (started, exited) on the monotonic clock; its failure is
        counted and shown, never raised."""
        began = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            *self.nice, sys.executable, "-m", "gateway", "flows", *words, "--config", str(self.config), cwd=ROOT, env=self.env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), CLI_TIMEOUT_S)
        except TimeoutError:
            proc.kill()
            out = b"timed out"
        exited = time.monotonic()
        run.cli_ms_max = max(run.cli_ms_max, (exited - began) * 1000)
        if proc.returncode != 0:
            run.cli_failures += 1
            print(f"`pishkhan flows {' '.join(words)}` failed: {out.decode(errors='replace').strip()}", file=sys.stderr)
        return began, exited

    async def publish(self, run: Run, edit: bool) -> None:
        """Publish the scratch config/ with the label edited (`edit`) or as it is (the CLI then finds
        nothing changed: the same work, no switch); the file is put back as it was."""
        if edit:
            self.main.write_text(self.edited, encoding="utf-8")
        try:
            began, exited = await self.cli(run, "publish", "--note", "bench: edited label")
        finally:
            self.main.write_text(self.original, encoding="utf-8")
        run.publishes += 1
        if edit and not self.edited_live:
            run.switches.append((began, exited, True))
            self.edited_live = True

    async def roll_back(self, run: Run) -> None:
        """Serve the first version (a no-op rollback when it is live already)."""
        began, exited = await self.cli(run, "rollback", str(BASE_VERSION))
        run.rollbacks += 1
        if self.edited_live:
            run.switches.append((began, exited, False))
            self.edited_live = False

    async def churn(self, run: Run, every: float, until: float, edit: bool) -> None:
        """Publish, roll back, publish, … one command every `every` s (back to back if one overruns),
        none started after `until`: a command then would switch versions under no measured load."""
        at, publishing = time.monotonic(), True
        while max(at, time.monotonic()) < until:
            await asyncio.sleep(max(0.0, at - time.monotonic()))
            await (self.publish(run, edit) if publishing else self.roll_back(run))
            at, publishing = at + every, not publishing

    async def settle(self, run: Run) -> None:
        """Leave the first version live, and give every worker time to follow the last switch (which
        may have ended after the load did)."""
        if self.edited_live:
            await self.roll_back(run)
        if run.switches:
            await asyncio.sleep(max(0.0, run.switches[-1][1] + FOLLOW_S - time.monotonic()))


async def latency_run(http: ClientSession, url: str, walker: Walker, args: argparse.Namespace, run: Run, churn: Churn) -> Run:
    """One open-loop run, with the CLI churning alongside unless the run is `steady`; fills `run`."""
    side = None
    if run.kind != "steady":
        side = asyncio.create_task(churn.churn(run, args.every, time.monotonic() + args.duration, edit=run.kind == "publishing"))
    lat, errors, achieved = await open_loop(http, url, walker, args.rate, args.sessions, args.duration, run.see, stagger=True)
    if side is not None:
        await side
    await churn.settle(run)
    lat.sort()
    run.hops, run.failed, run.achieved_rate = len(lat) + errors, errors, round(achieved, 1)
    run.p50_ms, run.p99_ms = round(percentile(lat, 0.50), 2), round(percentile(lat, 0.99), 2)
    run.max_ms = round(lat[-1] if lat else 0.0, 2)
    run.switch_lag_ms_max = round(max(run.switch_lags(), default=0.0) * 1000)
    return run


async def measure(url: str, churn: Churn, args: argparse.Namespace) -> list[Run]:
    """Warm up, then `--rounds` rounds of one run of each kind; the order rotates each round."""
    walker = Walker(args.path)
    runs: list[Run] = []
    async with ClientSession(connector=TCPConnector(limit=args.sessions + 10),
                             timeout=ClientTimeout(total=HOP_TIMEOUT_S)) as http:
        if args.warmup > 0:
            await closed_loop(http, url, walker, min(args.sessions, 50), args.warmup)
        for number in range(1, args.rounds + 1):
            shift = (number - 1) % len(KINDS)
            for kind in KINDS[shift:] + KINDS[:shift]:
                runs.append(await latency_run(http, url, walker, args, Run(kind, number), churn))
    return runs


async def run(args: argparse.Namespace) -> list[Run]:
    """Scratch config, store (and Redis); one gateway for every run; everything stopped after."""
    with tempfile.TemporaryDirectory(prefix="pishkhan-publish-") as tmp, scratch_config(Path(tmp)) as (config, original, edited), \
            tempfile.NamedTemporaryFile(prefix="pishkhan-publish-", suffix=".log", delete=False) as log:
        directory = Path(tmp)
        # Bytecode cached as on an installed host (a shell here may forbid writing it): otherwise every CLI
        # command compiles the gateway's modules again, a cost operators do not pay. Kept out of the repository.
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
        os.environ["PYTHONPYCACHEPREFIX"] = str(directory / "pycache")
        if args.redis_url:  # someone else's Redis: keys and the content channel of our own
            os.environ["PISHKHAN_REDIS_PREFIX"] = f"pishkhan-bench-{os.getpid()}:"
        procs = []
        try:
            redis_url = args.redis_url
            if args.workers > 1 and not redis_url:
                redis, redis_url = start_redis(directory, log)
                procs.append(redis)
            gateway, url = start_gateway(args.workers, redis_url, directory, log, config)
            procs.insert(0, gateway)
            await wait_healthy(url, gateway, f"gateway (log: {log.name})")
            await asyncio.sleep(1.0 if args.workers > 1 else 0.2)  # every worker listening, not just the first
            runs = await measure(url, Churn(config, original, edited, gateway_env(args.workers, redis_url, directory), args.cli_nice), args)
        finally:
            for proc in procs:
                stop(proc)
        print_log_problems(log)
    return runs


def print_log_problems(log: IO[bytes]) -> None:
    """Errors the gateway logged (a refused version, a store outage): they explain a failed hop."""
    log.flush()
    lines = Path(log.name).read_text(errors="replace").splitlines()
    problems = [line for line in lines if " ERROR " in line or "Traceback" in line]
    for line in problems[:20]:
        print(f"gateway log: {line}", file=sys.stderr)
    if problems:
        print(f"({len(problems)} error lines; whole log: {log.name})", file=sys.stderr)
    else:
        os.unlink(log.name)


def ratios(runs: list[Run], over: str, under: str) -> list[float]:
    """p99(over) / p99(under), round by round."""
    def p99(number: int, kind: str) -> float:
        return next(r.p99_ms for r in runs if r.round == number and r.kind == kind)
    return [p99(n, over) / p99(n, under) for n in sorted({r.round for r in runs}) if p99(n, under)]


def print_table(runs: list[Run], args: argparse.Namespace) -> None:
    """One row per run; the p99 ratios round by round; then the verdict against the issue's bar."""
    setup = f"{args.workers} worker{'s' if args.workers > 1 else ''}" + (" + Redis" if args.workers > 1 else " (embedded store)")
    nice = f" (nice {args.cli_nice})" if args.cli_nice else ""
    print(f"{setup} | open loop: {args.rate:g} hops/s over {args.sessions} sessions x {args.duration:g} s per run | "
          f"a CLI command every {args.every:g} s{nice} | path {','.join(args.path)} | {os.cpu_count()} cores shared by all")
    print(f"{'round':>5} {'run':<10} {'hops':>6} {'failed':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'hops/s':>7} "
          f"{'publ':>4} {'rollb':>5} {'cli max ms':>10} {'pages old':>9} {'pages new':>9} {'lag max ms':>10}")
    for r in runs:
        print(f"{r.round:>5} {r.kind:<10} {r.hops:>6} {r.failed:>6} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f} {r.max_ms:>8.2f} "
              f"{r.achieved_rate:>7.1f} {r.publishes:>4} {r.rollbacks:>5} {r.cli_ms_max:>10.0f} {r.pages_original:>9} {r.pages_edited:>9} "
              f"{r.switch_lag_ms_max:>10.0f}")
    for over, under in (("publishing", "steady"), ("control", "steady"), ("publishing", "control")):
        found = ratios(runs, over, under)
        print(f"p99 {over}/{under}: {' '.join(f'{x:.2f}' for x in found)} (median {statistics.median(found) if found else 0.0:.2f})")
    failed = {kind: (sum(r.failed for r in runs if r.kind == kind), sum(r.hops for r in runs if r.kind == kind)) for kind in KINDS}
    switched = all(r.pages_edited > 0 and r.pages_original > 0 for r in runs if r.kind == "publishing")
    leaked = sum(r.pages_edited for r in runs if r.kind != "publishing")
    print("failed hops: " + ", ".join(f"{f}/{h} {kind}" for kind, (f, h) in failed.items()) + " (target: 0); "
          f"edited label seen in every publishing run: {'yes' if switched else 'NO'}; in the other runs: {leaked} pages")


async def switch_stall(count: int) -> None:
    """In one process, no load, no CLI: how long a worker's switch to a new version takes, and the
    longest the event loop waited meanwhile (what every hop arriving then waits too)."""
    from gateway.assembly import open_gateway
    from gateway.content.model import configured_content
    from gateway.settings import load_settings

    async def loop_gap(work: Awaitable[object]) -> tuple[float, float]:
        """(ms `work` took, longest ms between two 0.5 ms ticks of the loop meanwhile)."""
        done, worst = False, 0.0

        async def tick() -> None:
            nonlocal worst
            last = time.perf_counter()
            while not done:
                await asyncio.sleep(0.0005)
                worst, last = max(worst, time.perf_counter() - last), time.perf_counter()

        ticker = asyncio.create_task(tick())
        await asyncio.sleep(0.05)
        worst, began = 0.0, time.perf_counter()
        await work
        took = time.perf_counter() - began
        done = True
        await ticker
        return took * 1000, worst * 1000

    with tempfile.TemporaryDirectory(prefix="pishkhan-stall-") as tmp, scratch_config(Path(tmp)) as (config, original, _):
        settings = load_settings(str(config)).with_sqlite_store(Path(tmp) / "store.sqlite3")
        gateway = await open_gateway(settings)
        try:
            idle, switch = [], []
            for i in range(count):
                (config / "flows" / "main.yaml").write_text(original.replace(f'fa: "{LABEL}"', f'fa: "{LABEL} {i}"', 1), encoding="utf-8")
                change = await gateway.publisher.prepare_content(configured_content(settings))
                await gateway.publisher.publish(change, author="bench", note="")
                idle.append(await loop_gap(asyncio.sleep(0.03)))
                switch.append(await loop_gap(gateway.watcher.follow()))
        finally:
            await gateway.close()
    for what, found in (("idle 30 ms", idle), ("follow() switch", switch)):
        took, gap = [t for t, _ in found], [g for _, g in found]
        print(f"{what:<16} took ms: median {statistics.median(took):.1f}, max {max(took):.1f} | "
              f"longest loop gap ms: median {statistics.median(gap):.1f}, max {max(gap):.1f}  ({count} switches)")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Load shape and churn; the same for every run."""
    p = argparse.ArgumentParser(description="USSD latency with and without publish/rollback churn, in one run.")
    p.add_argument("--workers", type=int, default=1, help="1: embedded store; more: a redis-server is started (or --redis-url)")
    p.add_argument("--redis-url", default="", help="use this Redis instead of starting one (workers > 1)")
    p.add_argument("--path", default="1,1,1,1,0,00", help="inputs after the first (empty) hop")
    p.add_argument("--rate", type=float, default=500.0, help="open-loop offered hops/s")
    p.add_argument("--sessions", type=int, default=200, help="open-loop concurrent sessions")
    p.add_argument("--duration", type=float, default=20.0, help="seconds per run")
    p.add_argument("--every", type=float, default=2.0, help="seconds between a publish and the next rollback (and back)")
    p.add_argument("--rounds", type=int, default=2, help="rounds of one run of each kind (steady, control, publishing), order rotating")
    p.add_argument("--cli-nice", type=int, default=0, choices=range(0, 20), metavar="0..19",
                   help="run the CLI under `nice -n N`: on a machine with few cores, keeps its CPU (mostly imports) "
                        "from delaying the workers and the load generator, so what is left is the switch itself")
    p.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds of closed-loop load first")
    p.add_argument("--json", action="store_true", help="also print the runs as JSON")
    p.add_argument("--switch-stall", type=int, default=0, metavar="N",
                   help="instead: N switches in this process, no load, no CLI: each switch's time and the event loop's longest wait")
    args = p.parse_args(argv)
    args.path = [s.strip() for s in args.path.split(",") if s.strip()]
    if not (0 < args.duration <= 600 and 0 <= args.warmup <= 60 and 0.5 <= args.every <= args.duration):
        p.error("--duration in (0, 600], --warmup in [0, 60], --every in [0.5, duration] seconds")
    if not (1 <= args.workers <= 16 and 1 <= args.rounds <= 20) or args.sessions < 1 or args.rate <= 0:
        p.error("--workers in [1, 16], --rounds in [1, 20], positive --sessions and --rate")
    if args.workers == 1 and args.redis_url:
        p.error("--redis-url is for --workers 2 or more (one worker runs on the embedded default)")
    if args.redis_url and not args.redis_url.startswith("redis://127.0.0.1:"):
        p.error("--redis-url must be a local redis://127.0.0.1:PORT/DB (this tool only loads local servers)")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.switch_stall:
        asyncio.run(switch_stall(args.switch_stall))
        return
    runs = run_client(run(args))
    print_table(runs, args)
    if args.json:
        print(json.dumps([r.summary() for r in runs], indent=2))


if __name__ == "__main__":
    main()

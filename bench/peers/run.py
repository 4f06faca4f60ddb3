"""Side-by-side USSD bench: Pishkhan against the USSD libraries a government could pick instead,
and the bare aiohttp and express ceilings, serving the same menu, in one run (issue 19).

Installs the peers from the package registries into a scratch directory (nothing of theirs is in the
repository), starts each system in turn as one server process on one core, checks that it answers
every page of the walk exactly as menu.json says (a system that answers wrong is reported, not
measured), then measures it from this process on the other core with bench/ussd_load.py's load
generator: closed-loop hops/s, server CPU per hop from /proc, open-loop latency at a fixed rate.
Rounds interleave the systems, so what else the machine runs weighs on all of them alike.

    python bench/peers/run.py                          # 5 rounds, 8 s per measurement
    python bench/peers/run.py --rounds 5 --dir /tmp/peers --json /tmp/peers.json
    python bench/peers/run.py --capture                # refresh menu.json's pages from Pishkhan
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from aiohttp import ClientSession, ClientTimeout, TCPConnector

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.ussd_load import (  # noqa: E402
    HOP_TIMEOUT_S,
    Walker,
    closed_loop,
    free_port,
    hop_page,
    open_loop,
    percentile,
    run_client,
    stop,
    wait_healthy,
)
from bench.ussd_scale import CLOCK_TICKS, start_gateway, start_redis, tree_cpu  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
APPS = HERE / "apps"
NPM_PACKAGES = {"express": "5", "ussd-builder": "1.3.2", "ussd-menu-builder": "1.2.0"}
"""npm name -> the version (or major) to install: what issue 19 measured."""
PIP_PACKAGES = ["anysd==1.2.7", "flask==3.1.3", "gunicorn==27.0.1",
                "redis==4.6.0"]  # anysd 1.2.7 passes redis.Redis(charset=...), which redis-py 5 removed
SERVER_CPU, CLIENT_CPU = 0, 1
"""Every server (and anysd's Redis) runs on core 0, this load generator on core 1."""


@dataclass(frozen=True)
class Menu:
    """menu.json: the pages and the links of the walk; `expected` is the page answered at each hop."""

    description: dict
    expected: list[str]

    @classmethod
    def load(cls, path: Path) -> Menu:
        description = json.loads(path.read_text(encoding="utf-8"))
        unknown = set(description) - {"about", "start", "walk", "back", "home", "pages"}
        if unknown:
            raise SystemExit(f"{path}: unknown keys {sorted(unknown)}")
        return cls(description, ["CON " + description["pages"][name]["text"] for name in cls.visits(description, path)])

    @staticmethod
    def visits(description: dict, path: Path) -> list[str]:
        """The page shown at each hop: the start page, then each input's link from the page before."""
        names = [description["start"]]
        for choice in description["walk"]:
            link = description["pages"][names[-1]]["next"].get(choice)
            if link not in description["pages"]:
                raise SystemExit(f"{path}: page {names[-1]!r} has no link {choice!r} to a page")
            names.append(link)
        return names


@dataclass
class Started:
    """A running system: its processes (stopped in this order), its address and whose CPU to count."""

    procs: list[subprocess.Popen[bytes]]
    url: str
    server: subprocess.Popen[bytes]
    redis: subprocess.Popen[bytes] | None = None


@dataclass(frozen=True)
class System:
    """One system of the table; `checked`: its pages must be the menu's (the ceilings answer a fixed page)."""

    name: str
    label: str
    start: Callable[[argparse.Namespace, Path, IO[bytes], int], Started]
    checked: bool = True


@dataclass
class Measurement:
    """One system in one round."""

    system: str
    round: int
    hops_per_s: float = 0.0
    hops: int = 0
    closed_errors: int = 0
    cpu_us_per_hop: float = 0.0
    redis_cpu_us_per_hop: float = 0.0
    others_cpu_pct: float = 0.0
    """CPU the rest of the machine (neither the server, its Redis nor this client) used meanwhile, % of one core."""
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    offered_rate: float = 0.0
    achieved_rate: float = 0.0
    open_errors: int = 0
    off_menu_pages: int = 0
    """Open-loop pages that are none of the walk's pages (a library mixing up concurrent hops)."""


@contextlib.contextmanager
def on_server_core(args: argparse.Namespace) -> Iterator[None]:
    """Processes started inside inherit core SERVER_CPU (threads and forked workers too)."""
    if args.pin:
        os.sched_setaffinity(0, {SERVER_CPU})
    try:
        yield
    finally:
        if args.pin:
            os.sched_setaffinity(0, {CLIENT_CPU})


def node_server(library: str) -> Callable[[argparse.Namespace, Path, IO[bytes], int], Started]:
    """bench/peers/apps/node_menu.js on `library` (or `bare`), with the scratch node_modules."""
    def start(args: argparse.Namespace, scratch: Path, log: IO[bytes], number: int) -> Started:
        port = free_port()
        env = {**os.environ, "NODE_PATH": str(scratch / "node" / "node_modules")}
        proc = subprocess.Popen([args.node, str(APPS / "node_menu.js"), library, str(args.menu), str(port)],
                                env=env, stdout=log, stderr=subprocess.STDOUT)
        return Started([proc], f"http://127.0.0.1:{port}", proc)
    return start


def pishkhan(args: argparse.Namespace, scratch: Path, log: IO[bytes], number: int) -> Started:
    """`pishkhan serve`, one worker, sessions in-process, a scratch SQLite store (bench/ussd_scale.py's)."""
    proc, url = start_gateway(1, "", scratch, log, name=f"peers{number}")
    return Started([proc], url, proc)


def bare_aiohttp(args: argparse.Namespace, scratch: Path, log: IO[bytes], number: int) -> Started:
    """bench/ussd_load.py's ceiling: read the form, answer a fixed CON page."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "ussd_load.py"), "--serve-bare", "--port", str(port)],
                            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    return Started([proc], f"http://127.0.0.1:{port}", proc)


def anysd(args: argparse.Namespace, scratch: Path, log: IO[bytes], number: int) -> Started:
    """anysd under gunicorn (one sync worker, as in its README's Flask app) with a fresh redis-server."""
    redis, redis_url = start_redis(scratch, log)
    config = scratch / f"anysd-{number}.yaml"  # JSON is YAML; cfg_load picks the parser by extension
    config.write_text(json.dumps({"development": {
        "redis": {"host": "127.0.0.1", "port": urlsplit(redis_url).port, "db": 0},
        "navigation": {"back_symbol": args.description["back"], "home_symbol": args.description["home"]}}}))
    port = free_port()
    env = {**os.environ, "ANYSD_CONFIG_FILE": str(config), "PEERS_MENU": str(args.menu)}
    proc = subprocess.Popen([str(scratch / "anysd-venv" / "bin" / "gunicorn"), "--chdir", str(APPS), "--workers", "1",
                             "--bind", f"127.0.0.1:{port}", "anysd_app:app"], env=env, stdout=log, stderr=subprocess.STDOUT)
    return Started([proc, redis], f"http://127.0.0.1:{port}", proc, redis)


SYSTEMS = [
    System("pishkhan", "Pishkhan (this checkout)", pishkhan),
    System("ussd-builder", "ussd-builder 1.3.2 (Node 20, express 5)", node_server("ussd-builder")),
    System("ussd-menu-builder", "ussd-menu-builder 1.2.0 (Node 20, express 5)", node_server("ussd-menu-builder")),
    System("bare-express", "bare express handler (fixed CON page)", node_server("bare"), checked=False),
    System("bare-aiohttp", "bare aiohttp handler (fixed CON page)", bare_aiohttp, checked=False),
    System("anysd", "anysd 1.2.7 (Flask + gunicorn + Redis)", anysd),
]
"""The table's rows, in order; every ratio is against bare-aiohttp in the same round."""
NODE_SYSTEMS = {"ussd-builder", "ussd-menu-builder", "bare-express"}


def install(args: argparse.Namespace, scratch: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Install the peers into `scratch` unless there already; (versions installed, system -> why it cannot run)."""
    versions: dict[str, str] = {}
    broken: dict[str, str] = {}
    node_dir = scratch / "node"
    try:
        if args.node is None:
            raise RuntimeError("node is not installed")
        versions["node"] = subprocess.run([args.node, "--version"], capture_output=True, text=True, check=True).stdout.strip()
        if any(not npm_version(node_dir, name).startswith(want) for name, want in NPM_PACKAGES.items()):
            node_dir.mkdir(parents=True, exist_ok=True)
            (node_dir / "package.json").write_text('{"name": "pishkhan-peers", "private": true}\n')
            npm = shutil.which("npm") or "npm"
            run_install([npm, "install", "--no-audit", "--no-fund", "--loglevel", "error"]
                        + [f"{name}@{want}" for name, want in NPM_PACKAGES.items()], node_dir)
        versions.update({name: npm_version(node_dir, name) for name in NPM_PACKAGES})
    except (RuntimeError, OSError, subprocess.CalledProcessError) as e:
        broken.update(dict.fromkeys(NODE_SYSTEMS, f"npm install failed: {e}"))
    venv = scratch / "anysd-venv"
    try:
        if pip_versions(venv).get("anysd") != "1.2.7":
            if not (venv / "bin" / "python").exists():
                run_install([sys.executable, "-m", "venv", str(venv)], scratch)
            run_install([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"] + PIP_PACKAGES, scratch)
        versions.update(pip_versions(venv))
        if shutil.which("redis-server") is None:
            raise RuntimeError("redis-server is not installed")
    except (RuntimeError, OSError, subprocess.CalledProcessError) as e:
        broken["anysd"] = f"pip install failed: {e}"
    return versions, broken


def run_install(cmd: list[str], cwd: Path) -> None:
    """Run an installer; its output only when it fails."""
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{' '.join(cmd)} exited {done.returncode}: {(done.stderr or done.stdout)[-2000:]}")


def npm_version(node_dir: Path, name: str) -> str:
    """The version of an installed npm package, '' when absent."""
    try:
        return str(json.loads((node_dir / "node_modules" / name / "package.json").read_text())["version"])
    except (OSError, ValueError, KeyError):
        return ""


def pip_versions(venv: Path) -> dict[str, str]:
    """The versions in anysd's venv of the packages we installed there ({} when there is no venv)."""
    names = [spec.split("=")[0] for spec in PIP_PACKAGES]
    code = f"import importlib.metadata as m, json; print(json.dumps({{n: m.version(n) for n in {names!r}}}))"
    try:
        done = subprocess.run([str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return {}
    return {name: version for name, version in json.loads(done.stdout).items()}


async def check_pages(url: str, menu: Menu) -> str | None:
    """Walk the menu twice (two sessions); the first page that differs from menu.json's, or None."""
    walker = Walker(menu.description["walk"], prefix=f"check{os.getpid()}")
    async with ClientSession(timeout=ClientTimeout(total=HOP_TIMEOUT_S)) as http:
        for _ in range(2):
            sid, phone = walker.new_session()
            for number, (text, expected) in enumerate(zip(walker.texts(), menu.expected), start=1):
                page = await hop_page(http, url, sid, phone, text)
                if page != expected:
                    return f"hop {number} (text {text!r}): expected {expected!r}, got {page!r}"
    return None


def busy_cpu() -> float:
    """CPU seconds the whole machine has been busy (every core), from /proc/stat."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def own_cpu() -> float:
    """This process's CPU seconds (the load generator)."""
    times = os.times()
    return times.user + times.system


async def measure(system: System, started: Started, args: argparse.Namespace, number: int, menu: Menu) -> Measurement:
    """Warm up, closed loop (hops/s and CPU per hop), then open loop (latency from the plan)."""
    result = Measurement(system.name, number, offered_rate=args.rate)
    walker = Walker(menu.description["walk"])
    allowed = set(menu.expected)

    def on_page(page: str) -> None:
        if page not in allowed:
            result.off_menu_pages += 1

    def redis_cpu() -> float:
        return tree_cpu(started.redis.pid) if started.redis else 0.0

    limit = max(args.concurrency, args.sessions) + 10
    async with ClientSession(connector=TCPConnector(limit=limit), timeout=ClientTimeout(total=HOP_TIMEOUT_S)) as http:
        if args.warmup > 0:
            await closed_loop(http, started.url, walker, args.concurrency, args.warmup)
        before = (tree_cpu(started.server.pid), redis_cpu(), own_cpu(), busy_cpu(), time.perf_counter())
        hps, hops, bad = await closed_loop(http, started.url, walker, args.concurrency, args.duration)
        after = (tree_cpu(started.server.pid), redis_cpu(), own_cpu(), busy_cpu(), time.perf_counter())
        lat, errors, achieved = await open_loop(http, started.url, walker, args.rate, args.sessions, args.duration,
                                                on_page=on_page if system.checked else None)
    server, redis, client, busy, elapsed = (b - a for a, b in zip(before, after))
    good = hops - bad
    lat.sort()
    result.hops_per_s, result.hops, result.closed_errors = round(hps, 1), hops, bad
    result.cpu_us_per_hop = round(server / good * 1e6, 1) if good else 0.0
    result.redis_cpu_us_per_hop = round(redis / good * 1e6, 1) if good else 0.0
    result.others_cpu_pct = round(max(0.0, busy - server - redis - client) / elapsed * 100, 1)
    result.p50_ms, result.p99_ms = round(percentile(lat, 0.50), 2), round(percentile(lat, 0.99), 2)
    result.max_ms, result.achieved_rate, result.open_errors = round(lat[-1] if lat else 0.0, 2), round(achieved, 1), errors
    return result


async def run(args: argparse.Namespace, menu: Menu, broken: dict[str, str]) -> list[Measurement]:
    """Every runnable system once per round, the order rotated each round; each started, checked
    (first round), measured and stopped before the next starts."""
    results: list[Measurement] = []
    systems = [s for s in args.systems if s.name not in broken]
    for number in range(1, args.rounds + 1):
        shift = (number - 1) % len(systems)
        for system in systems[shift:] + systems[:shift]:
            if system.name in broken:  # answered wrong in an earlier round
                continue
            with on_server_core(args):
                started = system.start(args, args.dir, args.log, number)
            try:
                await wait_healthy(started.url, started.server, f"{system.name} (log: {args.log.name})")
                if system.checked and (wrong := await check_pages(started.url, menu)):
                    broken[system.name] = f"answers a wrong page: {wrong}"
                    print(f"{system.name}: {broken[system.name]}; not measured", flush=True)
                    continue
                result = await measure(system, started, args, number, menu)
            finally:
                for proc in started.procs:
                    stop(proc)
            results.append(result)
            print(f"round {number} {system.name}: {result.hops_per_s:.0f} hops/s, {result.cpu_us_per_hop:.0f} us CPU/hop, "
                  f"p99 {result.p99_ms:.1f} ms, others {result.others_cpu_pct:.0f}% of a core", flush=True)
    return results


def table(results: list[Measurement], args: argparse.Namespace, broken: dict[str, str]) -> list[dict]:
    """One row per system: medians over rounds, the closed-loop ratio to bare aiohttp as its range."""
    bare = {r.round: r.hops_per_s for r in results if r.system == "bare-aiohttp"}
    rows = []
    for system in args.systems:
        mine = [r for r in results if r.system == system.name]
        if system.name in broken or not mine:
            rows.append({"system": system.label, "not measured": broken.get(system.name, "no result")})
            continue
        ratios = sorted(r.hops_per_s / bare[r.round] for r in mine if bare.get(r.round))
        rows.append({
            "system": system.label,
            "cpu_ms_per_hop": round(statistics.median(r.cpu_us_per_hop for r in mine) / 1000, 3),
            "redis_cpu_ms_per_hop": round(statistics.median(r.redis_cpu_us_per_hop for r in mine) / 1000, 3),
            "ratio_min": round(ratios[0], 2) if ratios else None,
            "ratio_max": round(ratios[-1], 2) if ratios else None,
            "ratio_median": round(statistics.median(ratios), 2) if ratios else None,
            "hops_per_s": round(statistics.median(r.hops_per_s for r in mine)),
            "p50_ms": round(statistics.median(r.p50_ms for r in mine), 2),
            "p99_ms": round(statistics.median(r.p99_ms for r in mine), 2),
            "max_ms": round(max(r.max_ms for r in mine), 1),
            "achieved_rate": round(statistics.median(r.achieved_rate for r in mine)),
            "errors": sum(r.closed_errors + r.open_errors for r in mine),
            "off_menu_pages": sum(r.off_menu_pages for r in mine),
            "others_cpu_pct": round(statistics.median(r.others_cpu_pct for r in mine)),
        })
    return rows


def print_table(rows: list[dict], args: argparse.Namespace, results: list[Measurement]) -> None:
    """The issue's table as Markdown, then the conditions it was measured in."""
    print(f"\n| system | server CPU per hop | closed-loop hops/s ÷ bare aiohttp: median (range) | hops/s | "
          f"open loop {args.rate:g} hops/s: p50 / p99 / max | others' load |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        if "not measured" in row:
            print(f"| {row['system']} | not measured: {row['not measured']} | | | | |")
            continue
        cpu = f"{row['cpu_ms_per_hop']:.3f} ms" + (f" (+ Redis {row['redis_cpu_ms_per_hop']:.3f} ms)" if row["redis_cpu_ms_per_hop"] else "")
        ratio = "1.00" if row["system"].startswith("bare aiohttp") else \
            f"{row['ratio_median']:.2f} ({row['ratio_min']:.2f}–{row['ratio_max']:.2f})"
        late = f", achieved {row['achieved_rate']}/s" if row["achieved_rate"] < 0.95 * args.rate else ""
        wrong = f", {row['errors']} failed hops" if row["errors"] else ""
        wrong += f", {row['off_menu_pages']} wrong pages" if row["off_menu_pages"] else ""
        print(f"| {row['system']} | {cpu} | {ratio} | {row['hops_per_s']} | "
              f"{row['p50_ms']:.1f} / {row['p99_ms']:.1f} / {row['max_ms']:.0f} ms{late}{wrong} | {row['others_cpu_pct']}% |")
    others = [r.others_cpu_pct for r in results]
    print(f"\n{args.rounds} round(s), systems interleaved | closed loop: {args.concurrency} sessions x {args.duration:g} s | "
          f"open loop: {args.rate:g} hops/s over {args.sessions} sessions x {args.duration:g} s | walk: "
          f"{len(args.description['walk']) + 1} hops | server on core {SERVER_CPU}, client on core {CLIENT_CPU}"
          f"{'' if args.pin else ' (not pinned)'} | CPU: the server's process tree, per good closed-loop hop, median of the rounds | "
          f"others' load: CPU the rest of the machine used during the closed loop, % of a core, median of the rounds")
    if others:
        print(f"other load on the machine while measuring: median {statistics.median(others):.0f}%, max {max(others):.0f}% of a core; "
              f"load average {' '.join(f'{x:.2f}' for x in args.loadavg)} at the start, "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end")


async def capture(args: argparse.Namespace) -> None:
    """Walk Pishkhan and write the texts of the pages it shows into menu.json (links stay as they are)."""
    description = args.description
    names = Menu.visits(description, args.menu)
    with tempfile.TemporaryDirectory(prefix="pishkhan-peers-") as tmp:
        started = pishkhan(args, Path(tmp), args.log, 0)
        try:
            await wait_healthy(started.url, started.server, f"pishkhan (log: {args.log.name})")
            walker = Walker(description["walk"], prefix="capture")
            sid, phone = walker.new_session()
            seen: dict[str, str] = {}
            async with ClientSession(timeout=ClientTimeout(total=HOP_TIMEOUT_S)) as http:
                for name, text in zip(names, walker.texts()):
                    page = await hop_page(http, started.url, sid, phone, text)
                    if page is None or not page.startswith("CON "):
                        raise SystemExit(f"Pishkhan answered {page!r} to text {text!r}")
                    if seen.setdefault(name, page[4:]) != page[4:]:
                        raise SystemExit(f"page {name!r} showed two texts: {seen[name]!r} and {page[4:]!r}")
        finally:
            stop(started.server)
    for name, text in seen.items():
        description["pages"][name]["text"] = text
    args.menu.write_text(json.dumps(description, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"{args.menu}: {len(seen)} pages from Pishkhan")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="USSD side by side: Pishkhan, the Node and Python USSD libraries, bare ceilings.")
    p.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "pishkhan-peers",
                   help="scratch directory: the peers' installs, stores, logs (reused across runs)")
    p.add_argument("--menu", type=Path, default=HERE / "menu.json", help="the shared menu description")
    p.add_argument("--json", type=Path, help="where to write the results (default: DIR/peers.json)")
    p.add_argument("--rounds", type=int, default=5, help="every system this many times, interleaved")
    p.add_argument("--duration", type=float, default=8.0, help="seconds per closed and per open loop")
    p.add_argument("--warmup", type=float, default=3.0, help="unmeasured closed-loop seconds first (Node's JIT needs a few)")
    p.add_argument("--concurrency", type=int, default=200, help="closed-loop sessions walking at once")
    p.add_argument("--rate", type=float, default=1000.0, help="open-loop offered hops/s")
    p.add_argument("--sessions", type=int, default=200, help="open-loop sessions")
    p.add_argument("--systems", default=",".join(s.name for s in SYSTEMS), help="comma-separated, of " + ", ".join(s.name for s in SYSTEMS))
    p.add_argument("--no-pin", dest="pin", action="store_false", help="do not put the servers and the client on cores of their own")
    p.add_argument("--capture", action="store_true", help="only refresh menu.json's page texts from a live Pishkhan")
    args = p.parse_args(argv)
    by_name = {s.name: s for s in SYSTEMS}
    if unknown := [n for n in args.systems.split(",") if n not in by_name]:
        p.error(f"unknown systems {unknown}; known: {', '.join(by_name)}")
    args.systems = [by_name[n] for n in args.systems.split(",")]
    if by_name["bare-aiohttp"] not in args.systems:
        args.systems.append(by_name["bare-aiohttp"])  # every ratio is against it
    if not (0 < args.duration <= 600 and 0 <= args.warmup <= 60 and 1 <= args.rounds <= 50) \
            or min(args.concurrency, args.sessions) < 1 or args.rate <= 0:
        p.error("--duration in (0, 600], --warmup in [0, 60], --rounds in [1, 50], positive --concurrency, --sessions and --rate")
    if args.pin and len(os.sched_getaffinity(0)) < 2:
        args.pin = False
    args.dir = args.dir.resolve()
    args.menu = args.menu.resolve()
    args.json = args.json or args.dir / "peers.json"
    args.node = shutil.which("node")
    args.description = json.loads(args.menu.read_text(encoding="utf-8"))
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    args.loadavg = os.getloadavg()
    with open(args.dir / "servers.log", "ab") as args.log:
        if args.capture:
            run_client(capture(args))
            return
        menu = Menu.load(args.menu)
        versions, broken = install(args, args.dir)
        for name, why in broken.items():
            print(f"{name}: cannot run: {why}", flush=True)
        if args.pin:
            os.sched_setaffinity(0, {CLIENT_CPU})
        results = run_client(run(args, menu, broken))
    rows = table(results, args, broken)
    print_table(rows, args, results)
    args.json.write_text(json.dumps({
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": {"cpus": os.cpu_count(), "pinned": args.pin, "loadavg_start": args.loadavg, "loadavg_end": os.getloadavg(),
                    "python": sys.version.split()[0]},
        "versions": versions,
        "settings": {k: getattr(args, k) for k in ("rounds", "duration", "warmup", "concurrency", "rate", "sessions")},
        "walk": args.description["walk"],
        "not_measured": broken,
        "table": rows,
        "measurements": [asdict(r) for r in results],
    }, ensure_ascii=False, indent=2) + "\n")
    print(f"results: {args.json}")


if __name__ == "__main__":
    main()

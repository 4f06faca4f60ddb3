"""Bot load: `POST /telegram/<bot>` under a burst of updates, and how fast the replies go out after it.

Issue 19 asks that a bot keep up under load: sends leave at the configured per-bot rate while the
burst runs, and the burst's last reply leaves about (backlog ÷ per-bot rate) after it. One run:

- a fake Bot API in its own process (`--serve-fake`): answers getMe, sendMessage, editMessageText,
  answerCallbackQuery and the rest with valid results, and records when each call arrived;
- `pishkhan serve` (SQLite, in-process state) from a scratch copy of config/ declaring one bot,
  `bench`, on that fake, its webhook secret set and `telegram.per_second` = `--per-second`;
- a bare aiohttp handler (`--serve-bare`) that parses the same JSON update and answers 200.

`--concurrency` clients (100) post updates for `--duration` s (8), each walking new chats: /start,
the "main menu" button of the first message (answered, the menu edited in place), two menu choices
typed, and a press of an outdated menu (answered with a toast): 5 updates, 8 Bot API calls. The
bot's per-chat lock handles a chat's updates in order, so every walk makes the same calls whatever
the lag. Per gateway: updates/s accepted (÷ the bare handler's), server CPU per update (utime+stime of
the process tree from /proc, over the burst and over burst + drain), Bot API calls/s during the
burst and after it, and the time from the burst's end to the last call against backlog ÷ per-bot rate.

`--compare DIR` also measures the gateway of another checkout (e.g. `git worktree add --detach
/work/wt-bot-base <commit>`), interleaved with this one round by round.

    python bench/bot_load.py                                   # 1 round, --per-second 200
    python bench/bot_load.py --rounds 3 --compare /work/wt-bot-base --json
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import ClientError, ClientSession, ClientTimeout, TCPConnector, web  # noqa: E402

from bench.ussd_load import free_port, run_client, stop, wait_healthy  # noqa: E402
from bench.ussd_scale import gateway_env, tree_cpu  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BOT = "bench"
TOKEN = "424242:bench-token_abcdefghij"
SECRET = "bench-secret_1"
QUIET = 3.0
"""Seconds without a Bot API call after which the replies count as all sent."""
DRAIN_LIMIT = 300.0
"""Longest wait for the replies after a burst: a run always ends."""


@dataclass
class Result:
    """One measurement of one target."""

    target: str
    updates_per_s: float = 0.0
    errors: int = 0
    updates: int = 0
    cpu_us_per_update: float = 0.0
    """Server CPU during the burst per update accepted."""
    cpu_us_per_update_all: float = 0.0
    """Server CPU from the burst's start to the last reply, per update accepted."""
    calls: int = 0
    calls_during_per_s: float = 0.0
    calls_after_per_s: float = 0.0
    backlog: int = 0
    """Calls still to make when the burst ended."""
    drain_s: float = 0.0
    """From the burst's end to the last Bot API call."""
    expected_drain_s: float = 0.0
    """backlog ÷ per-bot rate."""


# --- the fake Bot API ------------------------------------------------------------------------------

def serve_fake(port: int) -> None:
    """A Bot API that answers every call at once with a valid result and records when it came."""
    calls: list[tuple[float, str]] = []
    ids: dict[int, int] = {}
    me = {"id": int(TOKEN.split(":")[0]), "is_bot": True, "first_name": "Bench", "username": "bench_bot"}

    def message(chat_id: int, text: str, message_id: int) -> dict[str, Any]:
        return {"message_id": message_id, "date": int(time.time()), "text": text, "from": me,
                "chat": {"id": chat_id, "type": "private", "first_name": "Citizen"}}

    async def method(request: web.Request) -> web.Response:
        name = request.match_info["method"]
        calls.append((time.monotonic(), name))
        params: dict[str, Any] = dict(await request.post()) if request.content_type != "application/json" else await request.json()
        if name == "getMe":
            result: Any = me
        elif name == "sendMessage":
            chat = int(params["chat_id"])
            ids[chat] = ids.get(chat, 0) + 1
            result = message(chat, str(params.get("text", "")), ids[chat])
        elif name == "editMessageText":
            result = message(int(params["chat_id"]), str(params.get("text", "")), int(params["message_id"]))
        else:
            result = True
        return web.json_response({"ok": True, "result": result})

    async def recorded(request: web.Request) -> web.Response:
        return web.json_response(calls[int(request.query.get("since", 0)):])

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", method)
    app.router.add_get("/calls", recorded)
    app.router.add_get("/healthz", lambda _: web.Response(text="ok"))  # type: ignore[arg-type,return-value]
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


def serve_bare(port: int) -> None:
    """The ceiling: parse the update as the webhook must, answer 200."""
    async def update(request: web.Request) -> web.Response:
        data = json.loads(await request.read())
        if not isinstance(data, dict) or type(data.get("update_id")) is not int:
            return web.json_response({"ok": False}, status=400)
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/telegram/{bot}", update)
    app.router.add_get("/healthz", lambda _: web.Response(text="ok"))  # type: ignore[arg-type,return-value]
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


# --- the load --------------------------------------------------------------------------------------

class Walks:
    """The updates of successive chats: 5 each, ids unique across the run."""

    def __init__(self) -> None:
        self.chat = 10_000_000 * (os.getpid() % 100 + 1)
        self.update_id = 0

    def next_walk(self) -> list[dict[str, Any]]:
        self.chat += 1
        user = {"id": self.chat, "is_bot": False, "first_name": "Ali", "language_code": "fa"}
        chat = {"id": self.chat, "type": "private", "first_name": "Ali"}
        walk = [self._message(user, chat, "/start", [{"type": "bot_command", "offset": 0, "length": 6}]),
                self._press(user, chat, "start"), self._message(user, chat, "1"), self._message(user, chat, "1"),
                self._press(user, chat, "00000000.1")]
        return walk

    def _id(self) -> int:
        self.update_id += 1
        return self.update_id

    def _message(self, user: dict[str, Any], chat: dict[str, Any], text: str, entities: list[Any] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"message_id": self.update_id + 1, "date": int(time.time()), "chat": chat, "from": user, "text": text}
        if entities:
            body["entities"] = entities
        return {"update_id": self._id(), "message": body}

    def _press(self, user: dict[str, Any], chat: dict[str, Any], data: str) -> dict[str, Any]:
        return {"update_id": self._id(), "callback_query": {
            "id": f"cq{self.update_id}", "from": user, "chat_instance": "42", "data": data,
            "message": {"message_id": 1, "date": int(time.time()), "chat": chat, "text": "menu"}}}


async def burst(http: ClientSession, url: str, walks: Walks, concurrency: int, duration: float) -> tuple[int, int, float]:
    """Closed loop: every client posts its walk's next update when the last is answered; (ok, errors, seconds)."""
    ok = bad = 0
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
    start = time.perf_counter()
    deadline = start + duration

    async def client() -> None:
        nonlocal ok, bad
        while time.perf_counter() < deadline:
            for update in walks.next_walk():
                try:
                    async with http.post(f"{url}/telegram/{BOT}", data=json.dumps(update), headers=headers) as resp:
                        await resp.read()
                        if resp.status == 200:
                            ok += 1
                        else:
                            bad += 1
                except (TimeoutError, ClientError, OSError):
                    bad += 1
                if time.perf_counter() >= deadline:
                    return

    await asyncio.gather(*(client() for _ in range(concurrency)))
    return ok, bad, time.perf_counter() - start


async def calls_since(http: ClientSession, fake: str, since: int) -> list[tuple[float, str]]:
    async with http.get(f"{fake}/calls", params={"since": since}) as resp:
        return [(float(t), str(m)) for t, m in await resp.json()]


async def measure_gateway(target: str, root: Path, fake: str, directory: Path, log: IO[bytes], args: argparse.Namespace) -> Result:
    """Start `target`'s gateway (from checkout `root`), burst, wait for the replies, stop it."""
    config = scratch_config(directory / target.replace(" ", "-"), root, fake)
    env = {**gateway_env(1, "", directory, target), "PISHKHAN_TELEGRAM_PER_SECOND": str(args.per_second)}
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "gateway", "serve", "--port", str(port), "--config", str(config)],
                            cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        await wait_healthy(url, proc, f"{target} (log: {log.name})")
        async with ClientSession(connector=TCPConnector(limit=args.concurrency + 10), timeout=ClientTimeout(total=30)) as http:
            seen = len(await calls_since(http, fake, 0))
            cpu0 = tree_cpu(proc.pid)
            ok, bad, elapsed = await burst(http, url, Walks(), args.concurrency, args.duration)
            end = time.monotonic()
            cpu_burst = tree_cpu(proc.pid) - cpu0
            calls: list[tuple[float, str]] = []
            while time.monotonic() - end < DRAIN_LIMIT:
                calls += await calls_since(http, fake, seen + len(calls))
                last = calls[-1][0] if calls else end
                if time.monotonic() - max(last, end) > QUIET:
                    break
                await asyncio.sleep(0.5)
            cpu_all = tree_cpu(proc.pid) - cpu0
    finally:
        stop(proc)
    during = sum(1 for t, _ in calls if t <= end)
    after = len(calls) - during
    last = calls[-1][0] if calls else end
    drain = max(0.0, last - end)
    return Result(target, round(ok / elapsed, 1), bad, ok, round(cpu_burst / ok * 1e6) if ok else 0,
                  round(cpu_all / ok * 1e6) if ok else 0, len(calls), round(during / elapsed, 1),
                  round(after / drain, 1) if drain else 0.0, after, round(drain, 1), round(after / args.per_second, 1))


async def measure_bare(url: str, args: argparse.Namespace) -> Result:
    async with ClientSession(connector=TCPConnector(limit=args.concurrency + 10), timeout=ClientTimeout(total=30)) as http:
        ok, bad, elapsed = await burst(http, url, Walks(), args.concurrency, args.duration)
    return Result("bare", round(ok / elapsed, 1), bad, ok)


def scratch_config(directory: Path, root: Path, fake: str) -> Path:
    """A copy of `root`'s config/ declaring bot `bench` (its token, secret and base_url come from the
    environment as in production would be the same keys; here the file carries them, scratch only)."""
    config = directory / "config"
    shutil.copytree(root / "config", config)
    settings = config / "settings.yaml"
    text, found = re.subn(r"^  bots: \{\}", f'  bots: {{{BOT}: {{token: "{TOKEN}", secret: "{SECRET}", base_url: "{fake}/bot{{token}}"}}}}',
                          settings.read_text(encoding="utf-8"), count=1, flags=re.M)
    if not found:
        raise SystemExit(f"{settings}: no `  bots: {{}}` line under telegram: to declare the bench bot in")
    settings.write_text(text, encoding="utf-8")
    return config


def spawn_self(flag: str, port: int, log: IO[bytes]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, str(Path(__file__).resolve()), flag, "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)


async def run(args: argparse.Namespace) -> list[list[Result]]:
    """The fake and the bare handler for the whole run; each gateway started fresh (new store) per measurement."""
    targets = [("gateway", ROOT)] + ([("base", args.compare)] if args.compare else [])
    rounds: list[list[Result]] = []
    with tempfile.TemporaryDirectory(prefix="pishkhan-botload-") as tmp, \
            tempfile.NamedTemporaryFile(prefix="pishkhan-botload-", suffix=".log", delete=False) as log:
        fake_port, bare_port = free_port(), free_port()
        procs = [spawn_self("--serve-fake", fake_port, log), spawn_self("--serve-bare", bare_port, log)]
        fake, bare = f"http://127.0.0.1:{fake_port}", f"http://127.0.0.1:{bare_port}"
        try:
            await wait_healthy(fake, procs[0], "fake Bot API")
            await wait_healthy(bare, procs[1], "bare handler")
            for number in range(1, args.rounds + 1):
                results = []
                order = targets if number % 2 else targets[::-1]
                for name, root in order:
                    results.append(await measure_gateway(f"{name} r{number}", root, fake, Path(tmp), log, args))
                results.append(await measure_bare(bare, args))
                rounds.append(results)
                print(f"round {number} (load average {os.getloadavg()[0]:.2f}): " + ", ".join(
                    f"{r.target} {r.updates_per_s:.0f}/s" for r in results), flush=True)
        finally:
            for proc in procs:
                stop(proc)
    return rounds


def print_table(rounds: list[list[Result]], args: argparse.Namespace) -> None:
    print(f"\n{args.concurrency} clients x {args.duration:g} s, per-bot rate {args.per_second:g}/s, per-chat 1/s; "
          f"{os.cpu_count()} cores shared by the client, the fake Bot API and the servers")
    print(f"{'target':<12} {'upd/s':>7} {'÷bare':>6} {'err':>4} {'cpu us/upd':>10} {'+drain':>7} {'calls':>6} "
          f"{'during/s':>8} {'after/s':>8} {'backlog':>7} {'drain s':>8} {'expected':>8}")
    for results in rounds:
        bare = next(r for r in results if r.target == "bare")
        for r in results:
            share = r.updates_per_s / bare.updates_per_s if bare.updates_per_s else 0.0
            print(f"{r.target:<12} {r.updates_per_s:>7.0f} {share:>6.3f} {r.errors:>4} {r.cpu_us_per_update:>10.0f} "
                  f"{r.cpu_us_per_update_all:>7.0f} {r.calls:>6} {r.calls_during_per_s:>8.1f} {r.calls_after_per_s:>8.1f} "
                  f"{r.backlog:>7} {r.drain_s:>8.1f} {r.expected_drain_s:>8.1f}")
    for name in ("gateway", "base"):
        mine = [r for results in rounds for r in results if r.target.startswith(name + " ")]
        if mine:
            print(f"{name}: median cpu us/update {statistics.median(r.cpu_us_per_update for r in mine):.0f} "
                  f"(+drain {statistics.median(r.cpu_us_per_update_all for r in mine):.0f}), calls/s during "
                  f"{statistics.median(r.calls_during_per_s for r in mine):.0f}, drain/expected "
                  f"{statistics.median(r.drain_s / r.expected_drain_s if r.expected_drain_s else 0 for r in mine):.2f}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Bot load: updates accepted and replies sent, against a bare handler.")
    p.add_argument("--concurrency", type=int, default=100, help="clients posting updates")
    p.add_argument("--duration", type=float, default=8.0, help="seconds of the burst")
    p.add_argument("--per-second", type=int, default=200, help="the bot's telegram.per_second for the run")
    p.add_argument("--rounds", type=int, default=1, help="interleaved rounds")
    p.add_argument("--compare", type=Path, help="another checkout whose gateway is measured too, interleaved")
    p.add_argument("--json", action="store_true", help="also print the results as JSON")
    p.add_argument("--serve-fake", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--serve-bare", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if not (0 < args.duration <= 600) or min(args.concurrency, args.rounds) < 1 or args.per_second <= 0:
        p.error("--duration in (0, 600], positive --concurrency, --rounds and --per-second")
    if args.compare and not (args.compare / "gateway").is_dir():
        p.error(f"--compare {args.compare}: not a checkout (no gateway/ in it)")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.serve_fake:
        serve_fake(args.port)
        return
    if args.serve_bare:
        serve_bare(args.port)
        return
    rounds = run_client(run(args))
    print_table(rounds, args)
    if args.json:
        print(json.dumps([[asdict(r) for r in results] for results in rounds], indent=2))


if __name__ == "__main__":
    main()

"""`pishkhan serve`: run the gateway's HTTP server, as one process or as N workers on one port.

With `--workers N` the command forks N worker processes that each listen on the same port with
SO_REUSEPORT (the kernel spreads connections between them) and share Redis for sessions, duplicate
ids and rate limits, and the SQLite store for records. The parent only prepares the store once
(migrations, first catalogue import, flow checks), supervises, and restarts a worker that dies.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import dataclasses
import ipaddress
import logging
import multiprocessing
import os
import signal
import time
from collections.abc import Awaitable
from multiprocessing.sharedctypes import Synchronized
from types import FrameType

from aiohttp import web

from flows.errors import PishkhanError
from gateway.api.common import whole
from gateway.app import create_app
from gateway.assembly import open_gateway
from gateway.commands.common import argument, config_option, report, settings_of
from gateway.observability.logs import configure as configure_logs
from gateway.observability.multiprocess import ENV as METRICS_DIR
from gateway.observability.multiprocess import MultiprocessDirectory
from gateway.read_timeout import server_options
from gateway.routes.health import FAILED_STARTS
from gateway.settings import Settings, SettingsError
from gateway.telegram.polling import with_polling
from gateway.webhook_auth import WebhookAuth

log = logging.getLogger(__name__)

RESTART_DELAY = 1.0
"""Seconds before a dead worker is replaced, so a worker that crashes at start does not spin."""
MAX_RESTART_DELAY = 60.0
"""The longest wait between tries when replacements keep dying at start (the delay doubles up to it)."""
QUICK_DEATH = 5.0
"""A worker that dies within this many seconds of starting failed to start (content, settings, a port)."""


def use_uvloop() -> None:
    """uvloop (a dependency, except on Windows, where it does not build): the same code on a faster
    event loop, 12.5% fewer instructions per USSD hop."""
    try:
        import uvloop
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


async def supervised(app: Awaitable[web.Application], failed_starts: Synchronized) -> web.Application:
    """The worker's application, reporting its supervisor's failed restarts in /readyz."""
    built = await app
    built[FAILED_STARTS] = failed_starts
    return built


PORT = whole("port", "TCP port", 1, 65535)
"""ASCII digits only, 1-65535: int() would take "٨٠٨٠" or "8_080" and a port of 0 or 70000."""


def run_worker(settings: Settings, *, reuse_port: bool, telegram_polling: bool = False,
               failed_starts: Synchronized | None = None) -> None:
    """Serve until SIGINT/SIGTERM in this process (polling the bots' Bot APIs in development)."""
    use_uvloop()
    server = settings.server
    app = with_polling(create_app(settings)) if telegram_polling else create_app(settings)
    if failed_starts is not None:
        app = supervised(app, failed_starts)
    web.run_app(app, host=server.host, port=server.port, access_log=None, reuse_port=reuse_port,
                print=lambda m: logging.info(m.strip()), **server_options(server.read_timeout))


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach `host` (a name other than localhost counts as reachable)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def open_webhooks(settings: Settings) -> list[str]:
    """Webhooks anyone who can reach the port may call: no shared secret and no IP allowlist, each
    with the settings key that closes it. Bots need no check: a bot without a secret refuses every update."""
    found = []
    if not WebhookAuth(settings.ussd.auth, "USSD").enabled:
        found.append("USSD (ussd.auth.secret or ussd.auth.allow_ips)")
    for name, provider in settings.sms.providers.items():
        if not WebhookAuth(provider.auth, name).enabled:
            found.append(f"SMS provider {name} (sms.providers.{name}.secret or .allow_ips)")
    return found


def check_exposure(settings: Settings, insecure: bool) -> None:
    """Refuse to put unauthenticated webhooks on an address other machines reach, unless told to."""
    server = settings.server
    if is_loopback(server.host) or insecure or server.insecure:
        return
    exposed = open_webhooks(settings)
    if exposed:
        raise SettingsError(
            f"refusing to serve on {server.host}: anyone who reaches it could call the unauthenticated webhooks of "
            f"{'; '.join(exposed)}. Set those, or pass --insecure (server.insecure: true) to serve them open anyway"
        )


def check_workers(settings: Settings, workers: int) -> None:
    """Several workers need a shared store for conversations; refuse rather than split them."""
    if workers < 1:
        raise SettingsError(f"--workers {workers}: give 1 or more")
    if workers > 1 and not settings.redis.enabled:
        raise SettingsError(
            f"--workers {workers} needs Redis: each worker would keep its own sessions, so a citizen's next hop "
            "landing on another worker would start over. Set PISHKHAN_REDIS_URL=redis://host:6379/0 "
            "(or `redis.url`, or `redis.sentinels` and `redis.service_name`, in settings.yaml), or run one worker."
        )


async def prepare(settings: Settings) -> None:
    """Open and close the gateway once: migrations, first catalogue import and flow checks happen here,
    not in N workers racing each other, and a broken config is reported before anything forks."""
    gateway = await open_gateway(settings)
    await gateway.close()


PR_SET_PDEATHSIG = 1


def die_with(parent: int) -> None:
    """Have the kernel end this worker when its supervisor dies, even by SIGKILL: an orphaned worker
    would go on answering on the shared port (SO_REUSEPORT) with whatever it last loaded, beside the
    next `serve`. Linux only (prctl); elsewhere the supervisor's SIGTERM is the only stop."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the supervisor died before the request took effect
        os._exit(0)


class Supervisor:
    """Forks workers, forwards SIGTERM/SIGINT to them, and replaces any that dies unexpectedly."""

    def __init__(self, settings: Settings, workers: int, metrics: MultiprocessDirectory) -> None:
        self.settings = settings
        self.workers = workers
        self.metrics = metrics
        self.children: dict[int, float] = {}
        self.stopping = False
        self.failed_starts = multiprocessing.Value("i", 0)
        """Replacements that died at start in a row; shared with the workers, whose /readyz reports it."""
        self.last_failure = 0.0

    def spawn(self) -> None:
        supervisor = os.getpid()
        pid = os.fork()
        if pid == 0:  # the worker: default signal handling, then aiohttp installs its own
            die_with(supervisor)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.signal(signal.SIGHUP, signal.SIG_IGN)  # until the worker's loop takes it (a reload)
            code = 0
            try:
                run_worker(self.settings, reuse_port=True, failed_starts=self.failed_starts)
            except BaseException:
                log.exception("worker %d failed", os.getpid())
                code = 1
            finally:
                logging.shutdown()
                os._exit(code)
        self.children[pid] = time.monotonic()

    def forward(self, signum: int, _frame: FrameType | None) -> None:
        """SIGHUP to every worker (each looks up the live content version at once), never a stop."""
        log.info("SIGHUP: asking %d workers to look up the live content version", len(self.children))
        for pid in self.children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)

    def stop(self, signum: int, _frame: FrameType | None) -> None:
        self.stopping = True
        for pid in self.children:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    def run(self) -> int:
        """Until every worker has exited after a stop signal. Replacements that keep dying at start are
        tried again ever more slowly (up to MAX_RESTART_DELAY), never by stopping the healthy workers;
        the workers' /readyz reports `workers: false` meanwhile."""
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        signal.signal(signal.SIGHUP, self.forward)
        for _ in range(self.workers):
            self.spawn()
        server = self.settings.server
        log.info("%d workers on http://%s:%d (pids %s)", self.workers, server.host, server.port, sorted(self.children))
        missing, next_spawn = 0, 0.0
        while self.children or (missing and not self.stopping):
            pid, status = os.waitpid(-1, os.WNOHANG) if self.children else (0, 0)
            now = time.monotonic()
            if pid == 0:
                if self.failed_starts.value and any(now - started >= QUICK_DEATH for started in self.children.values()
                                                    if started >= self.last_failure):
                    log.info("a replacement worker has started; %d serving", len(self.children))
                    self.failed_starts.value = 0
                if missing and not self.stopping and now >= next_spawn:
                    self.spawn()
                    missing -= 1
                time.sleep(0.1)
                continue
            started = self.children.pop(pid, None)
            self.metrics.worker_died(pid)
            if started is None or self.stopping:
                continue
            if now - started < QUICK_DEATH:
                self.failed_starts.value += 1
                self.last_failure = now
            delay = min(MAX_RESTART_DELAY, RESTART_DELAY * 2 ** max(0, self.failed_starts.value - 1))
            log.error("worker %d exited (%s)%s; another in %.0f s, %d still serving", pid, describe(status),
                      " at start" if now - started < QUICK_DEATH else "", delay, len(self.children))
            missing, next_spawn = missing + 1, now + delay
        return 0


def describe(status: int) -> str:
    """A wait status in words."""
    if os.WIFSIGNALED(status):
        return f"killed by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exit code {os.waitstatus_to_exitcode(status)}"


def in_effect(args: argparse.Namespace) -> str:
    """What `serve` would listen on with these settings and environment, for --help."""
    try:
        settings = settings_of(args)
    except PishkhanError as error:
        return f"The settings cannot be read: {error}"
    server = settings.server
    if "PISHKHAN_SERVER_PORT" in os.environ:
        source = "the port from PISHKHAN_SERVER_PORT; --port overrides it"
    else:
        source = f"the port from server.port in {settings.path('settings.yaml')}; PISHKHAN_SERVER_PORT or --port override it"
    return f"In effect: http://{server.host}:{server.port} ({source})."


def serve(args: argparse.Namespace) -> int:
    """Load settings, open the gateway and serve until interrupted."""
    if args.help:
        args.parser.epilog = in_effect(args)
        args.parser.print_help()
        return 0
    try:
        settings = settings_of(args)
        server = dataclasses.replace(
            settings.server,
            host=args.host or settings.server.host,
            port=args.port or settings.server.port,
        )
        settings = dataclasses.replace(settings, server=server)
        configure_logs(settings.logging, settings.server.log_level)
        if settings.server.read_timeout <= 0:  # 0 would turn aiohttp's header timer off and time every body out
            raise SettingsError(f"settings `server.read_timeout`: {settings.server.read_timeout} s; give more than 0 (default 15)")
        check_exposure(settings, args.insecure)
        check_workers(settings, args.workers)
        if args.telegram_polling and args.workers != 1:
            raise SettingsError("--telegram-polling runs in one process: drop --workers (polling is for development)")
        if args.workers == 1:
            os.environ.pop(METRICS_DIR, None)  # one process counts in memory: no files, nothing of an earlier run merged
            run_worker(settings, reuse_port=False, telegram_polling=args.telegram_polling)
            return 0
        asyncio.run(prepare(settings))
        metrics = MultiprocessDirectory()  # before the first fork: every worker counts into it
        try:
            return Supervisor(settings, args.workers, metrics).run()
        finally:
            metrics.close()
    except PishkhanError as error:
        return report(error)


def register(commands: argparse._SubParsersAction) -> None:
    """Add `serve`."""
    parser = commands.add_parser("serve", help="run the gateway", add_help=False)
    # --help is answered by serve() once --config (before or after `serve`) is known, to show the port in effect
    parser.add_argument("-h", "--help", action="store_true", help="show this help and the address in effect, and exit")
    config_option(parser)
    parser.add_argument("--host", help="address to listen on (default: server.host in settings.yaml, see below)")
    parser.add_argument("--port", type=argument(PORT), help="port to listen on (default: server.port in settings.yaml, see below)")
    parser.add_argument("--insecure", action="store_true",
                        help="serve on a non-loopback address even though a webhook is unauthenticated (server.insecure)")
    parser.add_argument("--workers", type=int, default=1,
                        help="worker processes sharing the port (default 1; more than 1 needs redis.url or redis.sentinels)")
    parser.add_argument("--telegram-polling", action="store_true",
                        help="development: long-poll the Bot API of every configured bot instead of its webhook")
    parser.set_defaults(handler=serve, parser=parser)

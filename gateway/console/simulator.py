"""The simulator: staff walk any content version as USSD, SMS or a bot would show it (RapidPro's
simulator is the model), on a throwaway gateway that files no real request and sends nothing.

Each simulation is a scratch gateway built for the chosen version (`open_gateway` seeded with it) on
its own SQLite file in a temporary folder, with no Redis, no bot and no SMS provider
(`scratch_settings`): a request submitted in it gets a tracking code in the scratch store only, and
what it queues sits in the scratch outbox, whose dispatcher never runs. The citizen speaks to it
through `SimulatedCitizen`, exactly as `pishkhan simulate` and the transcript runner do, so the
screen is what the channel's own renderer draws.

Scratch gateways hold a file, a database connection and memory, so they are bounded: at most
`PER_USER` per user (opening one more closes that user's least recently used), closed after
`IDLE_MINUTES` unused, when their console session signs out, and when the application stops. They
belong to the browser session that opened them: another session (another user) cannot reach them.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import secrets
import shutil
import tempfile
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from channels.telegram.update import MAX_TEXT as BOT_MAX_TEXT
from flows.clock import Clock
from flows.errors import ChannelError, PishkhanError
from flows.gsm7 import sms_encoding, ussd_budget_used
from gateway.assembly import open_gateway
from gateway.console.i18n import Texts
from gateway.console.web import ON_SIGN_OUT, PREFIX, NavItem, gateway_of, read_form, render, requires, see_other, signed_in, speaker
from gateway.content.store import UnknownVersion
from gateway.runtime import GATEWAY, Gateway
from gateway.scopes import AGENCY
from gateway.settings import Settings
from gateway.simulated import Seen, SimulatedCitizen
from gateway.views import BotMessage, bot_messages

log = logging.getLogger(__name__)

CHANNELS = ("ussd", "sms", "telegram")
PER_USER = 3
IDLE_MINUTES = 15
SWEEP_SECONDS = 60.0
MAX_TURNS = 200
"""Turns a simulation's log keeps (the oldest are dropped): a long walk must not grow memory without end."""
CITIZEN = "+989120000000"
"""The simulated citizen's number: a test number of no real person."""

NAV = (NavItem(f"{PREFIX}/simulator", "sim.title", "viewer"),)
TEXTS: Texts = {
    "sim.title": {"fa": "شبیه‌ساز", "en": "Simulator"},
    "sim.intro": {"fa": "گفت‌وگوی یک شهروند را با هر نسخه از جریان‌ها، همان‌گونه که در هر کانال دیده می‌شود، بیازمایید. "
                        "هیچ درخواست واقعی ثبت و هیچ پیامی فرستاده نمی‌شود.",
                  "en": "Walk any version of the flows as a citizen sees it on each channel. "
                        "No real request is filed and no message is sent."},
    "sim.channel": {"fa": "کانال", "en": "Channel"},
    "sim.channel.ussd": {"fa": "USSD", "en": "USSD"},
    "sim.channel.sms": {"fa": "پیامک", "en": "SMS"},
    "sim.channel.telegram": {"fa": "بات", "en": "Bot"},
    "sim.version": {"fa": "نسخه", "en": "Version"},
    "sim.version.live": {"fa": "نسخهٔ زنده ({number})", "en": "The live version ({number})"},
    "sim.version.one": {"fa": "نسخهٔ {number}", "en": "Version {number}"},
    "sim.start": {"fa": "شروع", "en": "Start"},
    "sim.open": {"fa": "شبیه‌سازی‌های باز شما", "en": "Your open simulations"},
    "sim.new": {"fa": "شبیه‌سازی تازه", "en": "New simulation"},
    "sim.run": {"fa": "{channel} · نسخهٔ {number}", "en": "{channel} · version {number}"},
    "sim.throwaway": {"fa": "آزمایشی: چیزی ثبت یا فرستاده نمی‌شود.", "en": "Throwaway: nothing is filed or sent."},
    "sim.log": {"fa": "گفت‌وگو تا اینجا", "en": "The conversation so far"},
    "sim.you": {"fa": "شهروند", "en": "Citizen"},
    "sim.screen": {"fa": "صفحهٔ گوشی", "en": "Phone screen"},
    "sim.input": {"fa": "آنچه شهروند می‌فرستد", "en": "What the citizen sends"},
    "sim.dial": {"fa": "کدی که شهروند شماره می‌گیرد (خالی: {code})", "en": "The code the citizen dials (empty: {code})"},
    "sim.send": {"fa": "فرستادن", "en": "Send"},
    "sim.press": {"fa": "دکمه‌های پیام", "en": "The message's buttons"},
    "sim.hang_up": {"fa": "قطع تماس", "en": "Hang up"},
    "sim.restart": {"fa": "از نو", "en": "Restart"},
    "sim.close": {"fa": "بستن شبیه‌سازی", "en": "Close the simulation"},
    "sim.ended": {"fa": "نشست USSD پایان یافت؛ برای ادامه دوباره شماره بگیرید.", "en": "The USSD session ended; dial again to go on."},
    "sim.sms_hint": {"fa": "پیامکی بفرستید (مثلاً «سلام») تا گفت‌وگو آغاز شود.", "en": "Send a text (e.g. hello) to start."},
    "sim.ussd_meter": {"fa": "{used} از {limit} نویسه · صفحهٔ {page} از {pages}", "en": "{used}/{limit} characters · page {page} of {pages}"},
    "sim.sms_meter": {"fa": "{segments} بخش ({coding})", "en": "{segments} segment(s) ({coding})"},
    "sim.empty": {"fa": "متنی بنویسید.", "en": "Type something to send."},
    "sim.too_long": {"fa": "حداکثر {limit} نویسه؛ کانال بیش از این را نمی‌پذیرد.", "en": "At most {limit} characters: the channel takes no more."},
    "sim.bad_channel": {"fa": "کانال را از فهرست برگزینید.", "en": "Choose a channel from the list."},
    "sim.bad_version": {"fa": "نسخهٔ {version} وجود ندارد.", "en": "There is no version {version}."},
    "sim.broken": {"fa": "این نسخه با این نرم‌افزار اجرا نمی‌شود: {why}", "en": "This version does not run on this software: {why}"},
}


@dataclass(frozen=True)
class Screen:
    """What the phone shows after one turn: the text as the channel renders it (USSD without its
    CON/END, paging kept), a bot's messages with their buttons, and the meters staff check."""

    text: str
    end: bool
    messages: tuple[BotMessage, ...] = ()
    meter: tuple[str, dict[str, object]] | None = None
    """A text key and its values: characters of the page's budget (USSD), segments (SMS)."""


@dataclass(frozen=True)
class Turn:
    """One exchange: what the citizen sent (None for a dial that only opened the menu) and the answer."""

    sent: str | None
    screen: Screen


@dataclass
class Simulation:
    """One open simulation: a scratch gateway, its folder, its citizen and the conversation so far."""

    id: str
    owner: str
    """The SHA-256 of the console session's cookie that opened it."""
    user_id: int
    channel: str
    number: int
    gateway: Gateway
    folder: str
    citizen: SimulatedCitizen
    used_at: float
    turns: deque[Turn] = field(default_factory=lambda: deque(maxlen=MAX_TURNS))
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def dialling(self) -> bool:
        """USSD with no session open: what is typed next is a code to dial."""
        return self.channel == "ussd" and (not self.turns or self.turns[-1].screen.end)

    def limit(self) -> int:
        """The longest input the channel takes: a USSD string, an SMS text, a bot message."""
        settings = self.gateway.settings
        return {"ussd": settings.ussd.gsm_limit, "sms": settings.sms.max_text_chars}.get(self.channel, BOT_MAX_TEXT)

    async def say(self, text: str) -> None:
        """The citizen's next input (a dial when no USSD session is open), its answer logged."""
        if self.dialling:
            seen = await self.citizen.dial(text or self.gateway.settings.ussd.service_code)
        else:
            seen = await self.citizen.send(text)
        self.turns.append(Turn(text or None, self._screen(seen)))

    async def begin(self) -> None:
        """Open the conversation the way the channel does: USSD dials the service code and a bot is
        opened (its menu shown); an SMS conversation starts with the citizen's first text."""
        if self.channel != "sms":
            seen = await self.citizen.dial(self.gateway.settings.ussd.service_code if self.channel == "ussd" else "")
            self.turns.append(Turn(None, self._screen(seen)))

    def hang_up(self) -> None:
        """End the USSD session as a handset does: the next input dials."""
        if self.turns and not self.turns[-1].screen.end:
            last = self.turns[-1]
            self.turns[-1] = Turn(last.sent, Screen(last.screen.text, True, last.screen.messages, last.screen.meter))
        self.citizen.typed = None

    def _screen(self, seen: Seen) -> Screen:
        if self.channel == "ussd":
            text = seen.text.removeprefix("CON ").removeprefix("END ")
            used, limit = ussd_budget_used(text, *self.gateway.settings.ussd.limits(None))
            meter: tuple[str, dict[str, object]] = ("sim.ussd_meter", {"used": used, "limit": limit, "page": seen.page + 1, "pages": seen.pages})
            return Screen(text, seen.end, meter=meter)
        if self.channel == "sms":
            encoding = sms_encoding(seen.text)
            return Screen(seen.text, seen.end, meter=("sim.sms_meter", {"segments": encoding.segments, "coding": encoding.coding}))
        return Screen(seen.text, seen.end, tuple(bot_messages(seen.reply)) if seen.reply else ())


def scratch_settings(settings: Settings, file: Path) -> Settings:
    """The live settings on a scratch SQLite `file`, without Redis (the workers' sessions and outbox
    stream), with every bot off (no token: its Bot API is never reached) and every SMS provider
    without its address: nothing a simulation queues can reach anyone, and nothing outside this
    process is contacted."""
    bots = {name: {"token": ""} for name in settings.telegram.bots or {}}
    providers = {name: {"base_url": ""} for name in settings.sms.providers}
    return settings.with_scratch_store(file).updated({"telegram": {"bots": bots}, "sms": {"providers": providers}})


def owner_of(cookie: str) -> str:
    """How a simulation knows its console session without keeping the cookie itself."""
    return hashlib.sha256(cookie.encode("ascii", "replace")).hexdigest()


class Simulations:
    """Every open simulation of this process, bounded per user and in idle time."""

    def __init__(self, clock: Clock, *, per_user: int = PER_USER, idle_minutes: float = IDLE_MINUTES) -> None:
        self.clock, self.per_user, self.idle = clock, per_user, idle_minutes * 60
        self.runs: dict[str, Simulation] = {}
        self.opening = asyncio.Lock()

    def of(self, owner: str) -> list[Simulation]:
        """A session's simulations, the most recently used first."""
        return sorted((run for run in self.runs.values() if run.owner == owner), key=lambda run: -run.used_at)

    def find(self, owner: str, run_id: str) -> Simulation | None:
        """A simulation of this session (None for another's: ids are not permissions)."""
        run = self.runs.get(run_id)
        if run is None or run.owner != owner:
            return None
        run.used_at = self.clock()
        return run

    async def open(self, live: Gateway, owner: str, user_id: int, channel: str, number: int) -> Simulation:
        """A new simulation of version `number` on `channel`; UnknownVersion, or FlowErrors for a
        version this software cannot run. Closes the user's least recently used one past the limit."""
        await self.sweep()
        _, content = await live.publisher.store.get(number)
        async with self.opening:
            mine = sorted((run for run in self.runs.values() if run.user_id == user_id), key=lambda run: run.used_at)
            for run in mine[:max(0, len(mine) - self.per_user + 1)]:
                await self.close(run)
            folder = tempfile.mkdtemp(prefix="pishkhan-console-sim-")
            try:
                scratch = await open_gateway(scratch_settings(live.settings, Path(folder) / "simulator.sqlite3"),
                                             clock=live.requests.clock, seed=content)
            except BaseException:
                shutil.rmtree(folder, ignore_errors=True)
                raise
            citizen = SimulatedCitizen(scratch, channel, CITIZEN, {"chat": 1})
            run = Simulation(secrets.token_urlsafe(12), owner, user_id, channel, number, scratch, folder, citizen, self.clock())
            self.runs[run.id] = run
        return run

    async def close(self, run: Simulation) -> None:
        """Close a simulation's gateway and remove its scratch store."""
        if self.runs.pop(run.id, None) is None:
            return
        try:
            await run.gateway.close()
        finally:
            shutil.rmtree(run.folder, ignore_errors=True)

    async def close_session(self, cookie: str) -> None:
        """Close every simulation of a console session (it signed out)."""
        owner = owner_of(cookie)
        for run in [run for run in self.runs.values() if run.owner == owner]:
            await self.close(run)

    async def sweep(self) -> None:
        """Close the simulations unused for `idle_minutes`."""
        stale = self.clock() - self.idle
        for run in [run for run in self.runs.values() if run.used_at < stale]:
            await self.close(run)

    async def close_all(self) -> None:
        """Close everything (the application stops)."""
        for run in list(self.runs.values()):
            await self.close(run)


RUN = web.AppKey("console_simulations", Simulations)


def simulations(request: web.Request) -> Simulations:
    """This console's simulations."""
    return request.config_dict[RUN]


def _run_of(request: web.Request) -> Simulation:
    run = simulations(request).find(owner_of(signed_in(request).cookie), request.match_info["run"])
    if run is None:
        raise web.HTTPNotFound(reason="this simulation is closed (idle, signed out or replaced); start a new one")
    return run


async def _start_page(request: web.Request, *, error: str | None = None, chosen: tuple[str, str] = ("ussd", "live"),
                      status: int = 200) -> web.Response:
    gateway = gateway_of(request)
    versions, _ = await gateway.publisher.store.versions(limit=50)
    live = await gateway.publisher.store.live_number()
    runs = simulations(request).of(owner_of(signed_in(request).cookie))
    return render(request, "simulator_start.html", {"versions": versions, "live": live, "runs": runs, "channels": CHANNELS,
                                                    "chosen": chosen, "error": error}, status=status)


@requires("viewer", scope=AGENCY)  # a scratch gateway: nothing of any agency is in it
async def start_page(request: web.Request) -> web.StreamResponse:
    """Choose a channel and a version; the user's open simulations."""
    await simulations(request).sweep()
    return await _start_page(request)


@requires("viewer", scope=AGENCY)
async def start(request: web.Request) -> web.StreamResponse:
    """Open a simulation and show its first screen."""
    form = await read_form(request)
    channel, version = str(form.get("channel", "")), str(form.get("version", "live")).strip()
    words = speaker(request)
    if channel not in CHANNELS:
        return await _start_page(request, error=words.t("sim.bad_channel"), chosen=(channel, version), status=400)
    live = gateway_of(request)
    number = await live.publisher.store.live_number() if version == "live" else int(version) if version.isascii() and version.isdigit() else None
    who = signed_in(request)
    try:
        if number is None:
            raise UnknownVersion(version)
        run = await simulations(request).open(live, owner_of(who.cookie), who.user.id, channel, number)
    except UnknownVersion:
        return await _start_page(request, error=words.t("sim.bad_version", version=version[:20]), chosen=(channel, version), status=422)
    except PishkhanError as error:  # a version whose flows this build refuses
        return await _start_page(request, error=words.t("sim.broken", why=str(error)[:500]), chosen=(channel, version), status=422)
    async with run.lock:
        await run.begin()
    return see_other(f"{PREFIX}/simulator/{run.id}")


def _run_page(request: web.Request, run: Simulation, *, typed: str = "", error: str | None = None, status: int = 200) -> web.Response:
    runs = simulations(request).of(run.owner)
    return render(request, "simulator_run.html", {"run": run, "runs": runs, "typed": typed, "error": error}, status=status)


@requires("viewer", scope=AGENCY)
async def show(request: web.Request) -> web.StreamResponse:
    """The phone: the conversation so far above the screen, the input box under it."""
    return _run_page(request, _run_of(request))


@requires("viewer", scope=AGENCY)
async def send(request: web.Request) -> web.StreamResponse:
    """What the citizen sends (a USSD code when no session is open); bounded as the channel bounds it."""
    run = _run_of(request)
    form = await read_form(request)
    raw = form.get("input", "")
    typed = raw.strip() if isinstance(raw, str) else ""
    words = speaker(request)
    if len(typed) > run.limit():
        return _run_page(request, run, typed=typed[:run.limit() * 2], error=words.t("sim.too_long", limit=run.limit()), status=400)
    if not typed and not run.dialling:
        return _run_page(request, run, error=words.t("sim.empty"), status=400)
    async with run.lock:
        try:
            await run.say(typed)
        except ChannelError as refused:  # what the channel's adapter refuses (a USSD session's inputs past its field limit)
            return _run_page(request, run, typed=typed, error=str(refused), status=400)
    return see_other(f"{PREFIX}/simulator/{run.id}#screen")


@requires("viewer", scope=AGENCY)
async def hang_up(request: web.Request) -> web.StreamResponse:
    """End the USSD session; the next input dials."""
    run = _run_of(request)
    await read_form(request)
    run.hang_up()
    return see_other(f"{PREFIX}/simulator/{run.id}#screen")


@requires("viewer", scope=AGENCY)
async def restart(request: web.Request) -> web.StreamResponse:
    """Start over on a fresh scratch store (what was submitted is forgotten)."""
    run = _run_of(request)
    await read_form(request)
    registry = simulations(request)
    await registry.close(run)
    fresh = await registry.open(gateway_of(request), run.owner, run.user_id, run.channel, run.number)
    async with fresh.lock:
        await fresh.begin()
    return see_other(f"{PREFIX}/simulator/{fresh.id}")


@requires("viewer", scope=AGENCY)
async def close(request: web.Request) -> web.StreamResponse:
    """Close the simulation and discard its scratch store."""
    run = _run_of(request)
    await read_form(request)
    await simulations(request).close(run)
    return see_other(f"{PREFIX}/simulator")


async def _sweeping(console: web.Application) -> AsyncIterator[None]:
    """Close idle simulations every minute while the application runs, and all of them when it stops."""
    registry = console[RUN]

    async def sweep_forever() -> None:
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            try:
                await registry.sweep()
            except Exception:  # a gateway that fails to close must not stop the sweeping of the others
                log.exception("simulator: closing idle simulations failed")

    task = asyncio.create_task(sweep_forever(), name="console-simulator-sweep")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await registry.close_all()


def setup(console: web.Application) -> None:
    """Add the simulator's pages; its simulations close on sign-out, when idle and when the app stops."""
    registry = Simulations(console[GATEWAY].requests.clock)
    console[RUN] = registry
    console[ON_SIGN_OUT].append(registry.close_session)
    console.cleanup_ctx.append(_sweeping)
    console.router.add_get("/simulator", start_page)
    console.router.add_post("/simulator", start)
    console.router.add_get("/simulator/{run}", show)
    console.router.add_post("/simulator/{run}/send", send)
    console.router.add_post("/simulator/{run}/hang-up", hang_up)
    console.router.add_post("/simulator/{run}/restart", restart)
    console.router.add_post("/simulator/{run}/close", close)

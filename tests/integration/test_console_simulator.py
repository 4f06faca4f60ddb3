"""The console's simulator as staff use it: walk the shipped flows to a submitted request over USSD,
SMS and a bot, seeing each screen as the channel draws it, while the live store gets no request and
the live outbox no message; an older version shows its old words; simulations are bounded per user,
closed when idle, on sign-out and when the application stops; inputs are bounded as the channels
bound them."""

from __future__ import annotations

import copy
import html
import re
import tempfile
from pathlib import Path

import pytest
from clock import ManualClock
from console_pages import csrf_of, make_user, sign_in

from gateway.app import GATEWAY, create_app
from gateway.content.model import Content
from gateway.settings import Settings

TRACKING = re.compile(r"Tracking code:\s*([0-9]{11})")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def scratch_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the simulations' scratch stores go, so the test can see them made and removed."""
    folder = tmp_path / "scratch"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
async def console(aiohttp_client, settings: Settings, clock: ManualClock, scratch_dir: Path):  # type: ignore[no-untyped-def]
    client = await aiohttp_client(await create_app(settings, clock=clock))
    await make_user(client, "vida", "viewer", language="en")
    assert (await sign_in(client, "vida")).status == 303
    return client


async def live_counts(console) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """Requests and outbox messages in the live store."""
    db = console.app[GATEWAY].db
    requests = await db.fetchone("SELECT count(*) AS n FROM requests")
    outbox = await db.fetchone("SELECT count(*) AS n FROM outbox")
    return int(requests["n"]), int(outbox["n"])


async def start(console, channel: str, version: str = "live") -> str:  # type: ignore[no-untyped-def]
    """Open a simulation through the form; the path of its page."""
    answer = await console.post("/console/simulator", data={"csrf": await csrf_of(console, "/console/simulator"), "channel": channel,
                                                             "version": version}, allow_redirects=False)
    assert answer.status == 303, await answer.text()
    return answer.headers["Location"]


async def send(console, run: str, text: str) -> str:  # type: ignore[no-untyped-def]
    """Type `text` into the phone and send it; the page drawn after (the form's redirect followed)."""
    answer = await console.post(f"{run}/send", data={"csrf": await csrf_of(console, run), "input": text}, allow_redirects=False)
    assert answer.status == 303, await answer.text()
    assert answer.headers["Location"] == f"{run}#screen"
    return await page(console, run)


async def page(console, path: str) -> str:  # type: ignore[no-untyped-def]
    answer = await console.get(path)
    assert answer.status == 200, path
    return html.unescape(await answer.text())


def screen(text: str) -> str:
    """The phone's screen (the current answer), without the conversation above it."""
    return text[text.index('id="screen"'):text.index('class="sim-send"')]


async def test_a_ussd_walk_submits_in_the_simulator_and_nothing_reaches_the_live_store(console) -> None:  # type: ignore[no-untyped-def]
    before = await live_counts(console)
    run = await start(console, "ussd")
    first = screen(await page(console, run))
    assert "پیشخوان دولت\nزبان / Language" in first and "CON" not in first and "characters · page 1 of 1" in first
    for typed in ("2", "1", "1", "1", "1", "1", "0499370899", "1375/06/21"):
        shown = await send(console, run, typed)
    assert "Submit a request for First issue?" in screen(shown) and "Fee: 300,000 rials" in screen(shown)
    done = await send(console, run, "1")
    now = screen(done)
    assert "Request received." in now and "END" not in now and TRACKING.search(now)
    assert "The USSD session ended; dial again to go on." in now
    log = done[:done.index('id="screen"')]
    assert "0499370899" in log and "Enter your 10-digit national code:" in log  # the conversation so far, above the screen
    assert await live_counts(console) == before  # no request filed, no receipt queued in the live store

    redial = await send(console, run, "")  # an empty dial is the service code; the language is remembered in the scratch store
    assert "Government services" in screen(redial)
    tracked = await send(console, run, "2")
    assert "Enter your tracking code:" in screen(tracked)
    status = await send(console, run, TRACKING.search(now).group(1))  # type: ignore[union-attr]
    assert "Status: submitted" in screen(status)


async def test_an_sms_walk_in_persian_shows_the_reply_texts_and_their_segments(console) -> None:  # type: ignore[no-untyped-def]
    before = await live_counts(console)
    run = await start(console, "sms")
    assert "Send a text (e.g. hello) to start." in screen(await page(console, run))
    shown = await send(console, run, "سلام")
    assert "پیشخوان دولت" in screen(shown) and "segment(s) (ucs2)" in screen(shown)
    for typed in ("۱", "1", "1", "1", "1", "۰۴۹۹۳۷۰۸۹۹", "۱۳۷۵/۰۶/۲۱"):
        shown = await send(console, run, typed)
    assert "هزینه: ۳۰۰,۰۰۰ ریال" in screen(shown)
    done = screen(await send(console, run, "1"))
    assert re.search(r"کد پیگیری:\s*[۰-۹]{11}", done), done
    assert await live_counts(console) == before


async def test_a_bot_walk_draws_buttons_that_press_like_the_bots(console) -> None:  # type: ignore[no-untyped-def]
    before = await live_counts(console)
    run = await start(console, "telegram")
    first = await page(console, run)
    assert '<button type="submit" name="input" value="2" class="secondary">\u200fEnglish</button>' in first  # marked as the bot marks it
    for key in ("2", "1", "1", "1", "1", "1"):
        shown = await send(console, run, key)  # what pressing the button posts
    assert "Enter your 10-digit national code:" in screen(shown)
    for typed in ("0499370899", "1375/06/21"):
        shown = await send(console, run, typed)
    assert "Submit a request for First issue?" in screen(shown) and 'name="input" value="1"' in screen(shown)
    done = screen(await send(console, run, "1"))
    assert TRACKING.search(done), done
    assert await live_counts(console) == before


async def test_an_older_version_shows_its_old_words(console) -> None:  # type: ignore[no-untyped-def]
    gateway = console.app[GATEWAY]
    live = await gateway.publisher.store.live()
    assert live is not None
    flows = copy.deepcopy(dict(live[1].flows))
    main = next(name for name in flows if "main" in name)
    flows[main]["nodes"]["home"]["text"]["en"] = "State services"
    change = await gateway.publisher.prepare_content(Content(flows, live[1].catalogue))
    assert (await gateway.publisher.publish(change, author="test", note="rename the home title")).created

    choices = await page(console, "/console/simulator")
    assert "The live version (2)" in choices and "Version 1" in choices
    for version, title in (("live", "State services"), ("1", "Government services")):
        run = await start(console, "ussd", version)
        assert f"version {2 if version == 'live' else 1}" in await page(console, run)
        assert title in screen(await send(console, run, "2"))


async def test_simulations_are_bounded_per_user_closed_when_idle_on_sign_out_and_at_stop(console, clock: ManualClock,  # type: ignore[no-untyped-def]
                                                                                       scratch_dir: Path) -> None:
    runs = [await start(console, channel) for channel in ("ussd", "sms", "telegram")]
    assert len(list(scratch_dir.iterdir())) == 3
    clock.advance(60)
    await page(console, runs[0])  # used again: the least recently used is now the SMS one
    fourth = await start(console, "ussd")
    assert (await console.get(runs[1])).status == 404  # closed to make room
    assert [(await console.get(path)).status for path in (runs[0], runs[2], fourth)] == [200, 200, 200]
    assert len(list(scratch_dir.iterdir())) == 3

    clock.advance(14 * 60)
    await page(console, fourth)
    clock.advance(2 * 60)  # the others idle past 15 minutes
    listing = await page(console, "/console/simulator")
    assert (await console.get(runs[0])).status == 404 and (await console.get(runs[2])).status == 404
    assert listing.count("USSD · version 1") == 1 and len(list(scratch_dir.iterdir())) == 1

    await make_user(console, "reza", "viewer")
    other = await console.app[GATEWAY].db.fetchone("SELECT count(*) AS n FROM console_users")
    assert other["n"] == 2
    assert (await console.post("/console/logout", data={"csrf": await csrf_of(console)}, allow_redirects=False)).status == 303
    assert list(scratch_dir.iterdir()) == []  # signing out closed it
    assert (await sign_in(console, "reza")).status == 303
    assert (await console.get(fourth)).status == 404  # and no other session could reach it anyway

    await start(console, "sms")
    assert len(list(scratch_dir.iterdir())) == 1
    await console.close()
    assert list(scratch_dir.iterdir()) == []  # the application stopped


async def test_inputs_are_bounded_as_the_channel_bounds_them_and_kept_on_the_page(console) -> None:  # type: ignore[no-untyped-def]
    run = await start(console, "ussd")
    long = "1" * 183
    answer = await console.post(f"{run}/send", data={"csrf": await csrf_of(console, run), "input": long})
    text = await answer.text()
    assert answer.status == 400 and "At most 182 characters: the channel takes no more." in text and f'value="{long}"' in text
    sms = await start(console, "sms")
    empty = await console.post(f"{sms}/send", data={"csrf": await csrf_of(console, sms), "input": "  "})
    assert empty.status == 400 and "Type something to send." in await empty.text()
    bad = await console.post("/console/simulator", data={"csrf": await csrf_of(console, "/console/simulator"), "channel": "ussd",
                                                          "version": "99"})
    assert bad.status == 422 and "There is no version 99." in await bad.text()
    forged = await console.post(f"{run}/send", data={"input": "1"})
    assert forged.status == 403

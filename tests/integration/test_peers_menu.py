"""bench/peers/menu.json is the walk Pishkhan shows on config/: the peers bench measures every system
on those pages and refuses to measure Pishkhan when they differ, so a change to the sample menus must
come with `python bench/peers/run.py --capture` (this test says so before the bench does)."""

from __future__ import annotations

import sys
from pathlib import Path

from ussd_citizen import ussd_hops

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.peers.run import Menu  # noqa: E402
from bench.ussd_load import Walker  # noqa: E402


async def test_the_peers_bench_menu_is_what_pishkhan_shows(client) -> None:  # type: ignore[no-untyped-def]
    menu = Menu.load(ROOT / "bench" / "peers" / "menu.json")
    texts = Walker(menu.description["walk"]).texts()  # the hops the bench sends, as it builds them
    pages = await ussd_hops(client, "+989121230000", texts)
    assert pages == menu.expected, "config/ changed the bench walk's pages: run `python bench/peers/run.py --capture`"

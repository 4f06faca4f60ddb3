"""The menu of menu.json on anysd 1.2.7 (Flask, served by gunicorn, sessions in Redis), for bench/peers.

    ANYSD_CONFIG_FILE=<scratch>/anysd.yaml PEERS_MENU=bench/peers/menu.json \
        gunicorn --chdir bench/peers/apps -w 1 -b 127.0.0.1:PORT anysd_app:app

anysd keeps the language outside its navigation tree (its `get_translation_fxn`), so the app answers
the first hop (the language page) itself and stores the choice with anysd's `set_var`; from the second
hop on, anysd's NavigationController walks the tree whose root is home, with its own back (`0`) and
home (`00`) handling and the path it keeps in Redis. anysd renders a page as `CON title` plus its
children numbered in ASCII; the pages here are Pishkhan's (Persian digits, a footer), so each node
renders its page from menu.json after anysd's own rendering ran.
"""
from __future__ import annotations

import json
import os
from typing import Any

from anysd import NavigationController, NavigationMenu, set_var
from flask import Flask, request

DESCRIPTION = json.loads(open(os.environ["PEERS_MENU"], encoding="utf-8").read())


class Page(NavigationMenu):
    """A navigation node that shows its page of menu.json."""

    def __init__(self, name: str, text: str, **kwargs: Any) -> None:
        super().__init__(name=name, title=name, **kwargs)
        self.page = "CON " + text

    def _generate_menu(self, *args: Any, **kwargs: Any) -> None:
        super()._generate_menu(*args, **kwargs)
        self.menu_string = self.page


def build(name: str, parent: Page | None = None) -> Page:
    """The subtree at page `name`: a child per numbered link, in order (anysd numbers children 1..n)."""
    page = DESCRIPTION["pages"][name]
    node = Page(name, page["text"], parent=parent)
    links = {k: v for k, v in page["next"].items() if k not in (DESCRIPTION["back"], DESCRIPTION["home"])}
    if list(links) != [str(i) for i in range(1, len(links) + 1)]:
        raise SystemExit(f"page {name}: anysd numbers children 1..n; links {list(links)}")
    for child in links.values():
        build(child, node)
    if not links:  # anysd refuses a node with neither children nor a form; never shown
        NavigationMenu(name=f"{name}-leaf", title="-", parent=node)
    return node


START = DESCRIPTION["pages"][DESCRIPTION["start"]]
HOME = build(START["next"]["1"])
app = Flask(__name__)


@app.get("/healthz")
def healthz() -> str:
    return "ok"


@app.post("/ussd/africastalking")
def ussd() -> str:
    form = request.form
    text, msisdn, session_id = form["text"], form["phoneNumber"], form["sessionId"]
    if not text:
        return "CON " + START["text"]
    choices = text.split("*")
    if len(choices) == 1:  # the language chosen: the tree starts at home with nothing typed in it
        set_var(msisdn, session_id, {"LANGUAGE": choices[0]})
        text = ""
    return str(NavigationController(HOME, msisdn, session_id, text).navigate())

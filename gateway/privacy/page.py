"""`GET /privacy`: the whole privacy statement as a small public page, fa (right to left) or en
(`?lang=en`), in the pay pages' look (gateway.payments.pages: inline stylesheet allowed by its hash, no
script, nothing from elsewhere). The pay page links here; the SMS keyword's answer gives its address."""

from __future__ import annotations

import html

from aiohttp import web

from flows.paging import localise_digits
from flows.texts import pick
from gateway.payments.pages import csp, layout
from gateway.privacy.statement import PUBLIC_PATH, Statement
from gateway.runtime import GATEWAY

LANGUAGE_LINK = {"fa": "English", "en": "فارسی"}


def statement_page(statement: Statement, lang: str, languages: tuple[str, ...]) -> str:
    """The statement as HTML; every value escaped."""
    def e(text: str) -> str:
        return html.escape(localise_digits(text, lang), quote=True)

    body = [f"<h1>{e(pick(statement.title, lang))}</h1>"]
    body += [f"<h2>{e(pick(heading, lang))}</h2><p>{e(pick(text, lang))}</p>" for heading, text in statement.sections]
    others = [other for other in languages if other != lang]
    body += [f'<nav><a href="{PUBLIC_PATH}?lang={other}" lang="{other}">{html.escape(LANGUAGE_LINK.get(other, other))}</a></nav>'
             for other in others]
    return layout(lang, pick(statement.title, lang), "".join(body))


async def privacy_page(request: web.Request) -> web.Response:
    """The statement in the asked language (default: the first of flows.languages)."""
    gateway = request.app[GATEWAY]
    languages = tuple(gateway.settings.flows.languages)
    lang = request.query.get("lang", languages[0])
    if lang not in languages:
        lang = languages[0]
    headers = {"Content-Security-Policy": csp(()), "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
               "X-Content-Type-Options": "nosniff"}
    return web.Response(text=statement_page(gateway.privacy.statement, lang, languages), content_type="text/html", charset="utf-8",
                        headers=headers)


def setup(app: web.Application) -> None:
    """Register `GET /privacy`."""
    app.router.add_get(PUBLIC_PATH, privacy_page)

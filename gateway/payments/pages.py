"""The pay pages as HTML: small, mobile-first, fa (right to left) and en, no third-party assets.

Every value is escaped; the one stylesheet is inline and allowed by its hash in the
Content-Security-Policy, so no script and no outside resource can run or load.
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections.abc import Iterable

from gateway.catalogue.flows import money
from gateway.payments.sandbox import SandboxSession
from gateway.payments.service import LinkView
from gateway.payments.texts import NOT_FOUND, STALE_FORM, fill, page_text, sandbox_text
from gateway.privacy.statement import PUBLIC_PATH as PRIVACY_PATH

CSS = (
    "body{margin:0;background:#f3f4f6;color:#111;font:16px/1.5 system-ui,Tahoma,'Noto Sans Arabic',sans-serif}"
    "main{max-width:28rem;margin:0 auto;padding:1rem}"
    ".card{background:#fff;border-radius:.6rem;padding:1rem 1.2rem;box-shadow:0 1px 3px #0002}"
    "h1{font-size:1.3rem;margin:.2rem 0 1rem}dl{margin:0 0 1rem}dt{color:#555;font-size:.85rem}dd{margin:0 0 .6rem;font-weight:600}"
    "button{display:block;width:100%;font:inherit;font-size:1.1rem;padding:.85rem;margin:.6rem 0;border:0;border-radius:.5rem;"
    "background:#0b6e4f;color:#fff}button.alt{background:#e5e7eb;color:#111}"
    "p.note{color:#444;font-size:.9rem}p.alert{background:#fff4e5;border-radius:.4rem;padding:.6rem}"
    "nav{margin-top:1rem;font-size:.9rem}a{color:#0b5394}"
)
CSS_HASH = "sha256-" + base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()


def csp(form_origins: Iterable[str]) -> str:
    """The Content-Security-Policy of every pay page: our stylesheet, forms only to us and the bank."""
    targets = " ".join(["'self'", *sorted(set(form_origins))])
    return (f"default-src 'none'; style-src '{CSS_HASH}'; img-src 'self'; form-action {targets}; "
            "base-uri 'none'; frame-ancestors 'none'")


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def layout(lang: str, title: str, body: str) -> str:
    """A whole page; Persian pages are right to left."""
    direction = "rtl" if lang == "fa" else "ltr"
    return (f'<!doctype html><html lang="{_e(lang)}" dir="{direction}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width,initial-scale=1"><meta name="referrer" content="no-referrer">'
            f"<title>{_e(title)}</title><style>{CSS}</style></head><body><main><div class=\"card\">{body}</div></main></body></html>")


def _form(action: str, csrf: str, label: str, *, name: str = "", value: str = "", css: str = "") -> str:
    extra = f' name="{_e(name)}" value="{_e(value)}"' if name else ""
    klass = f' class="{css}"' if css else ""
    return (f'<form method="post" action="{_e(action)}"><input type="hidden" name="csrf" value="{_e(csrf)}">'
            f"<button type=\"submit\"{klass}{extra}>{_e(label)}</button></form>")


def _facts(view: LinkView, service_title: str, lang: str) -> str:
    rows = ((page_text("service", lang), service_title), (page_text("code", lang), fill(view.request.tracking_code, lang)),
            (page_text("amount", lang), fill(money(view.payment.amount, lang), lang)))
    return "<dl>" + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in rows) + "</dl>"


def link_page(view: LinkView, token: str, lang: str, service_title: str, provider_label: str, alert: str | None = None) -> str:
    """What `/pay/<token>` shows for the link's state."""
    t = lambda key, **v: page_text(key, lang, **v)  # noqa: E731
    base = f"/pay/{token}"
    other = "en" if lang == "fa" else "fa"
    parts = [f'<p class="alert">{_e(alert)}</p>' if alert else ""]
    page, csrf = view.page, view.payment.csrf
    if page == "paid":
        paid = view.paid or view.payment
        parts += [f"<h1>{_e(t('paid'))}</h1>", _facts(view, service_title, lang),
                  f"<dl><dt>{_e(t('ref'))}</dt><dd>{_e(fill(paid.ref_id or '-', lang))}</dd></dl>", f'<p class="note">{_e(t("receipt_sent"))}</p>']
    elif page == "pay":
        parts += [f"<h1>{_e(t('title'))}</h1>", _facts(view, service_title, lang),
                  _form(f"{base}/start", csrf, t("pay", amount=money(view.payment.amount, lang))),
                  f'<p class="note">{_e(t("bank_note", provider=provider_label))}</p>']
    elif page == "started":
        parts += [f"<h1>{_e(t('checking'))}</h1>", _facts(view, service_title, lang), f'<p class="note">{_e(t("started"))}</p>',
                  _form(f"{base}/start", csrf, t("continue"), css="alt")]
    elif page in ("failed", "expired"):
        heading = t("failed") if page == "failed" else t("expired")
        note = f'<p class="note">{_e(t("failed_note"))}</p>' if page == "failed" else ""
        parts += [f"<h1>{_e(heading)}</h1>", _facts(view, service_title, lang), note, _form(f"{base}/renew", csrf, t("renew"))]
    elif page == "renewed":
        parts += [f"<h1>{_e(t('renewed'))}</h1>", f'<p class="note">{_e(t("renewed_note"))}</p>']
    else:
        parts += [f"<h1>{_e(t('closed'))}</h1>", _facts(view, service_title, lang)]
    parts.append(f'<nav><a href="{_e(base)}?lang={other}" lang="{other}">{_e(t("language"))}</a> · '
                 f'<a href="{PRIVACY_PATH}?lang={lang}">{_e(t("privacy"))}</a></nav>')
    return layout(lang, t("title"), "".join(parts))


def result_page(view: LinkView, lang: str, service_title: str) -> str:
    """What the browser sees back from the bank (the callback): paid, still checking, or not paid."""
    t = lambda key, **v: page_text(key, lang, **v)  # noqa: E731
    payment = view.payment
    if view.page == "paid":
        paid = view.paid or payment
        body = [f"<h1>{_e(t('paid'))}</h1>", _facts(view, service_title, lang),
                f"<dl><dt>{_e(t('ref'))}</dt><dd>{_e(fill(paid.ref_id or '-', lang))}</dd></dl>", f'<p class="note">{_e(t("receipt_sent"))}</p>']
    elif payment.state == "pending":
        body = [f"<h1>{_e(t('checking'))}</h1>", _facts(view, service_title, lang), f'<p class="note">{_e(t("checking_note"))}</p>']
    else:
        body = [f"<h1>{_e(t('failed'))}</h1>", _facts(view, service_title, lang), f'<p class="note">{_e(t("failed_note"))}</p>',
                f'<p class="note">{_e(t("open_again"))}</p>']
    return layout(lang, t("title"), "".join(body))


def plain_page(text: str, lang: str = "fa", link: str | None = None) -> str:
    """A short message (both languages when we do not know the reader's), with an optional link back."""
    lines = "".join(f"<p>{_e(line)}</p>" for line in text.split("\n"))
    back = f'<nav><a href="{_e(link)}">↩</a></nav>' if link else ""
    return layout(lang, text.split("\n")[0], lines + back)


def not_found_page() -> str:
    """An unknown or malformed link."""
    return plain_page(NOT_FOUND)


def stale_form_page(token: str) -> str:
    """A form whose CSRF token or cookie does not match: open the link again."""
    return plain_page(STALE_FORM, link=f"/pay/{token}")


def sandbox_page(session: SandboxSession, path: str) -> str:
    """The sandbox bank's pay / cancel page (bilingual: it does not know the payer's language)."""
    both = lambda key: f"{sandbox_text(key, 'fa')} · {sandbox_text(key, 'en')}"  # noqa: E731
    facts = (f"<dl><dt>{_e(session.description)}</dt><dd>{_e(money(session.amount, 'fa'))} · {_e(money(session.amount, 'en'))}</dd></dl>")
    if session.state != "new":
        actions = f'<p class="note">{_e(both("done"))}</p>'
    else:
        actions = (_form(path, session.csrf, both("pay"), name="action", value="pay")
                   + _form(path, session.csrf, both("cancel"), name="action", value="cancel", css="alt"))
    return layout("fa", both("title"), f"<h1>{_e(both('title'))}</h1><p class=\"alert\">{_e(both('note'))}</p>{facts}{actions}")


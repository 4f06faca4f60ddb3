"""A real headless Chromium (Debian's `chromium`) for the tests that need one, driven over the Chrome
DevTools Protocol with aiohttp's websocket client: no Playwright, no Node, nothing downloaded.

One Chromium process serves a whole test module (`chromium`, started once: it takes about a second);
each test gets a `page` in a browser context of its own (Target.createBrowserContext), so cookies,
storage and cache never leak from one test to the next. A page acts as a user does (fill a field by
its label, click a button by its text, press Tab) and runs checks in the page that return lists of
problems, empty when all is well, so a failing assertion shows every problem at once:
`horizontal_overflow`, `direction`, `unlabelled_controls`, `low_contrast`, `console_errors`.

Its fixtures reach every test through tests/conftest.py's `pytest_plugins`; a module that uses them
marks itself `pytestmark = needs_chromium`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import itertools
import json
import shutil
import subprocess
from collections.abc import AsyncIterator, Awaitable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from waiting import eventually, eventually_blocking

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
WAIT = 15.0
"""Seconds a CDP call or a page load may take before the test fails naming it (a loaded CI box is slow)."""

PHONE = 360
"""The narrowest screen the console promises to work on (issue 15), in CSS pixels."""
DESKTOP = 1280

_KEYS: dict[str, tuple[str, int, str]] = {
    # key -> (DOM code, Windows virtual key code that Blink acts on, text the key types)
    "Tab": ("Tab", 9, ""),
    "Enter": ("Enter", 13, "\r"),
    "Space": ("Space", 32, " "),
    "Escape": ("Escape", 27, ""),
    "ArrowDown": ("ArrowDown", 40, ""),
    "ArrowUp": ("ArrowUp", 38, ""),
}
_SHIFT = 8  # CDP's modifier bit for Shift


@dataclasses.dataclass(frozen=True)
class Cookie:
    """A cookie as the browser stored it, with the flags a session cookie must carry."""

    name: str
    value: str
    domain: str
    path: str
    http_only: bool
    secure: bool
    same_site: str | None  # "Strict", "Lax", "None", or None when the server set no SameSite
    session: bool  # true when it dies with the browser (no Expires/Max-Age)


@dataclasses.dataclass(frozen=True)
class Element:
    """What a user (or a screen reader) knows of an element: enough to say where focus is."""

    tag: str
    id: str
    name: str
    type: str
    label: str  # its accessible name (the same computation unlabelled_controls uses)


# Helpers every in-page script starts with. `describe` names an element the way a failure message
# should (tag, id, classes, name); `accessibleName` follows the parts of the accessible-name
# computation a form needs: aria-labelledby, aria-label, <label for> and wrapping labels, the text
# of a button or link, an input button's value.
_LIB = r"""
const squash = (s) => (s || '').replace(/\s+/g, ' ').trim();
const describe = (el) => {
  let d = el.tagName.toLowerCase();
  if (el.id) d += '#' + el.id;
  for (const c of el.classList) d += '.' + c;
  if (el.getAttribute('name')) d += '[name=' + el.getAttribute('name') + ']';
  return d;
};
const rendered = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
const accessibleName = (el) => {
  const ids = squash(el.getAttribute('aria-labelledby'));
  if (ids) {
    const text = squash(ids.split(' ').map((id) => document.getElementById(id)?.textContent || '').join(' '));
    if (text) return text;
  }
  const aria = squash(el.getAttribute('aria-label'));
  if (aria) return aria;
  const labels = squash([...(el.labels || [])].map((l) => l.innerText).join(' '));
  if (labels) return labels;
  if (['BUTTON', 'A', 'SUMMARY'].includes(el.tagName) || el.getAttribute('role') === 'button') return squash(el.innerText);
  if (el.tagName === 'INPUT' && ['submit', 'reset', 'button'].includes(el.type)) return squash(el.value);
  if (el.tagName === 'INPUT' && el.type === 'image') return squash(el.alt);
  return '';
};
const info = (el) => ({tag: el.tagName.toLowerCase(), id: el.id, name: el.getAttribute('name') || '',
                      type: el.getAttribute('type') || '', label: accessibleName(el)});
"""

# Finds the one element a test means: a form control by its accessible name (its label) or else its
# name, or a button or link by its visible text, inside `within` (a CSS selector) when given. Anything other than
# exactly one match is a string that says what was there instead.
_FIND = r"""
(kind, wanted, within) => {
  const scope = within ? document.querySelector(within) : document;
  if (!scope) return 'nothing matches ' + within;
  const inScope = (selector) => (scope.matches?.(selector) ? [scope] : []).concat([...scope.querySelectorAll(selector)]);
  let found;
  if (kind === 'field') {
    const controls = inScope('input:not([type=hidden]), select, textarea');
    found = controls.filter((el) => accessibleName(el) === wanted);
    if (!found.length) found = controls.filter((el) => el.getAttribute('name') === wanted);
    if (found.length !== 1) return found.length + ' fields labelled or named ' + JSON.stringify(wanted) + '; there are: '
      + controls.map((el) => JSON.stringify(accessibleName(el) || el.getAttribute('name'))).join(', ');
  } else {
    const kinds = 'a, button, input[type=submit], input[type=button], input[type=reset], [role=button], [role=link], summary';
    const clickable = inScope(kinds).filter(rendered);
    const text = (el) => squash(el.tagName === 'INPUT' ? el.value : el.innerText);
    found = clickable.filter((el) => text(el) === wanted);
    if (found.length !== 1) return found.length + ' visible buttons or links read ' + JSON.stringify(wanted) + '; there are: '
      + clickable.map((el) => JSON.stringify(text(el))).join(', ');
  }
  return found[0];
}
"""

_OVERFLOW = r"""
const width = document.documentElement.clientWidth;
const wide = document.documentElement.scrollWidth;
if (wide <= width) return [];
// an element inside a scrolling or clipping box does not widen the page: only its box could
const clipped = (el) => {
  for (let up = el.parentElement; up && up !== document.body && up !== document.documentElement; up = up.parentElement) {
    if (getComputedStyle(up).overflowX !== 'visible') return true;
  }
  return false;
};
// where an element lies on the page (0..width is the viewport's width at the page's start), wherever it is scrolled to
const span = (el) => { const r = el.getBoundingClientRect(), x = document.scrollingElement.scrollLeft; return [r.left + x, r.right + x, r.width]; };
const out = (el) => {
  const [left, right, size] = span(el);
  // a fixed box never widens the page (it is not in the scrollable area)
  return size > 0 && (right > width + 0.5 || left < -0.5) && getComputedStyle(el).position !== 'fixed';
};
const problems = [`the page is ${wide} px wide in a ${width} px viewport`];
for (const el of document.body.querySelectorAll('*')) {
  // name the outermost element that sticks out: its children stick out only because it does
  if (out(el) && !(el.parentElement !== document.body && out(el.parentElement)) && !clipped(el)) {
    const [left, right] = span(el);
    problems.push(`${describe(el)} spans ${Math.round(left)}..${Math.round(right)} px`);
  }
}
return problems;
"""

_UNLABELLED = r"""
return [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
  .filter((el) => rendered(el) && !accessibleName(el))
  .map((el) => describe(el) + ' has no accessible name');
"""

# WCAG 2.1 contrast (1.4.3): the relative luminance of sRGB colours, the text colour composited over
# the element's effective background (the stack of ancestor backgrounds down to the first opaque
# one, over the white canvas). Background images are not seen: a page that puts text on an image
# needs a background colour behind it anyway.
_CONTRAST = r"""
const rgba = (css) => { const [r, g, b, a = 1] = css.match(/[\d.]+/g).map(Number); return [r, g, b, a]; };
const over = ([r, g, b, a], [R, G, B]) => [r * a + R * (1 - a), g * a + G * (1 - a), b * a + B * (1 - a)];
const background = (el) => {
  const layers = [];
  for (let up = el; up; up = up.parentElement) {
    const layer = rgba(getComputedStyle(up).backgroundColor);
    if (layer[3] > 0) layers.push(layer);
    if (layer[3] >= 1) break;
  }
  return layers.reverse().reduce((below, layer) => over(layer, below), [255, 255, 255]);
};
const luminance = (rgb) => {
  const [r, g, b] = rgb.map((c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};
const hex = (rgb) => '#' + rgb.map((c) => Math.round(c).toString(16).padStart(2, '0')).join('');
const problems = [];
for (const el of document.body.querySelectorAll('*')) {
  const hasText = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim())
    || (['INPUT', 'SELECT', 'TEXTAREA'].includes(el.tagName) && !['checkbox', 'radio', 'hidden', 'range', 'color'].includes(el.type));
  const style = getComputedStyle(el);
  // disabled controls are exempt from 1.4.3; invisible text is nobody's problem
  if (!hasText || !rendered(el) || Number(style.opacity) === 0 || el.closest(':disabled')) continue;
  const bg = background(el);
  const fg = over(rgba(style.color), bg);
  const [light, dark] = [luminance(fg), luminance(bg)].sort((x, y) => y - x);
  const ratio = (light + 0.05) / (dark + 0.05);
  const size = parseFloat(style.fontSize);
  const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
  const needed = large ? 3 : 4.5;
  if (ratio < needed) {
    const text = squash(el.innerText || el.value || el.placeholder).slice(0, 40);
    problems.push(`${describe(el)} ${JSON.stringify(text)}: contrast ${ratio.toFixed(2)}:1 (${hex(fg)} on ${hex(bg)}), needs ${needed}:1`);
  }
}
return problems;
"""


class Page:
    """One tab of a headless Chromium in a browser context of its own, over a flattened CDP session.

    Actions that load a page (go, click, submit, press Enter on a form) wait for its load event, so a
    test reads the new page right after; everything the page logs as an error is kept for
    `console_errors`.
    """

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.ids = itertools.count(1)
        self.waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.loads: dict[asyncio.Future[None], bool] = {}  # an action's awaited load -> whether its page has been navigated to yet
        self.errors: list[str] = []
        self.session: str | None = None
        self.context: str | None = None
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.ws:
            data = json.loads(message.data)
            if "id" in data and data["id"] in self.waiting:
                self.waiting.pop(data["id"]).set_result(data)
            elif data.get("method") == "Page.frameNavigated" and "parentId" not in data["params"]["frame"]:
                self.loads = {load: True for load in self.loads}
            elif data.get("method") == "Page.loadEventFired":
                # only a load that follows a navigation the action started: a late load of the page
                # before (about:blank) must not pass for the new one
                for load in [load for load, navigated in self.loads.items() if navigated]:
                    del self.loads[load]
                    if not load.done():
                        load.set_result(None)
            else:
                self._keep_error(data.get("method", ""), data.get("params", {}))

    def _keep_error(self, method: str, params: dict[str, Any]) -> None:
        """Keep what Chromium reports as a page's error: CSP refusals and failed loads come as Log
        entries, uncaught exceptions as Runtime.exceptionThrown, the page's own console.error calls
        as Runtime.consoleAPICalled."""
        if method == "Log.entryAdded" and params["entry"]["level"] == "error":
            entry = params["entry"]
            if entry.get("url", "").endswith("/favicon.ico") and entry["source"] == "network":
                return  # the browser asks for /favicon.ico on its own, unasked by the page: not the page's error
            self.errors.append(f"{entry['source']}: {entry['text']}" + (f" ({entry['url']})" if entry.get("url") else ""))
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            self.errors.append(f"exception: {details.get('exception', {}).get('description') or details['text']}")
        elif method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
            self.errors.append(f"console.{params['type']}: " + " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"]))

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Call a CDP method on the page (or on the browser before a page is attached); its result."""
        call_id = next(self.ids)
        self.waiting[call_id] = asyncio.get_running_loop().create_future()
        message: dict[str, Any] = {"id": call_id, "method": method, "params": params}
        if self.session:
            message["sessionId"] = self.session
        await self.ws.send_str(json.dumps(message))
        answer = await asyncio.wait_for(self.waiting[call_id], WAIT)
        assert "error" not in answer, f"{method}: {answer['error']}"
        return answer.get("result", {})

    async def open(self, width: int = DESKTOP) -> None:
        """Open a blank tab in a fresh browser context (its own cookie jar) and listen to its errors."""
        self.context = (await self.send("Target.createBrowserContext", disposeOnDetach=True))["browserContextId"]
        target = await self.send("Target.createTarget", url="about:blank", browserContextId=self.context)
        self.session = (await self.send("Target.attachToTarget", targetId=target["targetId"], flatten=True))["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            await self.send(f"{domain}.enable")
        await self.viewport(width)

    async def close(self) -> None:
        """Close the tab and throw its browser context (cookies and all) away."""
        self.session = None
        if self.context:
            await self.send("Target.disposeBrowserContext", browserContextId=self.context)
        self.reader.cancel()

    async def viewport(self, width: int, height: int = 800) -> None:
        """Show the page `width` CSS pixels wide (PHONE or DESKTOP); below 768 px as a phone does,
        honouring the page's <meta name=viewport> (without one a phone lays a page out 980 px wide)."""
        await self.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=width < 768)

    async def _loading(self, action: Awaitable[Any], what: str) -> None:
        """Run `action` and wait for the page load it causes (through any redirects)."""
        loaded: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.loads[loaded] = False
        await action
        try:
            await asyncio.wait_for(loaded, WAIT)
        except TimeoutError:
            raise AssertionError(f"{what}: no page loaded within {WAIT} s") from None

    async def go(self, url: str) -> None:
        """Open `url` and wait until it has loaded."""

        async def navigate() -> None:
            answer = await self.send("Page.navigate", url=url)
            assert "errorText" not in answer, f"{url}: {answer['errorText']}"

        await self._loading(navigate(), f"opening {url}")

    async def js(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (JSON-like values only)."""
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        assert "exceptionDetails" not in result, f"{expression}: {result['exceptionDetails']}"
        return result["result"].get("value")

    async def _run(self, body: str) -> Any:
        """The value `body` (a function body using _LIB's helpers) returns in the page."""
        return await self.js(f"(() => {{ {_LIB}\n{body} }})()")

    async def _find(self, kind: str, wanted: str, within: str | None) -> str:
        """The CDP object id of the one element `_FIND` picks; fails saying what the page has instead."""
        call = f"({_FIND})({json.dumps(kind)}, {json.dumps(wanted)}, {json.dumps(within)})"
        result = (await self.send("Runtime.evaluate", expression=f"(() => {{ {_LIB}\nreturn {call}; }})()"))["result"]
        assert result.get("subtype") == "node", result.get("value", result)
        return str(result["objectId"])

    async def _on(self, object_id: str, function: str, *args: Any) -> Any:
        """Call `function` (JavaScript, with the element as `this`) and return its value."""
        result = await self.send("Runtime.callFunctionOn", objectId=object_id, functionDeclaration=function,
                                 arguments=[{"value": arg} for arg in args], returnByValue=True)
        return result["result"].get("value")

    async def fill(self, field: str, value: str | bool, within: str | None = None) -> None:
        """Fill the one field whose label reads `field` (or whose name or aria-label is `field`),
        inside `within` (a CSS selector) when given. Text is typed as keystrokes would insert it
        (maxlength holds); a select takes an option's value or text; a checkbox or radio takes a bool."""
        element = await self._find("field", field, within)
        kind = await self._on(element, """function() {
            this.scrollIntoView({block: 'center'}); this.focus(); return this.tagName === 'SELECT' ? 'select' : this.type; }""")
        if kind in ("checkbox", "radio"):
            assert isinstance(value, bool), f"{field} is a {kind}: fill it with True or False"
            await self._on(element, "function(on) { if (this.checked !== on) this.click(); }", value)
        elif kind == "select":
            chosen = await self._on(element, """function(v) {
                const option = [...this.options].find((o) => o.value === v || o.text.trim() === v);
                if (!option) return [...this.options].map((o) => o.text.trim());
                this.value = option.value; this.dispatchEvent(new Event('input', {bubbles: true}));
                this.dispatchEvent(new Event('change', {bubbles: true})); return true; }""", value)
            assert chosen is True, f"{field} has no option {value!r}; it has {chosen}"
        else:
            assert isinstance(value, str), f"{field} is a text field: fill it with a str"
            await self._on(element, "function() { this.value = ''; }")
            await self.send("Input.insertText", text=value)
            await self._on(element, "function() { this.dispatchEvent(new Event('change', {bubbles: true})); }")

    async def click(self, text: str, within: str | None = None, navigates: bool = True) -> None:
        """Click the one visible button or link reading `text` with the mouse, as a user would (so a
        button covered by something else fails, naming what covers it); by default wait for the page
        it leads to."""
        element = await self._find("clickable", text, within)
        point = await self._on(element, """function() {
            this.scrollIntoView({block: 'center', inline: 'center'});
            const r = this.getBoundingClientRect(), x = r.left + r.width / 2, y = r.top + r.height / 2;
            const hit = document.elementFromPoint(x, y);
            return hit && (hit === this || this.contains(hit)) ? [x, y] : 'covered by ' + (hit ? hit.outerHTML.slice(0, 80) : 'nothing'); }""")
        assert isinstance(point, list), f"{text!r} cannot be clicked: {point}"
        await self._act(self._mouse_click(*point), navigates, f"clicking {text!r}")

    async def _mouse_click(self, x: float, y: float) -> None:
        for event in ("mousePressed", "mouseReleased"):
            await self.send("Input.dispatchMouseEvent", type=event, x=x, y=y, button="left", clickCount=1)

    async def _act(self, action: Awaitable[Any], navigates: bool, what: str) -> None:
        if navigates:
            await self._loading(action, what)
        else:
            await action

    async def click_selector(self, selector: str) -> None:
        """Click the first element matching a CSS selector and wait for the page it leads to."""
        await self._loading(self.js(f"document.querySelector({json.dumps(selector)}).click()"), f"clicking {selector}")

    async def submit(self, form: str = "form") -> None:
        """Submit the one form matching `form` (a CSS selector) as its submit button would and wait
        for the answer page; fails at once naming the fields the browser's own validation refuses
        (a required field left empty), which would otherwise stop the submission silently."""
        refused = await self._run(f"""
            const forms = document.querySelectorAll({json.dumps(form)});
            if (forms.length !== 1) return [forms.length + ' forms match ' + {json.dumps(form)}];
            return [...forms[0].elements].filter((el) => el.willValidate && !el.checkValidity())
              .map((el) => describe(el) + ': ' + el.validationMessage);""")
        assert not refused, f"submitting {form}: {refused}"
        await self._loading(self.js(f"document.querySelector({json.dumps(form)}).requestSubmit()"), f"submitting {form}")

    async def text(self, within: str = "body") -> str:
        """The text a user reads in the page, or in the first element matching `within` (a CSS
        selector): innerText, so hidden text is left out."""
        text = await self.js(f"document.querySelector({json.dumps(within)})?.innerText")
        assert text is not None, f"nothing matches {within}"
        return str(text)

    async def wait_for(self, expression: str, what: str | None = None) -> Any:
        """Wait until a JavaScript expression is truthy in the page (a preview the page's script
        redraws as the user types) and return its value; fails naming `what` (or the expression)."""
        return await eventually(lambda: self.js(expression), WAIT, what or expression, interval=0.05)

    async def url(self) -> str:
        """The address the page is at now (after any redirects)."""
        return str(await self.js("location.href"))

    async def cookies(self) -> dict[str, Cookie]:
        """The cookies the page's address would be sent, by name, with their flags."""
        found = (await self.send("Network.getCookies"))["cookies"]
        return {c["name"]: Cookie(c["name"], c["value"], c["domain"], c["path"], c["httpOnly"], c["secure"], c.get("sameSite"), c["session"])
                for c in found}

    async def press(self, key: str, navigates: bool = False) -> None:
        """Press a key ("Tab", "Shift+Tab", "Enter", "Space", "Escape", "ArrowDown", "ArrowUp") on
        whatever has focus; with `navigates`, wait for the page it leads to (Enter on a form)."""
        shift = key.startswith("Shift+")
        name = key.removeprefix("Shift+")
        code, number, text = _KEYS[name]
        common = {"key": " " if name == "Space" else name, "code": code, "windowsVirtualKeyCode": number, "modifiers": _SHIFT if shift else 0}

        async def stroke() -> None:
            await self.send("Input.dispatchKeyEvent", type="keyDown" if text else "rawKeyDown", text=text, **common)
            await self.send("Input.dispatchKeyEvent", type="keyUp", **common)

        await self._act(stroke(), navigates, f"pressing {key}")

    async def focused(self) -> Element:
        """The element that has keyboard focus (the body when nothing has)."""
        return Element(**await self._run("return info(document.activeElement || document.body);"))

    async def screenshot(self, path: Path) -> Path:
        """Save the whole page (not just the viewport) as a PNG at `path`; returns `path`."""
        size = (await self.send("Page.getLayoutMetrics"))["cssContentSize"]
        shot = await self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                               clip={"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1})
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    async def horizontal_overflow(self) -> list[str]:
        """Problems when the page is wider than the viewport (a phone user would scroll sideways):
        the page's width, then each outermost element that sticks out, with its span."""
        return list(await self._run(_OVERFLOW))

    async def direction(self, lang: str | None = None) -> list[str]:
        """Problems with the page's language and direction: <html> must carry lang (equal to `lang`
        when given) and a dir that suits it (rtl for Persian, Arabic, Hebrew and Urdu, else ltr),
        and the body must be laid out that way (no stylesheet overriding it)."""
        html = await self._run("const root = document.documentElement;"
                               "return {lang: root.lang, dir: root.dir, body: getComputedStyle(document.body).direction};")
        problems = []
        if not html["lang"]:
            problems.append("<html> has no lang")
        elif lang and html["lang"] != lang:
            problems.append(f"<html lang={html['lang']}>, expected {lang}")
        expected = "rtl" if (lang or html["lang"]).split("-")[0] in ("fa", "ar", "he", "ur") else "ltr"
        if html["dir"] != expected:
            problems.append(f"<html dir={html['dir'] or '(none)'}>, expected {expected}")
        if html["body"] != expected:
            problems.append(f"the body is laid out {html['body']}, expected {expected}")
        return problems

    async def unlabelled_controls(self) -> list[str]:
        """Each visible input, select, textarea or button with no accessible name (no label[for],
        wrapping label, aria-label, aria-labelledby, nor a button's text): what a screen reader
        would announce as just "edit text" or "button"."""
        return list(await self._run(_UNLABELLED))

    async def low_contrast(self) -> list[str]:
        """Each visible text element whose colour against its effective background is below WCAG
        2.1's contrast minimum (4.5:1, or 3:1 for large text: 24 px, or 18.66 px bold), with the
        ratio and both colours."""
        return list(await self._run(_CONTRAST))

    async def console_errors(self) -> list[str]:
        """Everything the page reported as an error since it opened: CSP refusals, resources that
        failed to load, uncaught exceptions, console.error calls. A test asserts it is empty."""
        return list(self.errors)


class Chromium:
    """A headless Chromium process, its DevTools endpoint on a port it picked itself."""

    def __init__(self, profile: Path) -> None:
        assert CHROMIUM is not None
        self.process = subprocess.Popen([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
                                         "--remote-debugging-port=0", f"--user-data-dir={profile}", "about:blank"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = profile / "DevToolsActivePort"
        try:
            port, path = eventually_blocking(lambda: port_file.exists() and len(found := port_file.read_text().split()) == 2 and found,
                                             WAIT, "chromium's DevToolsActivePort", interval=0.05)
        except AssertionError:
            self.stop()
            raise
        self.endpoint = f"ws://127.0.0.1:{port}{path}"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)

    @contextlib.asynccontextmanager
    async def page(self, width: int = DESKTOP) -> AsyncIterator[Page]:
        """A fresh page (own browser context) on its own websocket, closed afterwards."""
        async with aiohttp.ClientSession() as http, http.ws_connect(self.endpoint, max_msg_size=0) as ws:
            page = Page(ws)
            await page.open(width)
            try:
                yield page
            finally:
                await page.close()


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chromium]:
    """One Chromium for the whole module: pages are isolated by browser contexts, not processes."""
    browser = Chromium(tmp_path_factory.mktemp("chromium"))
    yield browser
    browser.stop()


@pytest.fixture
async def page(chromium: Chromium) -> AsyncIterator[Page]:
    """A blank page 1280 px wide in a browser context of its own (no cookies from other tests)."""
    async with chromium.page() as opened:
        yield opened


"""A real headless Chromium for the tests, driven over the DevTools protocol.

Playwright is not a dependency: the distribution's ``chromium`` is started with
``--remote-debugging-port=0`` (it writes the port it chose into
``DevToolsActivePort`` in its profile folder) and spoken to over one WebSocket
with aiohttp, which the bot already depends on.  Only what the tests need:
open a page at a window size, run a script in it, take a screenshot.

Protocol: chromedevtools.github.io/devtools-protocol (Target.createTarget and
attachToTarget with ``flatten``, Page.navigate, Page.loadEventFired,
Runtime.evaluate, Emulation.setDeviceMetricsOverride, Emulation.setTimezoneOverride,
Emulation.setEmulatedMedia, Input.insertText, Input.dispatchMouseEvent, Page.captureScreenshot).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import shutil
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

from tests.mandatory import cannot

# Distribution packages name it chromium (Debian) or chromium-browser (Ubuntu).
CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
# Starting takes about a second on an idle machine; the CI's two cores may be busy with other tests.
START_TIMEOUT = 60


def find_chromium() -> str:
    """The browser's path; skips the test where there is none, fails it in CI (CI=true, .ci/run)."""
    found = [path for path in map(shutil.which, CANDIDATES) if path]
    if not found:
        cannot("no Chromium on this machine (apt-get install chromium)")
    return found[0]


class BrowserError(Exception):
    pass


class Tab:
    """One page of the browser, attached by a DevTools session."""

    def __init__(self, browser: Browser, session: str) -> None:
        self.browser = browser
        self.session = session

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        return await self.browser.send(method, session=self.session, **params)

    async def open(self, url: str, *, width: int, height: int, mobile: bool = False) -> None:
        """Load ``url`` in a window of ``width`` x ``height`` CSS pixels; returns after its load event."""
        await self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=mobile,
        )
        loaded = self.browser.expect(self.session, "Page.loadEventFired")
        answer = await self.send("Page.navigate", url=url)
        if answer.get("errorText"):
            raise BrowserError(f"{url}: {answer['errorText']}")
        await asyncio.wait_for(loaded, 30)

    async def evaluate(self, expression: str) -> Any:
        """The value of ``expression`` (awaited if it is a promise), as JSON."""
        answer = await self.send(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in answer:
            raise BrowserError(json.dumps(answer["exceptionDetails"])[:2000])
        return answer["result"].get("value")

    async def emulate(self, *, timezone: str | None = None, dark: bool = False) -> None:
        """The reader's time zone and colour scheme, for the pages opened next."""
        if timezone is not None:
            await self.send("Emulation.setTimezoneOverride", timezoneId=timezone)
        scheme = "dark" if dark else "light"
        await self.send(
            "Emulation.setEmulatedMedia", features=[{"name": "prefers-color-scheme", "value": scheme}]
        )

    async def wait_for(self, expression: str, timeout: float = 20) -> Any:
        """The value of ``expression`` once it is truthy (checked every 50 ms)."""
        async with asyncio.timeout(timeout):
            while True:
                value = await self.evaluate(expression)
                if value:
                    return value
                await asyncio.sleep(0.05)

    async def type(self, selector: str, text: str) -> None:
        """Focus the element and type ``text`` as a keyboard would insert it."""
        await self.evaluate(f"document.querySelector({json.dumps(selector)}).focus()")
        await self.send("Input.insertText", text=text)

    async def click(self, selector: str, *, navigates: bool) -> None:
        """A real mouse click in the middle of the element's first line (scrolled into view first); with
        ``navigates``, returns once the page it opens has loaded."""
        box = await self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)}); e.scrollIntoView({{block: 'center'}});"
            # The first line's box: a link that wraps has nothing of it in the middle of its bounding box.
            "const r = e.getClientRects()[0]; return {x: r.x + r.width / 2, y: r.y + r.height / 2}; })()"
        )
        loaded = self.browser.expect(self.session, "Page.loadEventFired") if navigates else None
        for kind in ("mousePressed", "mouseReleased"):
            await self.send(
                "Input.dispatchMouseEvent", type=kind, x=box["x"], y=box["y"], button="left", clickCount=1
            )
        if loaded is not None:
            await asyncio.wait_for(loaded, 30)

    async def screenshot(self, path: Path) -> Path:
        """What the window shows now, as a PNG."""
        answer = await self.send("Page.captureScreenshot", format="png")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(answer["data"]))
        return path


class Browser:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.ids = itertools.count(1)
        self.waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.events: list[tuple[str | None, str, asyncio.Future[dict[str, Any]]]] = []
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for frame in self.ws:
            message = json.loads(frame.data)
            if "id" in message:
                future = self.waiting.pop(message["id"], None)
                if future is not None and not future.done():
                    if "error" in message:
                        future.set_exception(BrowserError(json.dumps(message["error"])))
                    else:
                        future.set_result(message.get("result", {}))
                continue
            for entry in list(self.events):
                session, method, future = entry
                if method == message.get("method") and session == message.get("sessionId"):
                    self.events.remove(entry)
                    if not future.done():
                        future.set_result(message.get("params", {}))
        for future in self.waiting.values():
            if not future.done():
                future.set_exception(BrowserError("the browser closed its connection"))

    def expect(self, session: str | None, method: str) -> asyncio.Future[dict[str, Any]]:
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.events.append((session, method, future))
        return future

    async def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        message_id = next(self.ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.waiting[message_id] = future
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        await self.ws.send_str(json.dumps(message))
        return await asyncio.wait_for(future, 60)

    async def tab(self) -> Tab:
        target = await self.send("Target.createTarget", url="about:blank")
        attached = await self.send("Target.attachToTarget", targetId=target["targetId"], flatten=True)
        tab = Tab(self, attached["sessionId"])
        await tab.send("Page.enable")
        return tab


@contextlib.asynccontextmanager
async def chromium(profile: Path) -> AsyncIterator[Browser]:
    """A headless Chromium with a fresh profile in ``profile``, closed (and reaped) on the way out."""
    executable = find_chromium()
    profile.mkdir(parents=True, exist_ok=True)
    port_file = profile / "DevToolsActivePort"
    # A port file left by an earlier browser in this profile would name a closed port.
    port_file.unlink(missing_ok=True)
    process = await asyncio.create_subprocess_exec(
        executable,
        "--headless",
        # Tests run as root in containers, where Chromium's own sandbox cannot start.
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--mute-audio",
        "--remote-debugging-port=0",
        f"--user-data-dir={profile}",
        "about:blank",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        # Its own process group, so its renderer and helper processes go with it.
        start_new_session=True,
    )
    try:
        async with asyncio.timeout(START_TIMEOUT):
            while not port_file.exists() or len(port_file.read_text().splitlines()) < 2:
                if process.returncode is not None:
                    raise BrowserError(f"{executable} exited with {process.returncode}")
                await asyncio.sleep(0.1)
        port, path = port_file.read_text().splitlines()[:2]
        async with (
            aiohttp.ClientSession() as http,
            http.ws_connect(f"ws://127.0.0.1:{port}{path}", max_msg_size=0) as ws,
        ):
            browser = Browser(ws)
            try:
                yield browser
            finally:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(browser.send("Browser.close"), 10)
                browser.reader.cancel()
    finally:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(process.wait(), 10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
            # Its helpers (zygote, renderers) die a moment after the signal: wait until the group is
            # empty, so that nothing of the browser outlives the test (tests/conftest.py checks).
            async with asyncio.timeout(10):
                while True:
                    os.killpg(process.pid, 0)
                    await asyncio.sleep(0.05)
        await process.wait()

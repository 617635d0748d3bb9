"""Headless Debian Chromium, driven over the DevTools protocol on a pipe: the stdlib only.

`--remote-debugging-pipe` makes Chromium read commands from its fd 3 and write replies and
events to its fd 4, one JSON message each, separated by NUL bytes. No port, no websocket, no
chromedriver and nothing from PyPI: the only requirement is Debian's `chromium` package.

    with Chromium(profile_dir) as browser:
        page = browser.new_page()
        page.open(path.as_uri())
        page.type("#search", "cats")
        assert page.eval("document.title") == "..."
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

INSTALL_HINT = ("headless Chromium is needed to test the catalog page: "
                "`sudo apt-get install chromium` (Debian's package; `make test` installs it), "
                "or point DATAWARD_CHROMIUM at a Chromium binary")

# As the brief of the catalog page asks; the background-networking ones keep a machine without
# network quiet. --disable-dev-shm-usage: containers often have a tiny /dev/shm.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--no-default-browser-check", "--mute-audio",
         "--window-size=1280,900", "--remote-debugging-pipe"]


def find_chromium() -> str | None:
    """The Chromium to use: $DATAWARD_CHROMIUM, else `chromium` on PATH (Debian's name)."""
    exe = os.environ.get("DATAWARD_CHROMIUM") or "chromium"
    return shutil.which(exe) or shutil.which("chromium-browser")


class BrowserError(RuntimeError):
    pass


class Chromium:
    """One headless Chromium process and its DevTools pipe."""

    def __init__(self, profile: Path, timeout: float = 10.0) -> None:
        exe = find_chromium()
        if exe is None:
            raise BrowserError(INSTALL_HINT)
        self.timeout = timeout
        self._log = profile / "chromium.log"
        profile.mkdir(parents=True, exist_ok=True)
        cmd_r, self._cmd_w = os.pipe()   # we write commands, Chromium reads them on fd 3
        self._evt_r, evt_w = os.pipe()   # Chromium writes on fd 4, we read

        def at_3_and_4() -> None:      # in the child, before exec
            # Copy both above 4 first, so that neither is overwritten by the other's dup2.
            high_cmd = fcntl.fcntl(cmd_r, fcntl.F_DUPFD, 5)
            high_evt = fcntl.fcntl(evt_w, fcntl.F_DUPFD, 5)
            os.dup2(high_cmd, 3)
            os.dup2(high_evt, 4)

        with open(self._log, "wb") as log:
            self._proc = subprocess.Popen(
                [exe, *FLAGS, f"--user-data-dir={profile / 'profile'}", "about:blank"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                pass_fds=(3, 4), preexec_fn=at_3_and_4)
        os.close(cmd_r)
        os.close(evt_w)
        self._next_id = 0
        self._lock = threading.Condition()
        self._replies: dict[int, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self._closed = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.send("Browser.getVersion")   # fails with Chromium's log if it did not start

    def _read(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = os.read(self._evt_r, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                with self._lock:
                    self._closed = True
                    self._lock.notify_all()
                return
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            with self._lock:
                for raw in messages:
                    message = json.loads(raw)
                    if "id" in message:
                        self._replies[message["id"]] = message
                    else:
                        self.events.append(message)
                self._lock.notify_all()

    def send(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None) -> dict[str, Any]:
        """One DevTools command; its result, or BrowserError with Chromium's message."""
        with self._lock:
            self._next_id += 1
            ident = self._next_id
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        try:
            while data:
                data = data[os.write(self._cmd_w, data):]
        except OSError as e:
            raise BrowserError(f"{method}: Chromium is gone ({e}){self._log_tail()}") from e
        deadline = time.monotonic() + self.timeout
        with self._lock:
            while ident not in self._replies:
                left = deadline - time.monotonic()
                if self._closed or left <= 0:
                    why = "Chromium exited" if self._closed else f"no reply in {self.timeout} s"
                    raise BrowserError(f"{method}: {why}{self._log_tail()}")
                self._lock.wait(left)
            reply = self._replies.pop(ident)
        if "error" in reply:
            raise BrowserError(f"{method}: {reply['error'].get('message')}")
        result: dict[str, Any] = reply.get("result", {})
        return result

    def new_page(self) -> Page:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget",
                            {"targetId": target, "flatten": True})["sessionId"]
        return Page(self, session)

    def _log_tail(self) -> str:
        try:
            tail = self._log.read_text(errors="replace").strip().splitlines()[-15:]
        except OSError:
            return ""
        return "\nChromium's log:\n  " + "\n  ".join(tail) if tail else ""

    def close(self) -> None:
        with contextlib.suppress(BrowserError):
            self.send("Browser.close")
        try:
            self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        os.close(self._cmd_w)
        self._reader.join(timeout=2)
        os.close(self._evt_r)

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


# Before any script of the page: record Content-Security-Policy violations, which a page that
# tried to run injected markup would raise.
_WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "") + " "
                              + (e.sample || ""));
});
"""


class Page:
    """One tab: load a URL, evaluate JavaScript, type and click as a user does."""

    def __init__(self, browser: Chromium, session: str) -> None:
        self.browser = browser
        self.session = session
        self.send("Page.enable")
        self.send("Runtime.enable")
        self.send("Page.addScriptToEvaluateOnNewDocument", {"source": _WATCH})

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.browser.send(method, params, self.session)

    def errors(self) -> list[str]:
        """Uncaught exceptions and console.error calls of this tab so far."""
        found = []
        with self.browser._lock:
            events = list(self.browser.events)
        for event in events:
            if event.get("sessionId") != self.session:
                continue
            params = event.get("params", {})
            if event["method"] == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                found.append(details.get("exception", {}).get("description")
                             or details.get("text", "exception"))
            elif event["method"] == "Runtime.consoleAPICalled" and params["type"] == "error":
                found.append(" ".join(str(a.get("value", a.get("description")))
                                      for a in params["args"]))
        return found

    def open(self, url: str) -> None:
        """Load url as a new document (also when only its #fragment differs) and wait for it."""
        for target in ("about:blank", url):
            reply = self.send("Page.navigate", {"url": target})
            if reply.get("errorText"):
                raise BrowserError(f"cannot open {target}: {reply['errorText']}")
            scheme = target.split(":", 1)[0] + ":"
            self.wait_for(f"location.protocol === {json.dumps(scheme)} "
                          "&& document.readyState === 'complete'")

    def eval(self, expression: str) -> Any:
        """The value of a JavaScript expression (promises awaited), as JSON gives it."""
        reply = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                               "awaitPromise": True})
        if "exceptionDetails" in reply:
            details = reply["exceptionDetails"]
            raise BrowserError(f"{expression}: "
                               + (details.get("exception", {}).get("description")
                                  or details.get("text", "exception")))
        return reply["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 5.0) -> Any:
        """Poll until expression is truthy; its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.eval(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise BrowserError(f"still false after {timeout} s: {expression}")
            time.sleep(0.02)

    def click(self, selector: str) -> None:
        """A real mouse click in the middle of the first element selector matches."""
        box = self.eval(f"""(() => {{
            const el = document.querySelector({json.dumps(selector)});
            if (!el) return null;
            el.scrollIntoView({{block: "center"}});
            const r = el.getBoundingClientRect();
            return [r.left + r.width / 2, r.top + r.height / 2, r.width * r.height];
        }})()""")
        if not box or not box[2]:
            raise BrowserError(f"nothing visible to click at {selector}")
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", {"type": kind, "x": box[0], "y": box[1],
                                                   "button": "left", "clickCount": 1})

    def type(self, selector: str, text: str) -> None:
        """Focus the element by clicking it and type text one key at a time."""
        self.click(selector)
        for char in text:
            self.send("Input.dispatchKeyEvent", {"type": "keyDown", "text": char, "key": char})
            self.send("Input.dispatchKeyEvent", {"type": "keyUp", "key": char})

    def clear(self, selector: str) -> None:
        """Select all of the field's text and delete it, as a user does."""
        self.click(selector)
        self.eval(f"document.querySelector({json.dumps(selector)}).select()")
        self.send("Input.dispatchKeyEvent", {"type": "rawKeyDown", "key": "Backspace",
                                             "code": "Backspace", "windowsVirtualKeyCode": 8})
        self.send("Input.dispatchKeyEvent", {"type": "keyUp", "key": "Backspace",
                                             "code": "Backspace", "windowsVirtualKeyCode": 8})

    def screenshot(self, path: Path) -> Path:
        """The whole page as a PNG."""
        size = self.send("Page.getLayoutMetrics")["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        data = self.send("Page.captureScreenshot", {"format": "png", "clip": clip,
                                                    "captureBeyondViewport": True})["data"]
        path.write_bytes(base64.b64decode(data))
        return path

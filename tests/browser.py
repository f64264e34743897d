"""Headless Chromium (Debian's /usr/bin/chromium, driven by Playwright; no browser is downloaded) against the
real app served on a free loopback port. Any request that leaves the app is refused and recorded, so a page
that needs the internet fails its test. Screenshots go to build/screenshots/ (ignored by git)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "build" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


class Served:
    """A WSGI app on 127.0.0.1:PORT in a thread; the app is set after the port is known (links need it)."""

    def __init__(self) -> None:
        self.app: Callable[..., Any] | None = None
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, self._call, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def _call(self, environ: dict, start_response: Callable) -> Any:
        assert self.app is not None
        return self.app(environ, start_response)

    def __enter__(self) -> Served:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Outside:
    """Requests a page tried to send anywhere but the app."""

    urls: list[str] = field(default_factory=list)


@contextmanager
def page_on(browser: Any, base_url: str, viewport: dict[str, int]) -> Iterator[tuple[Any, Outside]]:
    """A fresh browser context (no cookies) at `viewport`, refusing every request not to `base_url`."""
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    outside = Outside()

    def guard(route: Any) -> None:
        if route.request.url.startswith(base_url):
            route.continue_()
        else:
            outside.urls.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    try:
        yield context.new_page(), outside
    finally:
        context.close()


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path

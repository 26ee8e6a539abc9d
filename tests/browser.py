"""What every browser test shares: Debian's Chromium driven by Playwright's sync API (headless,
the flags this closed network needs), a page per test, and screenshots in var/screenshots/
(ignored by git) for a person to look at. The `browser` fixture (module-scoped) is in
tests/conftest.py; test modules build their `page` with `open_page`, choosing the viewport and
the locale."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from playwright import sync_api

# Sync Playwright runs an event loop in this thread; fixtures and the live server still use
# the database synchronously, which Django would otherwise refuse inside a running loop.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = settings.VAR_DIR / "screenshots"


@contextmanager
def open_page(browser, *, width: int, height: int, **context) -> Iterator[sync_api.Page]:
    """A page in a fresh browser context (no cookies shared between tests)."""
    browser_context = browser.new_context(viewport={"width": width, "height": height}, **context)
    page = browser_context.new_page()
    page.set_default_timeout(10_000)
    try:
        yield page
    finally:
        browser_context.close()


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)

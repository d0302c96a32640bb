"""A real browser for page tests: Debian's Chromium driven by Playwright (Playwright's own browser download
is never used; `make test` installs the `chromium` package)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

from local_servers.chromium import CHROMIUM, CHROMIUM_ARGS


# Package scope, not session: Playwright's sync API keeps an asyncio loop running in the main thread while it
# is open, and tests after the browser tests that call asyncio.run() would find it there.
@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), "Debian's Chromium is missing: apt-get install chromium (make test does it as root)"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()

"""Real-browser tests: Python Playwright driving Debian's Chromium against a live server.

`make test` runs them when /usr/bin/chromium exists and says why it skips them when it does not;
CI sets TRACKER_REQUIRE_BROWSER=1, which turns a missing browser into a failure.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("TRACKER_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(
    os.environ.get("TRACKER_SCREENSHOTS", Path(__file__).resolve().parents[2] / "test-artifacts")
)

# Playwright's sync API runs an event loop in this thread; the ORM calls our fixtures make are
# still synchronous, so Django's async-safety guard would refuse them without this.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM.exists():
        message = f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("TRACKER_REQUIRE_BROWSER") == "1":
            pytest.fail(message + "; TRACKER_REQUIRE_BROWSER=1 makes them mandatory")
        pytest.skip(message + ": SKIPPED")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


@pytest.fixture
def screenshot(page):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name):
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take

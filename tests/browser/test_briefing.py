"""The briefing in a real browser: axe-core finds nothing to fix on it, and Chromium prints it as a
document (no navigation, no form, each objective on a page of its own)."""

import io

import pytest
from axe_playwright_python.sync_playwright import Axe
from pypdf import PdfReader

from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_dashboard import log_in
from tracker.models import Dialogue, Theme

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def briefing_url(live_server) -> str:
    dialogue = Dialogue.objects.get()
    return f"{live_server.url}/dialogues/{dialogue.slug}/briefing/"


def test_the_briefing_page_passes_the_accessibility_check(page, live_server, seed, editor):
    log_in(page, live_server, "editor")
    page.goto(briefing_url(live_server))
    page.wait_for_selector("#briefing-summary")
    results = Axe().run(page)
    assert results.response["passes"], "axe-core did not run"
    assert results.violations_count == 0, results.generate_report()


def test_the_printed_briefing_is_a_document_without_the_site_around_it(page, live_server, seed, editor):
    log_in(page, live_server, "editor")
    page.goto(briefing_url(live_server))
    page.wait_for_selector("#briefing-summary")
    pdf = page.pdf(format="A4")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "printed-briefing.pdf").write_bytes(pdf)
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]
    text = "\n".join(pages)
    for words in (
        "Skip to content",
        "Log out",
        "What the briefing covers",
        "Show the briefing",
        "Download PDF",
    ):
        assert words not in text, f"{words!r} is printed"
    assert Dialogue.objects.get().name in pages[0]
    # Each objective starts a page: its name is at the top of some page.
    objectives = Theme.objects.filter(dialogue__isnull=False, kind="objective").values_list("name", flat=True)
    for name in objectives:
        assert any(name in p[:300] for p in pages[1:]), f"{name!r} does not start a page"

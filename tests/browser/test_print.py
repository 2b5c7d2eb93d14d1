"""The filtered list printed by Chromium, read back from the PDF: what a person holding the paper
gets (static/css/print.css)."""

import io

import pytest
from pypdf import PdfReader

from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_dashboard import log_in
from tracker.models import Commitment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAVIGATION = ["Skip to content", "Overview", "Dialogues", "Agencies", "What changed", "Log out"]
FILTER_PANEL = [
    "No recent update",
    "Blocked by a commitment in trouble",
    "Lead or partner",
    "Reason for slippage",
    "Clear filters",
    "Apply",
    "Download spreadsheet (XLSX)",
    "Download CSV",
]


def printed_text(page, name) -> str:
    """The page printed to PDF as Chromium prints it (print media, the printer's default paper),
    kept beside the screenshots, and its text."""
    pdf = page.pdf()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / f"{name}.pdf").write_bytes(pdf)
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def test_the_printed_list_states_its_filters_and_keeps_words_and_addresses(page, live_server, seed, editor):
    log_in(page, live_server, "editor")
    page.goto(live_server.url + "/commitments/?theme=climate-crisis&status=not_started")
    page.wait_for_selector("#results tbody tr")

    text = printed_text(page, "printed-list")
    squeezed = "".join(text.split())  # an address may be broken across lines

    for words in NAVIGATION + FILTER_PANEL:
        assert words not in text, f"{words!r} is printed"
    assert "Filters: Theme: Addressing the climate crisis; Status: Not started" in " ".join(text.split())
    assert "Not started" in text
    commitment = Commitment.objects.get(slug="earth-observation-data-exchange")
    assert f"({commitment.get_absolute_url()})" in squeezed
    assert "http://localhost:" in text or "http://127.0.0.1:" in text  # what the addresses hang from

"""Evidence files in a real browser: htmx posts the update form as multipart, the trail lists the
file without a reload, and the link downloads it under its own name."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_dashboard import assert_no_page_load, log_in, mark_page
from tests.test_evidence import EXE, PDF
from tracker.models import Commitment, EvidenceFile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_post_an_update_with_a_file_and_download_it(page, live_server, seed, editor, screenshot):
    commitment = Commitment.objects.get(slug="earth-observation-data-exchange")
    log_in(page, live_server, "editor")
    page.goto(live_server.url + commitment.get_absolute_url())
    mark_page(page)

    form = page.locator("#update-form")
    form.get_by_label("What happened").fill("Signed the data-sharing agreement.")
    form.get_by_label("Evidence files").set_input_files(
        [
            {"name": "setup.pdf", "mimeType": "application/pdf", "buffer": EXE},
        ]
    )
    form.get_by_role("button", name="Post update").click()
    expect(page.locator("#update-form")).to_contain_text("“setup.pdf” was refused: its content is a program")
    assert not EvidenceFile.objects.exists()

    form = page.locator("#update-form")
    form.get_by_label("What happened").fill("Signed the data-sharing agreement.")
    form.get_by_label("Evidence files").set_input_files(
        [{"name": "agreement.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    form.get_by_role("button", name="Post update").click()
    link = page.locator("#trail li").first.get_by_role("link", name="agreement.pdf")
    expect(link).to_be_visible()
    assert_no_page_load(page)
    screenshot("evidence-file-in-trail")

    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "agreement.pdf"

"""Assessing each side in a real browser: the score lands in its party's column without a reload."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_dashboard import assert_no_page_load, log_in, mark_page
from tracker import services
from tracker.models import Commitment, Round

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_post_assessments_for_both_sides_and_see_them_side_by_side(
    page, live_server, seed, editor, screenshot
):
    commitment = Commitment.objects.get(slug="earth-observation-data-exchange")
    known = Round.objects.filter(dialogue=commitment.dialogue).count()  # the seed may come with some
    Round.objects.create(dialogue=commitment.dialogue, number=known + 1, held_on="2022-11-30")
    second = Round.objects.create(dialogue=commitment.dialogue, number=known + 2, held_on="2024-06-12")
    services.assessment_create(
        commitment=commitment,
        round=second,
        party="FR",
        score=-1,
        rationale="No exchange agreed yet.",
        assessor=editor,
    )
    log_in(page, live_server, "editor")
    page.goto(live_server.url + commitment.get_absolute_url())
    mark_page(page)
    france = page.locator(".party-column", has=page.get_by_role("heading", name="France")).first
    expect(france).to_contain_text("No compliance")

    form = page.locator("#assessment-form")
    form.get_by_text("Post an assessment").click()
    form.get_by_label("United States").check()
    form.get_by_label("+1 Full compliance").check()
    form.get_by_label("Rationale").fill("Data exchange arrangement signed and running.")
    form.get_by_label("Evidence links").fill("https://example.org/arrangement")
    form.get_by_role("button", name="Post assessment").click()

    united_states = page.locator("#assessments .party-column").first
    expect(united_states).to_contain_text("+1 Full compliance")
    expect(united_states).to_contain_text("Data exchange arrangement signed and running.")
    expect(page.locator("#assessment-form")).to_contain_text("Assessment posted.")

    form = page.locator("#assessment-form")
    form.get_by_label("France").check()
    form.get_by_label("0 Partial compliance or work in progress").check()
    form.get_by_label("Rationale").fill("Exchange agreed in principle; first data due next year.")
    form.get_by_role("button", name="Post assessment").click()
    expect(page.locator("#assessments")).to_contain_text("Partial compliance or work in progress")
    expect(page.locator("#assessment-history")).to_contain_text("Superseded")
    assert_no_page_load(page)
    screenshot("commitment-assessments")

    form = page.locator("#assessment-form")
    form.get_by_label("France").check()
    form.get_by_label("No evidence available").check()
    form.get_by_role("button", name="Post assessment").click()
    expect(page.locator("#assessment_rationale_error")).to_contain_text("Give the rationale")

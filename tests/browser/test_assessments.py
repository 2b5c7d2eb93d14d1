"""An editor assesses a side in a real browser, and the scorecard's cell and averages follow."""

import datetime

import pytest
from playwright.sync_api import expect

from tests.browser.test_dashboard import log_in
from tracker import services
from tracker.models import Commitment, Round

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_posting_an_assessment_changes_the_scorecard_cell_and_averages(
    page, live_server, seed, editor, screenshot
):
    round_one = Round.objects.create(
        dialogue=seed, number=1, held_on=datetime.date(2022, 11, 30), place="Washington, D.C."
    )
    first, second = Commitment.objects.filter(dialogue=seed).order_by("pk")[:2]
    # Before: the United States fully compliant on the first commitment, with no evidence on the
    # second; France partly compliant on the second and not assessed on the first.
    services.assessment_create(
        commitment=first, round=round_one, party="US", score=1, rationale="Met twice.", assessor=editor
    )
    services.assessment_create(
        commitment=second,
        round=round_one,
        party="US",
        score=None,
        rationale="Nothing published.",
        assessor=editor,
    )
    services.assessment_create(
        commitment=second, round=round_one, party="FR", score=0, rationale="Under way.", assessor=editor
    )
    log_in(page, live_server, "editor")
    scorecard = f"{live_server.url}/dialogues/{seed.slug}/scorecard/"
    page.goto(scorecard)
    france_average = page.locator("table.scorecard tfoot td").nth(1)
    expect(france_average).to_contain_text("0.00")
    expect(france_average).to_contain_text("not assessed")
    expect(page.locator("table.scorecard tfoot td").first).to_contain_text("+1.00")
    screenshot("scorecard-before")

    page.goto(live_server.url + first.get_absolute_url())
    form = page.locator("#assessment-form")
    form.locator("summary").click()
    form.get_by_label("France").check()
    form.get_by_label("−1 No compliance").check()
    form.get_by_label("Rationale").fill("No French contribution reported by the round.")
    form.get_by_role("button", name="Post assessment").click()
    expect(page.locator("#assessment-form")).to_contain_text("Assessment posted.")
    expect(page.locator(".assessments")).to_contain_text("No French contribution reported by the round.")
    screenshot("commitment-assessed")

    page.goto(scorecard)
    row = page.locator("table.scorecard tbody tr", has_text=first.title)
    expect(row).to_contain_text("No compliance")
    # France: −1 and 0, so −0.50, or 25 % on the scale where −1 is 0 % and +1 is 100 %.
    expect(france_average).to_contain_text("−0.50")
    expect(france_average).to_contain_text("25%")
    screenshot("scorecard-after")

    page.goto(f"{live_server.url}/dialogues/{seed.slug}/")
    expect(page.locator("main")).to_contain_text("No compliance")
    screenshot("dialogue")

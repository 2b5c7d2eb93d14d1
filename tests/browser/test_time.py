"""Time in a real browser: pick a past day, move around in it, come back; what changed, filtered live."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.test_dashboard import assert_no_page_load, log_in, mark_page
from tests.factories import reason_for
from tracker import services
from tracker.models import Commitment, Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_choose_a_past_day_follow_links_in_it_and_go_back(page, live_server, seed, editor, screenshot):
    climate = Commitment.objects.get(slug="earth-observation-data-exchange")
    services.status_update_create(
        commitment=climate,
        author=editor,
        status=Status.AT_RISK,
        **reason_for(Status.AT_RISK),
        progress=30,
        text="Data formats disagree.",
        reported_on=datetime.date(2022, 3, 1),
    )
    services.status_update_create(
        commitment=climate, author=editor, status=Status.COMPLETED, progress=100, text="Exchanging data."
    )
    log_in(page, live_server, "editor")

    page.get_by_label("Show the tracker as it stood on").fill("2022-06-30")
    # The overview has two "Show" buttons (the day, and the dialogue switch): the day's form's.
    page.locator("form", has_text="Show the tracker as it stood on").get_by_role(
        "button", name="Show", exact=True
    ).click()
    expect(page).to_have_url(re.compile(r"/\?as_of=2022-06-30$"))
    expect(page.locator(".as-of-banner")).to_contain_text("As it stood on 30 June 2022")
    # Each card's chart arrives after the page, swapped into its slot.
    expect(page.locator(".chart-slot figure")).to_have_count(6)
    screenshot("overview-as-of")

    page.get_by_role("link", name="Addressing the climate crisis").first.click()
    expect(page).to_have_url(re.compile(r"/themes/climate-crisis/\?as_of=2022-06-30$"))
    expect(page.locator(".as-of-banner")).to_be_visible()
    screenshot("theme-as-of")
    page.get_by_role("link", name=climate.title).first.click()
    expect(page).to_have_url(re.compile(rf"/commitments/{climate.pk}/\?as_of=2022-06-30$"))
    expect(page.locator("#commitment-status")).to_contain_text("At risk")
    expect(page.locator("#trail")).not_to_contain_text("Exchanging data.")
    screenshot("commitment-as-of")

    page.go_back()
    expect(page).to_have_url(re.compile(r"/themes/climate-crisis/\?as_of=2022-06-30$"))
    page.go_back()
    expect(page).to_have_url(re.compile(r"/\?as_of=2022-06-30$"))
    page.get_by_role("link", name="Back to today").click()
    expect(page).to_have_url(live_server.url + "/")
    expect(page.locator(".as-of-banner")).to_have_count(0)


def test_the_list_changes_day_in_place(page, live_server, seed, editor):
    log_in(page, live_server, "editor")
    page.goto(live_server.url + "/commitments/")
    mark_page(page)
    page.get_by_label("As it stood on").fill("2021-11-09")  # the day before the announcement
    expect(page).to_have_url(re.compile(r"as_of=2021-11-09"))
    expect(page.locator("#results")).to_contain_text("0 commitments")
    expect(page.locator(".as-of-banner")).to_contain_text("As it stood on 9 November 2021")
    assert_no_page_load(page)


def test_what_changed_filters_live(page, live_server, seed, editor, screenshot):
    today = timezone.localdate()
    for slug, status in (
        ("earth-observation-data-exchange", Status.ON_TRACK),
        ("objective-stem-education", Status.AT_RISK),
    ):
        services.status_update_create(
            commitment=Commitment.objects.get(slug=slug),
            author=editor,
            status=status,
            **reason_for(status),
            progress=40,
            text="Moved.",
            reported_on=today - datetime.timedelta(days=3),
        )
    log_in(page, live_server, "editor")
    page.get_by_role("link", name="What changed in the last 90 days").click()
    expect(page.locator("#changes")).to_contain_text("Moved forward: 1")
    expect(page.locator("#changes")).to_contain_text("Slipped: 1")
    screenshot("changes")
    mark_page(page)
    page.get_by_label("Status at the end").select_option("at_risk")
    expect(page).to_have_url(re.compile(r"/changes/\?.*status=at_risk"))
    expect(page.locator("#changes")).to_contain_text("Moved forward: 0")
    expect(page.locator("#changes")).to_contain_text("Slipped: 1")
    assert_no_page_load(page)

"""The calendar feeds page in a real browser: the addresses shown, the reset replacing them, and the
feed it shows answering a calendar program (no login) with the seed dialogue's dates."""

import icalendar
import pytest
from django.test import Client

from tests.browser.test_dashboard import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_calendar_page_shows_working_addresses_and_resets_them(page, live_server, seed, viewer, screenshot):
    violations = []
    page.on("console", lambda m: "Content Security Policy" in m.text and violations.append(m.text))
    log_in(page, live_server, viewer.username)
    page.get_by_role("link", name="Calendar feeds").click()
    page.wait_for_url("**/account/calendar/")
    dialogue_feed = page.get_by_label("Address of the feed of U.S.–France bilateral space dialogue")
    old = dialogue_feed.input_value()
    path = old.split("://", 1)[1].split("/", 1)[1]
    calendar = icalendar.Calendar.from_ical(Client().get("/" + path).content)
    assert any(str(e["SUMMARY"]).startswith("Review: ") for e in calendar.walk("VEVENT"))
    screenshot("calendar-feeds")
    page.get_by_role("button", name="Reset my calendar addresses").click()
    page.wait_for_selector("text=no longer work")
    assert dialogue_feed.input_value() != old
    assert Client().get("/" + path).status_code == 404
    assert violations == []

"""Following in a real browser: the Follow button pressed from the keyboard changes in place (no page
load), keeps the focus, says its new state to screen readers, and the pages pass axe-core."""

import datetime

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.test_dashboard import assert_no_page_load, log_in, mark_page
from tests.browser.test_drafting import settled
from tracker import services
from tracker.models import Agency, Follow, Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_follow_is_pressed_from_the_keyboard_and_changes_in_place(
    page, live_server, seed, viewer, screenshot
):
    agency = Agency.objects.filter(commitments__isnull=False).distinct().order_by("name").first()
    log_in(page, live_server, "viewer")
    page.goto(f"{live_server.url}{agency.get_absolute_url()}")
    mark_page(page)
    button = page.get_by_role("button", name="Follow this agency")
    expect(button).to_have_attribute("aria-pressed", "false")
    button.focus()
    page.keyboard.press("Enter")
    following = page.get_by_role("button", name="Following this agency — unfollow")
    expect(following).to_have_attribute("aria-pressed", "true")
    settled(page)
    expect(following).to_be_focused()  # htmx gave the focus back to the new button
    expect(page.locator(f"#follow-agency-{agency.pk}-notice")).to_have_text("You now follow this agency.")
    assert_no_page_load(page)
    assert Follow.objects.filter(user=viewer, agency=agency).exists()
    screenshot("follow-button-following")

    page.keyboard.press("Space")  # and back, still from the keyboard
    expect(page.get_by_role("button", name="Follow this agency")).to_have_attribute("aria-pressed", "false")
    expect(page.locator(f"#follow-agency-{agency.pk}-notice")).to_have_text(
        "You no longer follow this agency."
    )
    assert not Follow.objects.filter(user=viewer).exists()


def test_the_pages_with_follow_buttons_pass_the_accessibility_check(
    page, live_server, seed, viewer, editor, screenshot
):
    agency = Agency.objects.filter(commitments__isnull=False).distinct().order_by("name").first()
    commitment = agency.commitments.order_by("id").first()
    services.follow_create(user=viewer, target=agency)
    services.follow_create(user=viewer, target=commitment)
    services.follow_create(user=viewer, target=commitment.dialogue)
    services.follow_visit_record(user=viewer, at=timezone.now() - datetime.timedelta(days=1))
    services.status_update_create(
        commitment=commitment, author=editor, status=Status.ON_TRACK, progress=20, text="Agreed the plan."
    )
    log_in(page, live_server, "viewer")
    # The page itself does not hold the count: htmx fetches it once the page has loaded.
    with page.expect_response(lambda response: "/following/news/" in response.url):
        page.goto(f"{live_server.url}/dialogues/")
    expect(page.locator(".news-count")).to_have_text("1 new update since your last visit")
    expect(page.get_by_role("link", name="What I follow 1 new update since your last visit")).to_be_visible()
    for url in (agency.get_absolute_url(), commitment.get_absolute_url(), "/following/"):
        page.goto(f"{live_server.url}{url}")
        results = Axe().run(page)
        assert results.response["passes"], "axe-core did not run"
        assert results.violations_count == 0, f"{url}: {results.generate_report()}"
    screenshot("what-i-follow")
    expect(page.locator(".news-count")).to_have_count(0)  # seen now

"""The language switch and the skip links, with the keyboard only (issue 15)."""

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def focused(page) -> dict:
    return page.evaluate(
        "({id: document.activeElement.id, text: document.activeElement.textContent.trim(),"
        " tag: document.activeElement.tagName})"
    )


def tab_to(page, text, limit=30):
    """Press Tab until the element named `text` has the focus; fail if it never does."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused(page)["text"] == text:
            return
    pytest.fail(f"{text!r} was not reached in {limit} Tab presses")


def log_in(page, live_server, next_url):
    page.goto(live_server.url + "/accounts/login/?next=" + next_url)
    page.get_by_label("Username").fill("viewer")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(live_server.url + next_url)


def test_the_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(page, live_server, seed, viewer):
    # Not the login page: its username box has the focus from the start (autofocus).
    log_in(page, live_server, "/")
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Skip to content"
    expect(page.get_by_role("link", name="Skip to content")).to_be_visible()  # shown when focused
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "main"


def test_switching_the_language_with_the_keyboard_only(page, live_server, viewer, screenshot):
    page.goto(live_server.url + "/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    tab_to(page, "Français")
    screenshot("language-switch-focused")
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url + "/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator(".current-language")).to_have_text("Français")
    expect(page.get_by_role("button", name="English")).to_have_attribute("lang", "en")

    # Logging in with the keyboard keeps the language, and stores nothing the person did not choose.
    page.locator("#id_username").focus()  # labelled in French by now
    page.keyboard.type("viewer")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")

    # And back to English from a logged-in page: the same page comes back, in English.
    page.goto(live_server.url + "/commitments/?sort=due")
    tab_to(page, "English", limit=80)
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url + "/commitments/?sort=due")
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_the_list_page_skips_to_its_filters_and_results(page, live_server, seed, viewer):
    log_in(page, live_server, "/commitments/")
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Skip to content"
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Skip to filters"
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Skip to results"
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "results-heading"
    page.goto(live_server.url + "/commitments/")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "filters"
    page.keyboard.press("Tab")  # the next Tab stop is the first filter: the search box
    assert focused(page)["id"] == "id_q"


def test_new_results_from_a_page_link_take_the_focus(page, live_server, viewer, make_commitments, settings):
    make_commitments(settings.TRACKER_PAGE_SIZE + 1)
    log_in(page, live_server, "/commitments/")
    page.locator("#results a", has_text="Next →").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**page=2**")
    expect(page.locator("#results-heading")).to_be_focused()

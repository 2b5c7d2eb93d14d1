"""What a person does in a real browser: log in, filter live, go back, post an update, log out."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tracker.models import Commitment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, username):
    """Log in through the form, starting from a page that needs a login."""
    page.goto(live_server.url + "/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(live_server.url + "/")


def mark_page(page):
    """Leave a flag in the window: it survives htmx swaps and vanishes on a real page load."""
    page.evaluate("window.__noReload = true")


def assert_no_page_load(page):
    assert page.evaluate("window.__noReload === true"), "the page was reloaded"


def rows(page):
    return page.locator("#results tbody tr")


def test_log_in_filter_live_go_back_and_log_out(page, live_server, seed, editor, screenshot):
    log_in(page, live_server, "editor")
    expect(page.get_by_role("heading", name="Where each objective stands")).to_be_visible()
    screenshot("overview")

    page.get_by_role("link", name="Commitments", exact=True).click()
    expect(rows(page)).to_have_count(9)
    mark_page(page)

    page.get_by_label("Addressing the climate crisis").check()
    expect(page).to_have_url(re.compile(r"/commitments/\?.*theme=climate-crisis"))
    expect(rows(page)).to_have_count(4)
    expect(page.locator("#count-agency-odni")).to_have_text("1")

    page.get_by_label("ODNI").check()
    expect(page).to_have_url(
        re.compile(r"theme=climate-crisis.*agency=odni|agency=odni.*theme=climate-crisis")
    )
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("Discuss joint analysis of climate change risks")
    expect(page.locator("#result-count")).to_contain_text("1 commitment matches")
    assert_no_page_load(page)
    screenshot("filtered-list")

    page.go_back()
    expect(page).to_have_url(re.compile(r"/commitments/\?theme=climate-crisis$"))
    expect(rows(page)).to_have_count(4)
    expect(page.get_by_label("ODNI")).not_to_be_checked()
    expect(page.get_by_label("Addressing the climate crisis")).to_be_checked()

    page.reload()
    expect(rows(page)).to_have_count(4)

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.goto(live_server.url + "/commitments/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/commitments/"))


def test_post_an_update_and_see_it_without_a_reload(page, live_server, seed, editor, screenshot):
    commitment = Commitment.objects.get(slug="earth-observation-data-exchange")
    log_in(page, live_server, "editor")
    page.goto(live_server.url + commitment.get_absolute_url())
    mark_page(page)
    expect(page.locator("#commitment-status")).to_contain_text("Not started")

    form = page.locator("#update-form")
    form.get_by_label("Status").select_option("at_risk")
    form.get_by_label("Reason for slippage").select_option("funding")
    form.get_by_label("Progress (%)").fill("35")
    form.get_by_label("What happened").fill("Data-sharing agreement drafted; signature delayed.")
    form.get_by_label("Reason for slippage").select_option("legal")
    form.get_by_role("button", name="Post update").click()

    expect(page.locator("#trail li").first).to_contain_text(
        "Data-sharing agreement drafted; signature delayed."
    )
    expect(page.locator("#trail li").first).to_contain_text("Why it slipped: Legal or regulatory")
    expect(page.locator("#commitment-status")).to_contain_text("At risk")
    expect(page.locator("#commitment-status")).to_contain_text("35%")
    expect(page.locator("#update-form")).to_contain_text("Update posted.")
    assert_no_page_load(page)
    screenshot("commitment")

    form = page.locator("#update-form")
    form.get_by_label("Progress (%)").fill("250")
    form.get_by_role("button", name="Post update").click()
    expect(page.locator("#id_progress_error")).to_contain_text("less than or equal to 100")
    expect(page.locator("#trail li")).to_have_count(1)


def test_expired_session_during_htmx_sends_the_browser_to_login_and_back(page, live_server, seed, editor):
    log_in(page, live_server, "editor")
    page.goto(live_server.url + "/commitments/?theme=stem-education")
    page.context.clear_cookies()
    page.get_by_label(
        "Addressing the climate crisis"
    ).click()  # not check(): the page leaves before it could verify
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    expect(page.locator("#results")).to_have_count(0)  # a whole login page, not a form inside a fragment
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/commitments/\?theme=stem-education$"))

"""A whole task in French with the keyboard only (issue 15): log in, filter the list by an objective,
open a commitment, post an update. At each step the focused element shows a focus indicator, and a
screenshot is kept in test-artifacts/ (keyboard-fr-1-login.png …)."""

import re

import pytest
from django.conf import settings
from django.db.models import Count
from playwright.sync_api import expect

from tests.browser.test_accessibility import assert_accessible
from tests.browser.test_drafting import settled
from tests.conftest import PASSWORD
from tracker.models import Commitment, StatusUpdate, Theme

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FOCUSED = """() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    return {
        tag: el.tagName.toLowerCase(), id: el.id, name: el.getAttribute("name") || "",
        value: el.value === undefined ? "" : String(el.value), type: el.getAttribute("type") || "",
        href: el.getAttribute("href") || "", text: el.textContent.trim(),
        form: el.form ? el.form.id : "", inResults: Boolean(el.closest("#results")),
        outline: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth) || 0,
        boxShadow: style.boxShadow,
    };
}"""


def focused(page) -> dict:
    return page.evaluate(FOCUSED)


def assert_focus_visible(page) -> dict:
    """The focused element is not the page itself, and draws an outline (or a shadow) of 2 px or more."""
    now = focused(page)
    assert now["tag"] not in ("body", "html"), "the focus was lost to the page"
    shows = (now["outline"] != "none" and now["outlineWidth"] >= 2) or now["boxShadow"] != "none"
    assert shows, f"no visible focus indicator on {now}"
    return now


def tab_until(page, wanted, what, limit=120, key="Tab"):
    """Press Tab (or Shift+Tab) until `wanted(focused element)` holds; fail if it never does."""
    for _ in range(limit):
        page.keyboard.press(key)
        if wanted(focused(page)):
            return assert_focus_visible(page)
    pytest.fail(f"{what} was not reached in {limit} presses of {key}")


def test_log_in_filter_open_and_post_an_update_in_french_with_the_keyboard_only(
    page, live_server, seed, editor, screenshot
):
    theme = Theme.objects.annotate(n=Count("commitments")).filter(n__gt=0).order_by("-n", "order").first()
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "fr", "url": live_server.url}])

    # 1. Log in: the username box has the focus from the start.
    page.goto(live_server.url + "/accounts/login/?next=/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("#id_username")).to_be_focused()
    page.keyboard.type("editor")
    page.keyboard.press("Tab")
    assert assert_focus_visible(page)["id"] == "id_password"
    page.keyboard.type(PASSWORD)
    tab_until(
        page, lambda f: f["tag"] == "button" and f["type"] == "submit" and f["form"] == "", "Se connecter"
    )
    screenshot("keyboard-fr-1-login")
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url + "/")

    # 2. From the overview to the list, by the header's link.
    tab_until(
        page, lambda f: f["href"].startswith("/commitments/") and f["text"] == "Engagements", "Engagements"
    )
    screenshot("keyboard-fr-2-navigation")
    page.keyboard.press("Enter")
    page.wait_for_url(live_server.url + "/commitments/")

    # 3. Filter by an objective: the skip link to the filters, then Tab to its box and Space.
    tab_until(page, lambda f: f["text"] == "Aller aux filtres", "Aller aux filtres")
    page.keyboard.press("Enter")
    box = tab_until(page, lambda f: f["name"] == "theme" and f["value"] == theme.slug, theme.name)
    page.keyboard.press("Space")
    page.wait_for_url(f"**theme={theme.slug}**")
    settled(page)
    now = assert_focus_visible(page)
    assert (now["name"], now["value"]) == (box["name"], box["value"]), "the focus stays on the box"
    expect(page.locator(f"input[name=theme][value='{theme.slug}']")).to_be_checked()
    screenshot("keyboard-fr-3-filtered")

    # 4. Open a commitment from the new results (content htmx swapped in).
    link = tab_until(
        page,
        lambda f: f["inResults"] and re.match(r"^/commitments/\d+/", f["href"]),
        "a commitment in the results",
    )
    screenshot("keyboard-fr-4-result")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{link['href']}")
    commitment = Commitment.objects.get(pk=int(re.match(r"^/commitments/(\d+)/", link["href"])[1]))
    assert commitment.themes.filter(pk=theme.pk).exists()

    # 5. Post an update: status, progress and text typed; the button pressed with Enter.
    tab_until(page, lambda f: f["id"] == "id_status", "Statut")
    page.keyboard.type("En bonne voie")  # a closed select picks the option typed
    expect(page.locator("#id_status")).to_have_value("on_track")
    page.keyboard.press("Tab")
    assert assert_focus_visible(page)["id"] == "id_progress"
    page.keyboard.press("Control+A")
    page.keyboard.type("40")
    page.keyboard.press("Tab")
    assert assert_focus_visible(page)["id"] == "id_text"
    page.keyboard.type("Premier échange de données effectué.")
    screenshot("keyboard-fr-5-update-form")
    tab_until(page, lambda f: f["id"] == "update-submit", "Publier le point d'étape")
    screenshot("keyboard-fr-6-submit")
    page.keyboard.press("Enter")
    expect(page.locator("#trail li").first).to_contain_text("Premier échange de données effectué.")
    expect(page.locator("#update-form")).to_contain_text("Mise à jour publiée.")
    settled(page)
    # htmx gives the focus back to the new form's button: the keyboard carries on where it was.
    assert assert_focus_visible(page)["id"] == "update-submit"
    screenshot("keyboard-fr-7-posted")
    update = StatusUpdate.objects.get(commitment=commitment)
    assert (update.status, update.progress, update.author) == ("on_track", 40, editor)
    assert_accessible(page, "the commitment page after posting (fr)")  # what htmx swapped in passes too

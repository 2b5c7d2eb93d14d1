"""The admin fills a slug in as the name is typed, by the same rule as the server (tracker/slugs.py)."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_dashboard import log_in
from tracker.slugs import slug_from_name

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAMES = [
    "U.S.–France bilateral space dialogue",
    "Ministère de l'Économie",
    "Ministère de l’Europe et des Affaires étrangères",
    "Œuvre — phase 2.0",
]


def test_the_slug_typed_in_the_admin_is_the_one_the_server_would_make(page, live_server, superuser):
    log_in(page, live_server, "root")
    page.goto(f"{live_server.url}/admin/tracker/dialogue/add/")
    name, slug = page.locator("#id_name"), page.locator("#id_slug")
    for typed in NAMES:
        name.fill("")
        name.press_sequentially(typed)
        expect(slug).to_have_value(slug_from_name(typed))
    assert slug_from_name(NAMES[0]) == "us-france-bilateral-space-dialogue"

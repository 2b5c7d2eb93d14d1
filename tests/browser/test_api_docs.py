"""The API's documentation page works in a real browser under the strict Content-Security-Policy:
Swagger UI from this site's static files, its start-up script a file of its own."""

import pytest

from tests.browser.test_dashboard import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_api_docs_list_the_operations_without_policy_violations(page, live_server, viewer):
    violations = []
    page.on("console", lambda m: "Content Security Policy" in m.text and violations.append(m.text))
    outside = []
    page.on("request", lambda r: not r.url.startswith(live_server.url) and outside.append(r.url))
    log_in(page, live_server, viewer.username)
    page.goto(live_server.url + "/api/v1/docs/")
    page.wait_for_selector("#operations-commitments-commitments_list")
    page.wait_for_load_state("networkidle")
    assert page.locator(".opblock").count() >= 11
    assert page.get_by_text("/api/v1/updates/").count() >= 1
    assert violations == []
    assert [url for url in outside if not url.startswith("data:")] == []

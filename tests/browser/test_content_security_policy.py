"""The strict Content-Security-Policy holds in a real browser: no page or admin screen breaks it."""

import pytest

from tests.browser.test_dashboard import log_in
from tracker.models import Commitment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_main_pages_and_the_admin_cause_no_policy_violations(page, live_server, seed, superuser):
    violations = []
    page.on("console", lambda m: "Content Security Policy" in m.text and violations.append(m.text))
    commitment = Commitment.objects.get(slug="earth-observation-data-exchange")
    log_in(page, live_server, superuser.username)
    paths = [
        "/",
        "/commitments/",
        "/commitments/?theme=climate-crisis",
        commitment.get_absolute_url(),
        "/agencies/",
        "/agencies/nasa/",
        "/themes/climate-crisis/",
        f"/sources/{commitment.source_id}/",
        "/admin/",
        "/admin/tracker/commitment/",
        f"/admin/tracker/commitment/{commitment.pk}/change/",
        "/admin/tracker/statusupdate/add/",
        "/admin/tracker/agency/add/",
    ]
    for path in paths:
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
    page.goto(live_server.url + "/commitments/")
    page.get_by_label("Addressing the climate crisis").check()  # htmx swaps under the policy too
    page.wait_for_load_state("networkidle")
    assert violations == []

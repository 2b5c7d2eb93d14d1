"""On paper the filter panels are not printed: the pages with filters state the filters in force in
a line of words instead, named as a reader knows them (labels, not slugs). The printed result
itself is checked in a real browser (tests/browser/test_print.py)."""

import re
from html import unescape

import pytest

from tracker.models import Round


def active_filters(response) -> str:
    """The text of the page's "Filters:" line, tags dropped and spaces collapsed."""
    found = re.search(r'<p class="active-filters">(.*?)</p>', response.content.decode(), re.S)
    assert found, "the page has no line stating its filters"
    return " ".join(unescape(re.sub(r"<[^>]+>", "", found.group(1))).split())


@pytest.mark.django_db
def test_the_list_states_its_filters_in_words(viewer_client, seed):
    response = viewer_client.get(
        "/commitments/?q=data&theme=climate-crisis&agency=nasa&role=lead&country=FR"
        "&status=on_track&status=at_risk&status=off_track&due=overdue&sort=-progress"
    )

    assert active_filters(response) == (
        "Filters: Search: “data”; Theme: Addressing the climate crisis; "
        "Agency: National Aeronautics and Space Administration (NASA) · United States; Country: France; "
        "Role: Only where they lead; Status: On track, At risk or Off track; Overdue; "
        "Sorted by: Most progress"
    )


@pytest.mark.django_db
def test_the_list_without_filters_says_so(viewer_client, seed):
    assert active_filters(viewer_client.get("/commitments/")) == "Filters: none"


@pytest.mark.django_db
def test_the_list_names_an_unknown_value_as_typed(viewer_client, seed):
    """The problem box says it matches nothing; the line still says what was asked for."""
    response = viewer_client.get("/commitments/?theme=no-such-theme&stale=1")

    assert active_filters(response) == "Filters: Theme: no-such-theme; No update for a long time"


@pytest.mark.django_db
def test_the_list_fragment_states_the_filters_it_was_asked_for(viewer_client, seed):
    """A filter changed live swaps the line with the results, so a page printed after it is right."""
    response = viewer_client.get(
        "/commitments/?dialogue=us-france-space-dialogue&blocked=1", HTTP_HX_REQUEST="true"
    )

    assert active_filters(response) == "Filters: Dialogue: U.S.–France bilateral space dialogue; Blocked"


@pytest.mark.django_db
@pytest.mark.parametrize("headers", [{}, {"HTTP_HX_REQUEST": "true"}], ids=["page", "fragment"])
def test_what_changed_states_its_filters_as_its_form_words_them(viewer_client, seed, headers):
    response = viewer_client.get(
        "/changes/?from=2021-01-01&theme=stem-education&country=US&status=not_started", **headers
    )

    assert active_filters(response) == (
        "Filters: Objective: STEM education; Country: United States; Status at the end: Not started"
    )


@pytest.mark.django_db
def test_the_scorecard_states_its_filters_in_words(viewer_client, seed):
    Round.objects.create(dialogue=seed, number=1, held_on="2022-06-01")
    response = viewer_client.get(
        f"/dialogues/{seed.slug}/scorecard/?round=1&theme=climate-crisis&agency=cnes"
    )

    assert active_filters(response) == (
        "Filters: Objective: Addressing the climate crisis; "
        "Agency: Centre national d'études spatiales (CNES) · France"
    )
    assert active_filters(viewer_client.get(f"/dialogues/{seed.slug}/scorecard/")) == "Filters: none"


@pytest.mark.django_db
def test_every_page_has_the_print_stylesheet_and_the_address_links_hang_from(viewer_client, seed):
    html = viewer_client.get("/agencies/").content.decode()

    assert re.search(r'<link rel="stylesheet" href="[^"]*css/print\.css" media="print">', html)
    assert '<span class="print-only printed-from">http://testserver ·' in html

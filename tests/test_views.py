"""The dashboard pages as a browser sees them: full pages, htmx fragments, forms and permissions."""

import csv
import datetime
import io

import pytest
from django.urls import reverse

from tests.factories import reason_for
from tracker import services
from tracker.models import Agency, Commitment, Dialogue, Status, StatusUpdate

HTMX = {"HTTP_HX_REQUEST": "true"}


def commitment(slug):
    return Commitment.objects.get(slug=slug)


def post_update(slug, author, status, progress, days_ago=0):
    return services.status_update_create(
        commitment=commitment(slug),
        author=author,
        status=status,
        **reason_for(status),
        progress=progress,
        text="Reported.",
        reported_on=datetime.date.today() - datetime.timedelta(days=days_ago),
    )


def titles(response):
    return [c.title for c in response.context["browser"].page.object_list]


# --- overview -----------------------------------------------------------------------------------


def test_overview_shows_a_card_per_objective_with_counts(viewer_client, seed):
    page = viewer_client.get("/").content.decode()
    for theme in ["Addressing the climate crisis", "STEM education", "Dialogue governance"]:
        assert theme in page
    assert "Not started: 4" in page  # the climate objective's four commitments


def test_overview_lists_what_needs_attention_and_the_latest_updates(viewer_client, seed, editor):
    post_update("objective-stem-education", editor, Status.OFF_TRACK, 10)
    response = viewer_client.get("/")
    overview = response.context["overview"]
    attention = overview.attention
    assert attention["off_track"] == 1
    assert attention["stale"] == 8  # the other seed commitments have never been reported on
    assert overview.attention_list[0].slug == "objective-stem-education"
    assert "Off track" in response.content.decode()
    assert [u.commitment.slug for u in overview.latest_updates] == ["objective-stem-education"]


def test_a_completed_commitment_is_neither_stale_nor_needing_attention(viewer_client, seed, editor):
    post_update("joint-climate-risk-analysis", editor, Status.COMPLETED, 100, days_ago=400)
    slugs = [c.slug for c in viewer_client.get("/").context["overview"].attention_list]
    assert "joint-climate-risk-analysis" not in slugs


# --- the list -----------------------------------------------------------------------------------


def test_list_shows_every_commitment_unfiltered(viewer_client, seed):
    response = viewer_client.get("/commitments/")
    assert response.status_code == 200
    assert response.context["browser"].total == 9
    assert len(titles(response)) == 9


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"theme": "stem-education"}, {"objective-stem-education"}),
        (
            {"theme": ["stem-education", "space-economy"]},
            {"objective-stem-education", "objective-space-economy"},
        ),
        ({"agency": "fr-space-command"}, {"regular-bilateral-dialogue", "objective-space-norms-security"}),
        ({"agency": "ostp", "role": "lead"}, {"objective-stem-education"}),
        (
            {"country": "FR", "agency": "sgdsn"},
            {"regular-bilateral-dialogue", "objective-space-norms-security"},
        ),
        ({"q": "Earth observation"}, {"earth-observation-data-exchange"}),
        ({"q": "whole-of-government"}, {"regular-bilateral-dialogue"}),  # found in the quote
        (
            {"dialogue": "us-france-space-dialogue", "theme": "frontiers-of-space"},
            {"objective-frontiers-of-space"},
        ),
        ({"theme": "climate-crisis", "agency": "odni"}, {"joint-climate-risk-analysis"}),
    ],
)
def test_each_filter_and_their_combinations(viewer_client, seed, query, expected):
    response = viewer_client.get("/commitments/", query)
    assert {c.slug for c in response.context["browser"].page.object_list} == expected
    assert response.context["browser"].total == len(expected)


def test_status_overdue_and_stale_filters(viewer_client, seed, editor):
    post_update("objective-space-economy", editor, Status.AT_RISK, 20)
    eo = commitment("earth-observation-data-exchange")
    Commitment.objects.filter(pk=eo.pk).update(due_on=datetime.date(2022, 1, 1))
    assert titles(viewer_client.get("/commitments/", {"status": "at_risk"})) == [
        "Objective: enable a sustainable space economy"
    ]
    assert titles(viewer_client.get("/commitments/", {"due": "overdue"})) == [eo.title]
    stale = viewer_client.get("/commitments/", {"stale": "1"}).context["browser"].total
    assert stale == 8


def test_facet_counts_say_what_each_option_would_match(viewer_client, seed):
    browser = viewer_client.get("/commitments/", {"theme": "climate-crisis"}).context["browser"]
    facets = {f.name: {o.value: o.count for o in f.options} for f in browser.facets}
    assert facets["theme"]["stem-education"] == 1  # other themes still count: picking one widens the list
    assert facets["theme"]["climate-crisis"] == 4
    assert facets["agency"]["nasa"] == 4
    assert facets["agency"]["fr-space-command"] == 0
    assert facets["status"]["not_started"] == 4
    assert facets["country"] == {"FR": 4, "US": 4}


def test_sorting(viewer_client, seed, editor):
    post_update("objective-space-economy", editor, Status.ON_TRACK, 60)
    assert (
        titles(viewer_client.get("/commitments/", {"sort": "-progress"}))[0]
        == "Objective: enable a sustainable space economy"
    )
    listed = titles(viewer_client.get("/commitments/", {"sort": "title"}))
    assert listed == sorted(listed)


def test_unknown_slugs_say_so_and_match_nothing(viewer_client, seed):
    response = viewer_client.get("/commitments/", {"theme": "tourism", "agency": "esa"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Theme: nothing is called “tourism”." in page
    assert "Agency: nothing is called “esa”." in page
    assert "No commitments match these filters." in page


def test_invalid_values_get_a_clear_message_not_an_error(viewer_client, seed):
    response = viewer_client.get("/commitments/", {"status": "finished", "sort": "random", "q": "x" * 500})
    assert response.status_code == 200
    problems = response.context["browser"].problems
    assert any(p.startswith("Status:") for p in problems)
    assert any(p.startswith("Sort by:") for p in problems)
    assert any(p.startswith("Search:") for p in problems)
    assert response.context["browser"].total == 0


def test_empty_result_offers_to_clear_filters(viewer_client, seed):
    page = viewer_client.get("/commitments/", {"q": "moon base"}).content.decode()
    assert "No commitments match these filters." in page
    assert 'href="/commitments/">Clear all filters' in page


def test_pagination_keeps_the_filters_and_survives_pages_beyond_the_end(viewer_client, seed, settings):
    settings.TRACKER_PAGE_SIZE = 2
    response = viewer_client.get("/commitments/", {"theme": "climate-crisis"})
    assert response.context["browser"].page.paginator.num_pages == 2
    assert "?theme=climate-crisis&amp;page=2" in response.content.decode()
    beyond = viewer_client.get("/commitments/", {"theme": "climate-crisis", "page": "99"})
    assert beyond.status_code == 200
    assert beyond.context["browser"].page.number == 2
    assert viewer_client.get("/commitments/", {"page": "-1x"}).status_code == 200


def test_htmx_gets_only_the_results_and_the_counts(viewer_client, seed):
    response = viewer_client.get("/commitments/", {"theme": "climate-crisis"}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="results"')
    assert "<html" not in body and 'id="filters"' not in body
    assert 'id="count-theme-stem-education" hx-swap-oob="true">1<' in body
    assert 'id="result-count" hx-swap-oob="innerHTML"' in body
    assert "HX-Request" in response["Vary"]


def test_full_page_and_history_restore_get_the_whole_page(viewer_client, seed):
    full = viewer_client.get("/commitments/", {"theme": "climate-crisis"})
    restore = viewer_client.get(
        "/commitments/", {"theme": "climate-crisis"}, HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX
    )
    for response in (full, restore):
        body = response.content.decode()
        assert "<html" in body and 'id="filters"' in body and 'id="results"' in body
        assert "HX-Request" in response["Vary"]


def test_the_filter_form_works_without_javascript(viewer_client, seed):
    page = viewer_client.get("/commitments/").content.decode()
    assert '<form id="filters" class="filters panel" method="get" action="/commitments/"' in page
    assert '<button type="submit" class="button">Apply</button>' in page


# --- CSV ------------------------------------------------------------------------------------------


def read_csv(response):
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_csv_has_exactly_the_rows_the_list_shows_across_all_pages(viewer_client, seed, settings):
    settings.TRACKER_PAGE_SIZE = 2
    response = viewer_client.get("/commitments/export.csv", {"theme": "climate-crisis"})
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = read_csv(response)
    assert len(rows) == 4
    listed = viewer_client.get("/commitments/", {"theme": "climate-crisis"}).context["browser"].total
    assert len(rows) == listed
    eo = next(r for r in rows if r["title"].startswith("Discuss enhancing"))
    assert eo["lead agencies"] == "CNES (FR); NASA (US)"
    assert eo["themes"] == "Addressing the climate crisis"
    assert eo["status"] == "Not started" and eo["stale"] == "yes"


def test_csv_neutralises_cells_that_look_like_formulas(viewer_client, seed):
    Commitment.objects.filter(slug="objective-space-economy").update(title='=HYPERLINK("http://x")')
    Dialogue.objects.update(name="@SUM(A1)")
    Agency.objects.filter(slug="fr-ministry-economy").update(acronym="", name="+cmd")
    rows = read_csv(viewer_client.get("/commitments/export.csv", {"theme": "space-economy"}))
    assert rows[0]["title"].startswith("'=")
    assert rows[0]["dialogue"] == "'@SUM(A1)"
    assert rows[0]["lead agencies"].startswith("'+cmd")


# --- one commitment -------------------------------------------------------------------------------


def test_commitment_page_shows_quote_source_link_agencies_and_children(viewer_client, seed):
    c = commitment("initial-emphasis-climate")
    page = viewer_client.get(c.get_absolute_url()).content.decode()
    assert (
        "We committed to an initial emphasis on expanding cooperation to address the climate crisis" in page
    )
    assert f'href="/sources/{c.source_id}/#quote-{c.pk}"' in page
    assert "<h3>United States</h3>" in page and "<h3>France</h3>" in page  # countries by name
    assert page.index("<h3>United States</h3>") < page.index("<h3>France</h3>")
    assert "Discuss joint analysis of climate change risks" in page  # a sub-commitment
    assert "Objective: address the climate crisis through space cooperation" in page  # its parent
    assert "not named in the source" in page


def test_trail_is_newest_first_with_author_status_and_progress(viewer_client, seed, editor):
    post_update("objective-frontiers-of-space", editor, Status.ON_TRACK, 10, days_ago=30)
    post_update("objective-frontiers-of-space", editor, Status.AT_RISK, 15, days_ago=2)
    response = viewer_client.get(commitment("objective-frontiers-of-space").get_absolute_url())
    trail = response.content.decode().split('id="trail"')[1]
    assert trail.index("At risk") < trail.index("15%") < trail.index("On track") < trail.index("10%")
    assert "editor" in trail


def test_viewers_see_no_update_form_and_editors_do(client, seed, viewer, editor):
    url = commitment("objective-frontiers-of-space").get_absolute_url()
    client.force_login(viewer)
    assert 'id="update-form"' not in client.get(url).content.decode()
    client.force_login(editor)
    assert 'id="update-form"' in client.get(url).content.decode()


def update_url(slug):
    return reverse("tracker:statusupdate_create", args=[commitment(slug).pk])


VALID = {"reported_on": "2024-02-01", "status": "on_track", "progress": "25", "text": "Working group met."}


def test_editor_posts_an_update_with_htmx_and_gets_the_new_trail_and_badge(editor_client, seed, editor):
    response = editor_client.post(update_url("objective-stem-education"), VALID, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<form id="update-form"')
    assert '<ol class="trail" id="trail" hx-swap-oob="true">' in body
    assert '<div id="commitment-status" class="panel" hx-swap-oob="true">' in body
    assert "Working group met." in body
    c = commitment("objective-stem-education")
    assert (c.status, c.progress) == (Status.ON_TRACK, 25)
    assert StatusUpdate.objects.get().author == editor


def test_posting_without_javascript_redirects_back_to_the_commitment(editor_client, seed):
    response = editor_client.post(update_url("objective-stem-education"), VALID)
    assert response.status_code == 302
    assert response["Location"] == commitment("objective-stem-education").get_absolute_url()


@pytest.mark.parametrize("headers", [HTMX, {}], ids=["htmx", "plain"])
def test_invalid_update_shows_errors_in_the_form_and_saves_nothing(editor_client, seed, headers):
    response = editor_client.post(
        update_url("objective-stem-education"), VALID | {"progress": "140", "text": ""}, **headers
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "Ensure this value is less than or equal to 100." in body
    assert "This field is required." in body
    assert StatusUpdate.objects.count() == 0


def test_viewer_cannot_post_an_update(viewer_client, seed):
    response = viewer_client.post(update_url("objective-stem-education"), VALID, **HTMX)
    assert response.status_code == 403
    assert StatusUpdate.objects.count() == 0


def test_anonymous_post_is_sent_to_login_and_saves_nothing(client, seed):
    response = client.post(update_url("objective-stem-education"), VALID)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert StatusUpdate.objects.count() == 0


def test_extra_fields_in_a_post_are_ignored(editor_client, seed, editor, viewer):
    other = commitment("objective-space-economy")
    editor_client.post(
        update_url("objective-stem-education"), VALID | {"author": viewer.pk, "commitment": other.pk}
    )
    update = StatusUpdate.objects.get()
    assert update.author == editor
    assert update.commitment.slug == "objective-stem-education"


def test_get_on_the_update_url_is_not_allowed(editor_client, seed):
    assert editor_client.get(update_url("objective-stem-education")).status_code == 405


# --- agencies, themes, sources --------------------------------------------------------------------


def test_agency_list_shows_both_countries_with_lead_and_partner_counts(viewer_client, seed):
    response = viewer_client.get("/agencies/")
    page = response.content.decode()
    assert ">United States</h2>" in page and ">France</h2>" in page
    rows = [row for country in response.context["countries"] for row in country.agencies]
    nasa = next(row for row in rows if row.agency.slug == "nasa")
    assert (nasa.lead.count, nasa.partner.count) == (5, 2)


def test_agency_scorecard_splits_lead_and_partner(viewer_client, seed):
    response = viewer_client.get("/agencies/ostp/")
    assert [c.slug for c in response.context["lead"]] == ["objective-stem-education"]
    assert {c.slug for c in response.context["partner"]} == {
        "regular-bilateral-dialogue",
        "objective-frontiers-of-space",
    }
    page = viewer_client.get("/agencies/fr-ministry-armed-forces/").content.decode()
    assert "Commandement de l&#x27;espace" in page  # its sub-agency


def test_theme_page_lists_its_commitments_and_their_progress(viewer_client, seed):
    response = viewer_client.get("/themes/climate-crisis/")
    assert len(response.context["commitments"]) == 4
    assert "Not started: 4" in response.content.decode()


def test_source_page_highlights_every_quote_and_links_it(viewer_client, seed):
    source = commitment("regular-bilateral-dialogue").source
    page = viewer_client.get(f"/sources/{source.pk}/").content.decode()
    for c in Commitment.objects.all():
        assert f'<mark id="quote-{c.pk}"><a href="/commitments/{c.pk}/"' in page
    assert page.count("<mark") == 9


@pytest.mark.parametrize(
    "url", ["/agencies/nowhere/", "/themes/nowhere/", "/sources/999/", "/commitments/999/"]
)
def test_unknown_records_are_404_with_a_clear_page(viewer_client, seed, url):
    response = viewer_client.get(url)
    assert response.status_code == 404


# --- session expiry and permissions across every page ---------------------------------------------


def test_htmx_request_after_session_expiry_redirects_the_whole_page(client, seed):
    response = client.get(
        "/commitments/",
        {"theme": "stem-education"},
        HTTP_HX_CURRENT_URL="http://testserver/commitments/?theme=stem-education",
        **HTMX,
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/accounts/login/?next=%2Fcommitments%2F%3Ftheme%3Dstem-education"
    assert response.content == b""


def test_login_returns_the_user_to_where_they_were(client, seed, viewer):
    from tests.conftest import PASSWORD

    response = client.post(
        "/accounts/login/?next=/commitments/%3Ftheme%3Dstem-education",
        {"username": "viewer", "password": PASSWORD, "next": "/commitments/?theme=stem-education"},
    )
    assert response["Location"] == "/commitments/?theme=stem-education"


PAGES = [
    "/",
    "/commitments/",
    "/commitments/export.csv",
    "/commitments/export.xlsx",
    "/agencies/",
    "/agencies/nasa/",
    "/themes/climate-crisis/",
]


@pytest.mark.parametrize("url", PAGES)
def test_every_page_needs_a_login(client, seed, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("who", ["viewer", "editor", "superuser"])
def test_every_role_can_read_every_page(client, seed, request, who, url):
    client.force_login(request.getfixturevalue(who))
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("who,expected", [("viewer", 403), ("editor", 302), ("superuser", 302)])
def test_who_may_post_an_update(client, seed, request, who, expected):
    client.force_login(request.getfixturevalue(who))
    assert client.post(update_url("objective-stem-education"), VALID).status_code == expected


def test_posts_need_a_csrf_token(seed, editor):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(editor)
    assert strict.post(update_url("objective-stem-education"), VALID).status_code == 403
    assert StatusUpdate.objects.count() == 0


def test_theme_and_agency_pages_list_a_preview_and_link_to_the_rest(viewer_client, seed, settings):
    settings.TRACKER_PAGE_SIZE = 2
    theme = viewer_client.get("/themes/climate-crisis/")
    assert len(theme.context["commitments"]) == 2
    assert (
        'href="/commitments/?theme=climate-crisis">See all 4 in the commitment list' in theme.content.decode()
    )
    nasa = viewer_client.get("/agencies/nasa/")
    assert (len(nasa.context["lead"]), nasa.context["n_lead"]) == (2, 5)
    assert "See all 5 it leads" in nasa.content.decode()

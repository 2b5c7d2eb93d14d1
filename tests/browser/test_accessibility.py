"""Every page, in English and in French, passes axe-core's WCAG 2.2 AA rules and fits a narrow screen
(issue 15).

Each page is visited as an editor (who sees every form), with every <details> opened so the controls
and tables inside are checked too; then, at 320 and at 640 CSS pixels wide (a 1280-pixel window
zoomed to 400 % and to 200 %), the document must not scroll sideways: wide tables scroll inside
their own wrapper.
"""

import datetime

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.factories import reason_for
from tracker import services
from tracker.models import Commitment, Round, SourceDocument, Status, Theme
from tracker.models.api_token import TokenScope
from tracker.services.api_tokens import api_token_create
from tracker.services.digests import unsubscribe_token

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# And axe's best practices, which hold what WCAG leaves to judgement: one main landmark, all content in
# landmarks, headings in order, one h1, unique landmark names.
RULES = [*WCAG_22_AA, "best-practice"]
LANGUAGES = ["en", "fr"]
NARROW_WIDTHS = [320, 640]  # 400 % and 200 % zoom of a 1280-pixel window


def world(seed, editor):
    """The data every page needs to show all of its parts: updates (one slipping, one withdrawn), a
    round with assessments, follows, a token. Returns the address of each page."""
    commitment = Commitment.objects.filter(dialogue=seed, parent__isnull=False).order_by("pk").first()
    other = Commitment.objects.filter(dialogue=seed).exclude(pk=commitment.pk).order_by("pk").first()
    today = timezone.localdate()
    services.status_update_create(
        commitment=commitment,
        author=editor,
        status=Status.ON_TRACK,
        progress=30,
        text="Agreed the data-sharing plan.",
        reported_on=today - datetime.timedelta(days=40),
    )
    services.status_update_create(
        commitment=commitment,
        author=editor,
        status=Status.AT_RISK,
        progress=35,
        text="The second exchange was postponed.",
        evidence_url="https://example.org/minutes",
        **reason_for(Status.AT_RISK),
    )
    wrong = services.status_update_create(
        commitment=other, author=editor, status=Status.COMPLETED, progress=100, text="Posted by mistake."
    )
    services.status_update_withdraw(update=wrong, by=editor, reason="Wrong commitment.")
    round_one = Round.objects.create(
        dialogue=seed, number=1, held_on=today - datetime.timedelta(days=30), place="Paris"
    )
    services.assessment_create(
        commitment=commitment, round=round_one, party="US", score=1, rationale="Met.", assessor=editor
    )
    services.assessment_create(
        commitment=commitment, round=round_one, party="FR", score=None, rationale="Nothing.", assessor=editor
    )
    services.assessment_create(
        commitment=other, round=round_one, party="FR", score=0, rationale="Under way.", assessor=editor
    )
    agency = commitment.agencies.order_by("name").first()
    theme = commitment.themes.order_by("order").first()
    for target in (seed, theme, agency, commitment):
        services.follow_create(user=editor, target=target)
    api_token_create(
        user=editor,
        name="Nightly sync",
        scope=TokenScope.READ,
        expires_on=today + datetime.timedelta(days=30),
    )
    source = SourceDocument.objects.order_by("pk").first()
    start = source.text.index(commitment.quote)
    passage = f"start={start}&end={start + len(commitment.quote)}"
    return {
        "overview": "/",
        "overview-as-of": f"/?as_of={(today - datetime.timedelta(days=35)).isoformat()}",
        "overview-charts": "/overview/charts/",
        "list-filtered": f"/commitments/?theme={theme.slug}&status=at_risk&status=on_track&sort=due",
        "list-empty": "/commitments/?q=nothing-matches-this",
        "commitment": commitment.get_absolute_url(),
        "agencies": "/agencies/",
        "agency": agency.get_absolute_url(),
        "theme": theme.get_absolute_url(),
        "source": source.get_absolute_url(),
        "source-drafting": f"/sources/{source.pk}/draft/?{passage}",
        "commitment-draft-form": f"/sources/{source.pk}/draft/new/?{passage}",
        "source-new": "/sources/new/",
        "changes": f"/changes/?from={(today - datetime.timedelta(days=60)).isoformat()}",
        "dialogues": "/dialogues/",
        "dialogue": seed.get_absolute_url(),
        "scorecard": f"{seed.get_absolute_url()}scorecard/",
        "briefing": f"{seed.get_absolute_url()}briefing/",
        "following": "/following/",
        "api-tokens": "/account/api-tokens/",
        "calendar-feeds": "/account/calendar/",
        "digest-unsubscribe": f"/digest/unsubscribe/{unsubscribe_token(editor)}/",
        "not-found": "/no-such-page/",
    }


LOGGED_IN_PAGES = [
    "overview",
    "overview-as-of",
    "overview-charts",
    "list-filtered",
    "list-empty",
    "commitment",
    "agencies",
    "agency",
    "theme",
    "source",
    "source-drafting",
    "commitment-draft-form",
    "source-new",
    "changes",
    "dialogues",
    "dialogue",
    "scorecard",
    "briefing",
    "following",
    "api-tokens",
    "calendar-feeds",
    "digest-unsubscribe",
    "not-found",
]


def log_in_by_cookie(page, live_server, user):
    """The session of a logged-in user, without the form (the login page is checked on its own)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def speak(page, live_server, language):
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )


def open_everything(page):
    """Open every <details> (forms, the charts' tables), so what they hold is checked as well."""
    page.locator("details").evaluate_all("elements => elements.forEach(e => { e.open = true; })")


def assert_accessible(page, what):
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": RULES}})
    assert results.response["passes"], "axe-core did not run"
    found = [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(" ".join(n["target"]) for n in v["nodes"][:6])
        for v in results.response["violations"]
    ]
    assert found == [], f"{what}:\n" + "\n".join(found)


def assert_no_sideways_scroll(page, what):
    for width in NARROW_WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        overflow = page.evaluate(
            """() => {
                const root = document.documentElement;
                const wide = [...document.querySelectorAll("body *")]
                    .filter(e => e.getBoundingClientRect().right > root.clientWidth + 1
                                 && !e.closest(".table-wrap, .visually-hidden, .skip-link"))
                    .slice(0, 5)
                    .map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "")
                              + (e.className && typeof e.className === "string" ? "." + e.className : ""));
                return {scroll: root.scrollWidth, client: root.clientWidth, wide};
            }"""
        )
        assert overflow["scroll"] <= overflow["client"] + 1, (
            f"{what} scrolls sideways at {width} px: {overflow}"
        )
    page.set_viewport_size({"width": 1280, "height": 900})


def visit(page, url):
    response = page.goto(url, wait_until="networkidle")
    page.wait_for_selector("main#main")
    return response


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", LOGGED_IN_PAGES)
def test_every_page_is_accessible_in_both_languages(page, live_server, seed, editor, name, language):
    pages = world(seed, editor)
    assert sorted(pages) == sorted(LOGGED_IN_PAGES), "a page of world() is missing from LOGGED_IN_PAGES"
    log_in_by_cookie(page, live_server, editor)
    speak(page, live_server, language)
    response = visit(page, live_server.url + pages[name])
    assert response.status == (404 if name == "not-found" else 200), pages[name]
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator("h1").count() == 1, f"{name}: one h1"
    open_everything(page)
    what = f"{name} ({language}, {pages[name]})"
    assert_accessible(page, what)
    assert_no_sideways_scroll(page, what)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_login_page_is_accessible_in_both_languages(page, live_server, viewer, language):
    speak(page, live_server, language)
    visit(page, live_server.url + "/accounts/login/?next=/")
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator("h1").count() == 1
    assert_accessible(page, f"login ({language})")
    assert_no_sideways_scroll(page, f"login ({language})")

    # A wrong password: the form says so, and is still accessible.
    page.locator("#id_username").fill("viewer")
    page.locator("#id_password").fill("not-the-password")
    page.locator("main form button[type=submit]").click()
    page.wait_for_selector(".form-errors")
    assert_accessible(page, f"login with an error ({language})")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_lockout_page_is_accessible_in_both_languages(page, live_server, viewer, language):
    speak(page, live_server, language)
    visit(page, live_server.url + "/accounts/login/")
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        page.locator("#id_username").fill("viewer")
        page.locator("#id_password").fill("not-" + PASSWORD)
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()
    assert page.locator("h1").count() == 1
    assert page.locator("main").inner_text().strip(), "the lockout page is empty"
    assert page.locator("html").get_attribute("lang") == language
    assert_accessible(page, f"lockout ({language})")
    assert_no_sideways_scroll(page, f"lockout ({language})")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_list_stays_accessible_after_a_live_filter(page, live_server, seed, editor, language):
    """htmx swaps new results and facets in: what it brings must pass as the page did."""
    world(seed, editor)
    log_in_by_cookie(page, live_server, editor)
    speak(page, live_server, language)
    visit(page, live_server.url + "/commitments/")
    theme = Theme.objects.filter(commitments__isnull=False).order_by("order").first()
    with page.expect_response(lambda response: "/commitments/?" in response.url):
        page.locator(f"input[name=theme][value='{theme.slug}']").check()
    page.wait_for_url(f"**theme={theme.slug}**")
    expect(page.locator(".htmx-added, .htmx-settling, .htmx-request")).to_have_count(0)
    assert_accessible(page, f"list after a live filter ({language})")

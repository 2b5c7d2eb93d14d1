"""Every page makes the same number of queries with 5 commitments as with 50: nothing per row.

The numbers are pinned so a change that adds a query is noticed; two of them on every page are
the session and the user, which the login check needs. Pages whose body is cached until the data
changes (tracker/caching.py) are pinned twice: computing it, and serving it again (session, user
and the data token).
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tracker import services
from tracker.models import Agency, Commitment, Round, SlipReason, SourceDocument, Status
from tracker.rules import SLIP_STATUSES

HTMX = {"HTTP_HX_REQUEST": "true"}


def build(make_commitments, editor, n):
    source = SourceDocument.objects.create(
        title="Release", published_on="2024-01-01", text="we will do things"
    )
    commitments = make_commitments(n)
    parent = commitments[0]
    for c in commitments:
        Commitment.objects.filter(pk=c.pk).update(
            source=source, quote="we will", parent=parent if c != parent else None
        )
        for progress in (10, 20):
            services.status_update_create(
                commitment=c, author=editor, status=Status.ON_TRACK, progress=progress, text="x"
            )
    assess_at_a_round(commitments, editor)
    parent.refresh_from_db()
    parent.dialogue  # noqa: B018 -- loaded here, so the pins count only the page's queries
    return parent


def assess_at_a_round(commitments, editor):
    """A round of the commitments' dialogue, each side assessed on each: +1 for one, no evidence for
    the other (the scorecard's and the dialogue page's cells)."""
    round_ = Round.objects.create(dialogue=commitments[0].dialogue, number=1, held_on="2024-06-01")
    for c in commitments:
        for party, score in (("US", 1), ("FR", None)):
            services.assessment_create(
                commitment=c, round=round_, party=party, score=score, rationale="Seen.", assessor=editor
            )


SERVED_FROM_CACHE = 3
# The pages with a Follow button (dialogue, objective, agency, commitment) read what the user follows,
# for the button's state (one query: tracker/context_processors.py). The header's count of news costs
# no page anything: htmx fetches it after the page has loaded (tracker:following_news, pinned below).
FOLLOW_BUTTON = 1
# name: (url, headers, queries the first time, queries when asked again with the data unchanged)
PAGES = {
    "overview": (lambda p: "/", {}, 8, SERVED_FROM_CACHE),
    # The facets cost one query: unfiltered, or by status and dialogue only, read from the maintained
    # counts (tracker/counts.py); with other filters, one UNION of a part per facet, each counting the
    # matching commitments or, where the facet's own filter is the only other one, reading the
    # maintained counts. The rows cost two: the page, then its themes and lead agencies (one UNION).
    "list": (lambda p: "/commitments/", {}, 7, SERVED_FROM_CACHE),
    "list by status and dialogue": (
        lambda p: f"/commitments/?status=on_track&status=not_started&dialogue={p.dialogue.slug}",
        {},
        7,
        SERVED_FROM_CACHE,
    ),
    "list fragment by status": (lambda p: "/commitments/?status=on_track", HTMX, 7, SERVED_FROM_CACHE),
    "list filtered": (
        lambda p: "/commitments/?theme=t0&agency=a0&role=lead&status=on_track&q=Commit",
        {},
        7,
        SERVED_FROM_CACHE,
    ),
    "list fragment": (lambda p: "/commitments/?theme=t1&sort=-progress", HTMX, 7, SERVED_FROM_CACHE),
    "csv": (lambda p: "/commitments/export.csv?country=US", {}, 5, 5),
    "csv due soon": (lambda p: "/commitments/export.csv?due=soon", {}, 5, 5),
    "xlsx": (lambda p: "/commitments/export.xlsx?country=US&theme=t0", {}, 5, 5),
    # 7: the themes here belong to no dialogue, so the dialogue has no cards and none of their
    # counts are read (a dialogue with objectives makes 8, as the overview of every dialogue does).
    "overview of one dialogue": (
        lambda p: f"/?dialogue={p.dialogue.slug}",
        {},
        7,
        SERVED_FROM_CACHE,
    ),
    "agencies": (lambda p: "/agencies/", {}, 4, 4),
    # +2 since the country's scores: the commitments with their dialogue's latest round, and (a
    # round having been held here, see build) that round's assessments.
    "agency": (lambda p: "/agencies/a0/", {}, 9 + FOLLOW_BUTTON, 9 + FOLLOW_BUTTON),
    # 2 of these read the last 12 months for the charts; 2 the first commitments and their lead agencies.
    "theme": (lambda p: "/themes/t0/", {}, 8 + FOLLOW_BUTTON, 8 + FOLLOW_BUTTON),
    # Whoever looks, one query reads the data's tokens, their permissions (for the forms) and whether
    # they follow the commitment (the Follow button): selectors.reader_state, in place of the tokens'
    # own, Django's two and the button's. Served from the cache, that is all but the session and the user. An editor's trail is the cached one with their withdraw forms added
    # (views._detail_context): no query of its own, computed or from the cache. Computed, the page's own are 7 (selectors.CommitmentPage): the commitment with its dialogue, source and parent; its
    # themes and agencies (one UNION); its trail; its dependencies with its sub-commitments; its
    # assessments; the trail's and the assessments' evidence files (one query); the rounds.
    "commitment": (
        lambda p: f"/commitments/{p.pk}/",
        {},
        10,
        SERVED_FROM_CACHE,
    ),
    "source": (lambda p: f"/sources/{p.source_id}/", {}, 4, 4),
    # Dialogues and rounds (2).
    "dialogues": (lambda p: "/dialogues/", {}, 4, 4),
    # The dialogue and its rounds, outside the cached body (2); computed: its themes, commitments,
    # their theme links and the assessments of the latest round (4).
    "dialogue": (
        lambda p: f"/dialogues/{p.dialogue.slug}/",
        {},
        9 + FOLLOW_BUTTON,
        SERVED_FROM_CACHE + 2 + FOLLOW_BUTTON,
    ),
    # As the dialogue page, and the agencies for the filter form (1).
    "scorecard": (
        lambda p: f"/dialogues/{p.dialogue.slug}/scorecard/",
        {},
        10,
        SERVED_FROM_CACHE + 2,
    ),
    "scorecard filtered": (
        lambda p: f"/dialogues/{p.dialogue.slug}/scorecard/?round=1&theme=t0&agency=a0",
        {},
        10,
        SERVED_FROM_CACHE + 2,
    ),
    "scorecard csv": (lambda p: f"/dialogues/{p.dialogue.slug}/scorecard/export.csv?theme=t1", {}, 8, 8),
    # Not cached. The dialogue, its rounds, themes, participations, commitments, their state at the
    # period's start, the updates in it, the round's assessments, blockers and theme links (10).
    "briefing": (lambda p: f"/dialogues/{p.dialogue.slug}/briefing/", {}, 12, 12),
    "briefing filtered": (
        lambda p: f"/dialogues/{p.dialogue.slug}/briefing/?since=2024-03-01&agency=a0&country=US",
        {},
        12,
        12,
    ),
}


def queries_for(client, url, headers):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("name", PAGES)
def test_query_count_does_not_grow_with_the_data(
    client, editor, make_commitments, name, django_assert_num_queries
):
    url_of, headers, first, again = PAGES[name]
    client.force_login(editor)
    parent = build(make_commitments, editor, 5)
    with django_assert_num_queries(first):
        client.get(url_of(parent), **headers)
    with django_assert_num_queries(again):
        client.get(url_of(parent), **headers)
    make_commitments(45, dialogue=parent.dialogue)
    for extra in Commitment.objects.exclude(source__isnull=False):
        Commitment.objects.filter(pk=extra.pk).update(parent=parent, source=parent.source, quote="we will")
    Agency.objects.create(
        slug="a9", name="Agency 9", country="GB"
    )  # a write: the cached pages are recomputed
    with django_assert_num_queries(first):
        client.get(url_of(parent), **headers)
    with django_assert_num_queries(again):
        client.get(url_of(parent), **headers)


@pytest.mark.parametrize("url", ["/commitments/?due=soon&due=overdue", "/commitments/export.csv?due=soon"])
def test_the_due_soon_list_costs_what_the_list_costs(
    client, editor, make_commitments, url, django_assert_num_queries
):
    """Due soon is a condition of the rows' own query (reading the dialogue's cadence by a join):
    no query of its own, however many rows it lists."""
    client.force_login(editor)
    first = PAGES["list filtered"][2] if "export" not in url else PAGES["csv"][2]
    parent = build(make_commitments, editor, 5)
    soon = timezone.localdate() + datetime.timedelta(days=3)
    Commitment.objects.update(due_on=soon)
    with django_assert_num_queries(first):
        response = client.get(url)
    make_commitments(45, dialogue=parent.dialogue)
    Commitment.objects.update(due_on=soon)
    with django_assert_num_queries(first):
        response = client.get(url)
    listed = response.context["browser"].total if "export" not in url else response.content.count(b"\n") - 1
    assert listed == 50


def test_posting_an_update_has_a_fixed_query_count(
    client, editor, make_commitments, django_assert_num_queries
):
    client.force_login(editor)
    parent = build(make_commitments, editor, 5)
    data = {
        "reported_on": "2024-02-01",
        "status": "at_risk",
        "reason": "funding",
        "progress": "30",
        "text": "Slipping.",
    }
    # Auth and permissions 4, the commitment 1, the form's constraint checks 9 (with savepoints), the
    # service 9 (with the duplicate check, the new data token and the token of the commitment's page:
    # caching.trail_changed), the trail 1 and its files 1.
    with django_assert_num_queries(25):
        response = client.post(f"/commitments/{parent.pk}/updates/", data, **HTMX)
    assert response.status_code == 200


def test_posting_an_update_that_moves_the_status_has_a_fixed_query_count(
    client, editor, make_commitments, django_assert_num_queries
):
    client.force_login(editor)
    parent = build(make_commitments, editor, 5)
    data = {
        "reported_on": timezone.localdate().isoformat(),
        "status": "at_risk",
        "reason": "funding",
        "progress": "30",
        "text": "Slip.",
    }
    # As above, and the commitment's derived state kept in step (the back-dated update above leaves it
    # as it is): its row (one UPDATE), its history row, a copy of its theme links and of its blockers
    # (one INSERT ... SELECT each, tracker/models/history.py), the data token again and the tokens of
    # the lists and pages scoped to it (one INSERT ... SELECT, caching.state_moved).
    with django_assert_num_queries(31):
        response = client.post(f"/commitments/{parent.pk}/updates/", data, **HTMX)
    assert response.status_code == 200


def add_assessments_and_dependencies(commitment, others, editor, rounds):
    """`rounds` rounds of the commitment's dialogue, each side assessed at each (and corrected once),
    and the commitment blocked by half of `others` and blocking the other half."""
    first = Round.objects.filter(dialogue=commitment.dialogue).count() + 1
    for number in range(first, first + rounds):
        held = Round.objects.create(dialogue=commitment.dialogue, number=number, held_on="2024-06-01")
        for party in ("US", "FR"):
            for score, rationale in ((-1, "First look."), (0, "Corrected.")):
                services.assessment_create(
                    commitment=commitment,
                    round=held,
                    party=party,
                    score=score,
                    rationale=rationale,
                    evidence="https://example.org/a\nhttps://example.org/b",
                    assessor=editor,
                )
    half = len(others) // 2
    commitment.blocked_by.add(*others[:half])
    for other in others[half:]:
        other.blocked_by.add(commitment)


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_commitment_page_query_count_does_not_grow_with_rounds_assessments_or_dependencies(
    client, request, editor, make_commitments, role, django_assert_num_queries
):
    """The pins above, with a page that shows rounds, assessments (some superseded) and dependencies,
    at 2 rounds and 4 related commitments, then at 12 rounds and 44."""
    client.force_login(request.getfixturevalue(role))
    # Viewer and editor alike: the trail an editor sees is the cached one with their forms added;
    # their permissions and the Follow button's state are one query (selectors.reader_state).
    first, again = 10, SERVED_FROM_CACHE
    parent = build(make_commitments, editor, 5)
    others = list(Commitment.objects.exclude(pk=parent.pk))
    add_assessments_and_dependencies(parent, others, editor, rounds=2)
    url = f"/commitments/{parent.pk}/"
    for _ in range(2):
        with django_assert_num_queries(first):
            client.get(url)
        with django_assert_num_queries(again):
            client.get(url)
        more = make_commitments(40, dialogue=parent.dialogue)
        add_assessments_and_dependencies(parent, more, editor, rounds=10)
    assert "Corrected." in client.get(url).content.decode()


def test_posting_an_assessment_has_a_fixed_query_count(
    client, editor, make_commitments, django_assert_num_queries
):
    client.force_login(editor)
    parent = build(make_commitments, editor, 5)
    add_assessments_and_dependencies(parent, [], editor, rounds=3)
    held = Round.objects.filter(dialogue=parent.dialogue).last()
    data = {"round": held.pk, "party": "US", "score": "1", "rationale": "Done.", "assessed_on": "2024-07-01"}
    # Auth and permissions 4, the commitment and its dialogue's rounds 2, the service 11 (that the
    # commitment and the round exist, the score's constraint, the duplicate check, the row and its
    # history row, the new data token, with savepoints), then the answer's assessments 1 and their
    # evidence files 1.
    with django_assert_num_queries(19):
        response = client.post(f"/commitments/{parent.pk}/assessments/", data, **HTMX)
    assert response.status_code == 200


def test_viewers_get_the_commitment_page_from_the_cache(client, viewer, editor, make_commitments):
    client.force_login(viewer)
    parent = build(make_commitments, editor, 5)
    queries_for(client, f"/commitments/{parent.pk}/", {})
    # The data's tokens with their permissions and the Follow button's state (one query:
    # selectors.reader_state).
    assert queries_for(client, f"/commitments/{parent.pk}/", {}) == SERVED_FROM_CACHE


# The as-of pages and what changed. Every commitment has updates on both sides of PAST (and the
# window FROM..TO), and some are announced after PAST, so the past state is really read from the
# trail: the latest update by then, not today's stored status.
PAST, FROM, TO = "2025-06-30", "2025-01-01", "2026-06-30"
TRAIL = (
    ("2024-03-01", Status.AT_RISK, 10),  # before FROM and PAST
    ("2025-03-01", Status.OFF_TRACK, 20),  # in the window, before PAST
    ("2025-09-01", Status.ON_TRACK, 40),  # in the window, after PAST
    (None, Status.ON_TRACK, 60),  # today: after TO
)


def add_trail(commitments, editor):
    for c in commitments:
        for reported_on, status, progress in TRAIL:
            services.status_update_create(
                commitment=c,
                author=editor,
                status=status,
                # The past pages filter by this reason (see "list by reason, blocked, as of").
                reason=SlipReason.FUNDING if status in SLIP_STATUSES else "",
                progress=progress,
                text="x",
                reported_on=reported_on,
            )


def build_history(make_commitments, editor, n, dialogue=None):
    """n commitments with the trail above; the first (the parent of the others) has a source, the
    odd ones are announced between PAST and TO (new in the window, absent as of PAST)."""
    commitments = make_commitments(n, dialogue=dialogue)
    parent = Commitment.objects.filter(parent__isnull=True, source__isnull=False).first()
    if parent is None:
        parent = commitments[0]
        source = SourceDocument.objects.create(
            title="Release", published_on="2024-01-01", text="we will do things"
        )
        Commitment.objects.filter(pk=parent.pk).update(source=source, quote="we will")
    for i, c in enumerate(commitments):
        if c.pk != parent.pk:
            announced = "2025-12-01" if i % 2 else "2024-01-01"
            Commitment.objects.filter(pk=c.pk).update(parent=parent, announced_on=announced)
    add_trail(commitments, editor)
    for c in commitments:
        if c.pk != parent.pk:
            services.commitment_set_blockers(commitment=c, blockers=[parent])
    parent.refresh_from_db()
    assert parent.dialogue.slug  # loaded here, so a URL naming it costs the pinned request nothing
    return parent


# name: (url, headers, queries the first time, queries when asked again with the data unchanged)
# A past day's list counts its facets from the commitments, in one UNION (see PAGES); a past day's
# overview counts its cards and what needs attention, and chooses its list of ten, in one statement
# (selectors.overview.past_figures), then reads those ten.
PAST_PAGES = {
    "overview as of": (lambda p: f"/?as_of={PAST}", {}, 7, SERVED_FROM_CACHE),
    "overview of one dialogue as of": (
        lambda p: f"/?as_of={PAST}&dialogue={p.dialogue.slug}",
        {},
        7,
        SERVED_FROM_CACHE,
    ),
    "list as of": (lambda p: f"/commitments/?as_of={PAST}", {}, 7, SERVED_FROM_CACHE),
    "list fragment as of": (
        lambda p: f"/commitments/?theme=t1&status=off_track&sort=-progress&as_of={PAST}",
        HTMX,
        7,
        SERVED_FROM_CACHE,
    ),
    # Every commitment but the parent is blocked by it, off track for lack of funding as of PAST.
    "list by reason, blocked, as of": (
        lambda p: f"/commitments/?reason=funding&blocked=1&as_of={PAST}",
        {},
        7,
        SERVED_FROM_CACHE,
    ),
    "list due soon as of": (lambda p: f"/commitments/?due=soon&as_of={PAST}", {}, 7, SERVED_FROM_CACHE),
    "csv as of": (lambda p: f"/commitments/export.csv?country=US&as_of={PAST}", {}, 5, 5),
    "xlsx as of": (lambda p: f"/commitments/export.xlsx?country=US&as_of={PAST}", {}, 5, 5),
    "agencies as of": (lambda p: f"/agencies/?as_of={PAST}", {}, 4, 4),
    "agency as of": (lambda p: f"/agencies/a0/?as_of={PAST}", {}, 8 + FOLLOW_BUTTON, 8 + FOLLOW_BUTTON),
    "theme as of": (lambda p: f"/themes/t0/?as_of={PAST}", {}, 8 + FOLLOW_BUTTON, 8 + FOLLOW_BUTTON),
    # Read-only in the past: no update form, but the same one query for the tokens, permissions and
    # Follow button as today's page; the page's own 7 reads as today's (see "commitment" above).
    "commitment as of": (
        lambda p: f"/commitments/{p.pk}/?as_of={PAST}",
        {},
        10,
        SERVED_FROM_CACHE,
    ),
    # Computed: the kinds counted by the database (one query), the objectives' sizes, the shown
    # rows of this page's objectives classified alone, themes, then titles and updates of the rows
    # shown; the filter form's options from the same themes' read (none of their own), cached
    # with the form. With no filter the sizes are three cheap queries instead of one count over
    # every commitment and link: the maintained counts, the commitments announced after the window,
    # those under no objective.
    "changes": (lambda p: f"/changes/?from={FROM}&to={TO}", {}, 11, SERVED_FROM_CACHE),
    "changes fragment": (lambda p: f"/changes/?from={FROM}&to={TO}&theme=t0", HTMX, 9, SERVED_FROM_CACHE),
    "changes due soon": (lambda p: f"/changes/?from={FROM}&to={TO}&due=soon", HTMX, 9, SERVED_FROM_CACHE),
    "changes csv": (lambda p: f"/changes/export.csv?from={FROM}&to={TO}", {}, 7, 7),
}


@pytest.mark.parametrize("name", PAST_PAGES)
def test_past_pages_query_count_does_not_grow_with_the_data(
    client, editor, make_commitments, name, django_assert_num_queries
):
    url_of, headers, first, again = PAST_PAGES[name]
    client.force_login(editor)
    parent = build_history(make_commitments, editor, 5)
    with django_assert_num_queries(first):
        client.get(url_of(parent), **headers)
    with django_assert_num_queries(again):
        client.get(url_of(parent), **headers)
    build_history(make_commitments, editor, 45, dialogue=parent.dialogue)  # a write: pages recomputed
    assert Commitment.objects.count() == 50
    with django_assert_num_queries(first):
        client.get(url_of(parent), **headers)
    with django_assert_num_queries(again):
        client.get(url_of(parent), **headers)


def test_the_past_pages_above_really_read_the_trail(client, editor, make_commitments):
    """A check on the data the pins above use: as of PAST the list holds only the commitments
    announced by then, each with the state of its update before PAST, not today's."""
    client.force_login(editor)
    build_history(make_commitments, editor, 5)
    today = client.get("/commitments/").context["browser"]
    past = client.get(f"/commitments/?as_of={PAST}").context["browser"]
    assert today.total == 5
    assert {(c.status, c.progress) for c in today.page} == {(Status.ON_TRACK, 60)}
    assert past.total == 3  # the parent and the even ones; the odd ones came later
    assert {(c.status, c.progress) for c in past.page} == {(Status.OFF_TRACK, 20)}
    blocked = client.get(f"/commitments/?reason=funding&blocked=1&as_of={PAST}").context["browser"]
    assert blocked.total == 2  # the even ones, blocked by the parent off track then


def follow_one_of_each(user, n, editor, first=0):
    """`n` each of dialogues, themes, agencies and commitments followed by `user`, with updates
    recorded since their last visit (so the page lists news and marks commitments new)."""
    from tracker.models import Dialogue, Theme

    for i in range(first, first + n):
        dialogue = Dialogue.objects.create(
            name=f"Followed {i}", slug=f"followed-{i}", parties="US,FR", announced_on="2024-01-01"
        )
        theme = Theme.objects.create(
            name=f"Followed theme {i}", slug=f"followed-theme-{i}", dialogue=dialogue
        )
        agency = Agency.objects.create(name=f"Followed agency {i}", slug=f"followed-agency-{i}", country="US")
        commitment = Commitment.objects.create(
            dialogue=dialogue,
            title=f"Followed commitment {i}",
            announced_on="2024-01-01",
            due_on="2024-06-01",
        )
        commitment.themes.add(theme)
        commitment.participations.create(agency=agency, role="lead")
        for target in (dialogue, theme, agency, commitment):
            services.follow_create(user=user, target=target)
        services.status_update_create(
            commitment=commitment, author=editor, status=Status.ON_TRACK, progress=10 * (i % 10), text="x"
        )


def test_what_i_follow_makes_a_fixed_number_of_queries(client, viewer, editor, django_assert_num_queries):
    """Session, user; the follows with their targets, the news count and the last visit (1); the
    visit recorded (1); counts by status of the dialogues, themes and agencies followed (3); the
    newest updates (1); the covered commitments, counted and a page of them (2). The header's count
    is the page's own: no query of its own here."""
    client.force_login(viewer)
    for first, n in ((0, 2), (2, 18)):  # 2 of each kind followed, then 20
        follow_one_of_each(viewer, n, editor, first)
        services.follow_visit_record(user=viewer, at=timezone.now() - datetime.timedelta(days=1))
        with django_assert_num_queries(10):
            response = client.get("/following/")
        assert response.status_code == 200 and response.context["page"].news > 0


def test_the_header_count_of_news_costs_pages_nothing_and_its_own_request_one_query(
    client, viewer, editor, django_assert_num_queries
):
    """The overview and the list read nothing about follows (htmx asks for the count after the page);
    the count's own request: session, user, the follows with their news (1)."""
    client.force_login(viewer)
    for first, n in ((0, 2), (2, 18)):
        follow_one_of_each(viewer, n, editor, first)
        services.follow_visit_record(user=viewer, at=timezone.now() - datetime.timedelta(days=1))
        with django_assert_num_queries(3):
            response = client.get("/following/news/", HTTP_HX_REQUEST="true")
        assert 'class="news-count"' in response.content.decode()
        for url in ("/", "/commitments/"):
            with CaptureQueriesContext(connection) as captured:
                client.get(url)
            assert not any("tracker_follow" in q["sql"] for q in captured.captured_queries), url

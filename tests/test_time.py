"""The tracker as it stood on any past day (`?as_of=`), built from the trail alone."""

import csv
import datetime
import io
import re

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import reason_for
from tracker import services
from tracker.models import (
    Agency,
    Commitment,
    Dialogue,
    Participation,
    Role,
    SlipReason,
    Status,
    StatusUpdate,
    Theme,
)

HTMX = {"HTTP_HX_REQUEST": "true"}
D = datetime.date
FOUNDED = D(2021, 1, 1)


@pytest.fixture
def world(db):
    """One dialogue, one theme, one agency: commitments are added by `commit`."""
    dialogue = Dialogue.objects.create(
        name="Space", slug="space", parties="US,FR", announced_on=D(2021, 1, 1)
    )
    theme = Theme.objects.create(name="Climate", slug="climate")
    agency = Agency.objects.create(name="Space Agency", acronym="SA", slug="sa", country="US")
    return dialogue, theme, agency


@pytest.fixture
def commit(world):
    dialogue, theme, agency = world
    made = []

    def make(title, announced_on=FOUNDED, due_on=None):
        c = Commitment.objects.create(
            dialogue=dialogue,
            slug=f"c{len(made)}",
            title=title,
            announced_on=announced_on,
            due_on=due_on,
        )
        c.themes.add(theme)
        Participation.objects.create(commitment=c, agency=agency, role=Role.LEAD)
        made.append(c)
        return c

    return make


def report(commitment, author, day, status, progress, text="Reported."):
    return services.status_update_create(
        commitment=commitment,
        author=author,
        status=status,
        **reason_for(status),
        progress=progress,
        text=text,
        reported_on=day,
    )


def as_of_pages(commitment) -> list[str]:
    """Every page that takes ?as_of= (the world fixture's agency and theme)."""
    return [
        "/",
        "/commitments/",
        "/agencies/",
        "/agencies/sa/",
        "/themes/climate/",
        f"/commitments/{commitment.pk}/",
    ]


def without_csrf(response) -> str:
    """The page with its CSRF tokens blanked: they differ between any two responses."""
    page = response.content.decode()
    return re.sub(r'("X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]+', r"\1", page)


def listed(client, query):
    response = client.get(f"/commitments/?{query}")
    assert response.status_code == 200
    return {c.title: (c.status, c.progress) for c in response.context["browser"].page.object_list}


# --- the state on a day ------------------------------------------------------------------------


def test_list_as_of_shows_each_status_as_last_reported_by_that_day(viewer_client, commit, editor):
    c = commit("Exchange data")
    report(c, editor, D(2022, 1, 10), Status.ON_TRACK, 20)
    report(c, editor, D(2022, 6, 1), Status.AT_RISK, 30)
    report(c, editor, timezone.localdate(), Status.COMPLETED, 100)
    assert listed(viewer_client, "as_of=2022-03-01") == {"Exchange data": (Status.ON_TRACK, 20)}
    assert listed(viewer_client, "as_of=2022-06-01") == {"Exchange data": (Status.AT_RISK, 30)}
    assert listed(viewer_client, "as_of=2022-01-09") == {"Exchange data": (Status.NOT_STARTED, 0)}
    assert listed(viewer_client, "") == {"Exchange data": (Status.COMPLETED, 100)}


def test_a_back_dated_correction_counts_from_the_day_it_describes(viewer_client, commit, editor):
    c = commit("Exchange data")
    report(c, editor, D(2022, 5, 1), Status.ON_TRACK, 40)
    report(c, editor, D(2022, 3, 1), Status.OFF_TRACK, 10)  # recorded later, describes March
    assert listed(viewer_client, "as_of=2022-04-01") == {"Exchange data": (Status.OFF_TRACK, 10)}
    assert listed(viewer_client, "as_of=2022-05-01") == {"Exchange data": (Status.ON_TRACK, 40)}


def test_commitments_announced_after_the_day_are_not_shown(viewer_client, commit):
    commit("Old", announced_on=D(2021, 1, 1))
    commit("New", announced_on=D(2023, 1, 1))
    assert set(listed(viewer_client, "as_of=2022-01-01")) == {"Old"}
    assert set(listed(viewer_client, "as_of=2023-01-01")) == {"Old", "New"}


def test_status_filter_and_facets_count_the_state_on_that_day(viewer_client, commit, editor):
    a, b = commit("A"), commit("B")
    report(a, editor, D(2022, 1, 1), Status.AT_RISK, 10)
    report(b, editor, D(2022, 1, 1), Status.ON_TRACK, 10)
    report(a, editor, D(2023, 1, 1), Status.ON_TRACK, 50)
    assert set(listed(viewer_client, "as_of=2022-06-01&status=at_risk")) == {"A"}
    assert set(listed(viewer_client, "status=at_risk")) == set()
    facets = viewer_client.get("/commitments/?as_of=2022-06-01").context["browser"].facets
    status_counts = {o.value: o.count for o in facets[0].options}
    assert status_counts[Status.AT_RISK] == 1 and status_counts[Status.ON_TRACK] == 1


def test_overdue_and_stale_are_judged_against_the_day(viewer_client, commit, editor):
    c = commit("Due in 2022", due_on=D(2022, 6, 30))
    report(c, editor, D(2022, 1, 1), Status.ON_TRACK, 10)
    assert set(listed(viewer_client, "as_of=2022-06-30&due=overdue")) == set()
    assert set(listed(viewer_client, "as_of=2022-07-01&due=overdue")) == {"Due in 2022"}
    assert set(listed(viewer_client, "as_of=2022-03-01&stale=1")) == set()
    assert set(listed(viewer_client, "as_of=2022-04-02&stale=1")) == {"Due in 2022"}  # 91 days on


def test_withdrawn_updates_do_not_count_on_any_day(viewer_client, commit, editor):
    c = commit("A")
    report(c, editor, D(2022, 1, 1), Status.ON_TRACK, 10)
    wrong = report(c, editor, D(2022, 2, 1), Status.OFF_TRACK, 0)
    StatusUpdate.objects.filter(pk=wrong.pk).update(withdrawn_at=timezone.now(), withdrawn_by=editor)
    assert listed(viewer_client, "as_of=2022-03-01") == {"A": (Status.ON_TRACK, 10)}


def test_as_of_today_gives_exactly_the_page_without_it(viewer_client, commit, editor):
    c = commit("A", due_on=D(2022, 1, 1))
    report(c, editor, D(2022, 1, 1), Status.AT_RISK, 10)
    today = timezone.localdate().isoformat()
    for path in as_of_pages(c):
        dated = viewer_client.get(f"{path}?as_of={today}", follow=True)
        assert dated.redirect_chain == [(path, 302)]
        assert without_csrf(dated) == without_csrf(viewer_client.get(path)), path


# --- the pages ----------------------------------------------------------------------------------


def test_every_as_of_page_says_so_and_links_back_to_today(viewer_client, commit, editor):
    c = commit("A")
    report(c, editor, D(2022, 1, 1), Status.ON_TRACK, 10)
    for path in as_of_pages(c):
        page = viewer_client.get(f"{path}?as_of=2022-06-30").content.decode()
        assert "As it stood on 30 June 2022" in page, path
        assert f'href="{path}">Back to today</a>' in page, path


def test_links_inside_an_as_of_page_keep_the_date(viewer_client, commit, editor):
    c = commit("A")
    report(c, editor, D(2022, 1, 1), Status.ON_TRACK, 10)
    overview = viewer_client.get("/?as_of=2022-06-30").content.decode()
    assert f'href="/commitments/{c.pk}/?as_of=2022-06-30"' in overview
    assert 'href="/themes/climate/?as_of=2022-06-30"' in overview
    assert 'href="/commitments/?theme=climate&amp;status=on_track&amp;as_of=2022-06-30"' in overview
    listing = viewer_client.get("/commitments/?as_of=2022-06-30").content.decode()
    assert f'href="/commitments/{c.pk}/?as_of=2022-06-30"' in listing
    assert 'value="2022-06-30"' in listing  # the date field of the filter form keeps it for htmx
    detail = viewer_client.get(f"/commitments/{c.pk}/?as_of=2022-06-30").content.decode()
    assert 'href="/themes/climate/?as_of=2022-06-30"' in detail
    assert 'href="/agencies/sa/?as_of=2022-06-30"' in detail


def test_the_list_fragment_swaps_the_banner_too(viewer_client, commit):
    commit("A")
    fragment = viewer_client.get("/commitments/?as_of=2022-06-30", **HTMX).content.decode()
    assert 'id="as-of-banner" hx-swap-oob="true"' in fragment
    assert "As it stood on 30 June 2022" in fragment


def test_commitment_page_cuts_the_trail_at_the_day_and_offers_no_form(editor_client, commit, editor):
    c = commit("A")
    report(c, editor, D(2022, 1, 1), Status.ON_TRACK, 10, text="January news")
    report(c, editor, D(2022, 8, 1), Status.AT_RISK, 20, text="August news")
    past = editor_client.get(f"/commitments/{c.pk}/?as_of=2022-06-30").content.decode()
    assert "January news" in past and "August news" not in past
    assert 'id="update-form"' not in past
    assert 'id="update-form"' in editor_client.get(f"/commitments/{c.pk}/").content.decode()


def test_commitment_not_yet_announced_on_the_day_is_not_found(viewer_client, commit):
    c = commit("Later", announced_on=D(2023, 1, 1))
    assert viewer_client.get(f"/commitments/{c.pk}/?as_of=2022-06-30").status_code == 404


def test_overview_as_of_counts_and_latest_updates(viewer_client, commit, editor):
    a, b = commit("A"), commit("B", announced_on=D(2023, 1, 1))
    report(a, editor, D(2022, 1, 1), Status.OFF_TRACK, 10, text="Stuck")
    report(a, editor, D(2023, 2, 1), Status.ON_TRACK, 50, text="Unstuck")
    report(b, editor, D(2023, 2, 1), Status.ON_TRACK, 10)
    overview = viewer_client.get("/?as_of=2022-06-30").context["overview"]
    card = next(t for t in overview.themes if t.slug == "climate")
    assert card.n == 1
    assert {s.value: s.count for s in card.by_status}[Status.OFF_TRACK] == 1
    assert overview.attention["off_track"] == 1
    assert [u.text for u in overview.latest_updates] == ["Stuck"]


def test_agency_and_theme_pages_as_of(viewer_client, commit, editor):
    a = commit("A")
    report(a, editor, D(2022, 1, 1), Status.AT_RISK, 10)
    report(a, editor, D(2023, 1, 1), Status.COMPLETED, 100)
    theme = viewer_client.get("/themes/climate/?as_of=2022-06-30").context
    assert {s.value: s.count for s in theme["counts"]}[Status.AT_RISK] == 1
    assert theme["mean_progress"] == 10
    agency = viewer_client.get("/agencies/sa/?as_of=2022-06-30").context
    assert {s.value: s.count for s in agency["counts"]}[Status.AT_RISK] == 1
    countries = viewer_client.get("/agencies/?as_of=2022-06-30").context["countries"]
    assert countries[0].agencies[0].by_status[Status.values.index(Status.AT_RISK)].count == 1


def test_csv_as_of_has_the_state_on_that_day_and_dated_links(viewer_client, commit, editor):
    c = commit("A", due_on=D(2022, 3, 1))
    report(c, editor, D(2022, 1, 1), Status.ON_TRACK, 10)
    report(c, editor, D(2023, 1, 1), Status.COMPLETED, 100)
    response = viewer_client.get("/commitments/export.csv?as_of=2022-06-30")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(r["status"], r["progress"], r["overdue"]) for r in rows] == [("On track", "10", "yes")]
    assert rows[0]["url"].endswith(f"/commitments/{c.pk}/?as_of=2022-06-30")
    assert 'filename="commitments-2022-06-30.csv"' in response["Content-Disposition"]


# --- bad dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, message",
    [
        ("30/06/2022", "is not a date"),
        ("2022-02-30", "is not a date"),
        ("1899-12-31", "1900 or later"),
        ("2999-01-01", "in the future"),
        ("2022-06-30&as_of=2022-07-01", "given 2 times"),
    ],
)
@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/commitments/",
        "/commitments/export.csv",
        "/commitments/export.xlsx",
        "/agencies/",
        "/themes/climate/",
    ],
)
def test_a_date_that_cannot_be_used_gets_a_clear_400(viewer_client, world, path, value, message):
    response = viewer_client.get(f"{path}?as_of={value}")
    assert response.status_code == 400
    assert message in response.content.decode()


# --- the property: the state on a day is the latest update reported by then ---------------------

TRAILS = st.lists(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=60),  # day offset of the report
            st.sampled_from(Status.values),
            st.integers(min_value=0, max_value=100),
        ),
        max_size=6,
    ),
    min_size=1,
    max_size=4,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(trails=TRAILS, offsets=st.lists(st.integers(min_value=-5, max_value=65), min_size=1, max_size=4))
def test_state_on_any_day_is_the_latest_update_reported_by_then(
    viewer_client, commit, editor, trails, offsets
):
    StatusUpdate.objects.all().delete()
    Commitment.objects.all().delete()
    start = D(2022, 1, 1)
    commitments = []
    for i, trail in enumerate(trails):
        c = commit(f"C{i}")
        commitments.append((c, []))
        for order, (offset, status, progress) in enumerate(trail):
            report(c, editor, start + datetime.timedelta(days=offset), status, progress)
            commitments[-1][1].append((offset, order, status, progress))
    for offset in offsets:
        day = start + datetime.timedelta(days=offset)
        expected = {}
        for c, trail in commitments:
            reported = [t for t in trail if t[0] <= offset]
            latest = max(reported, default=None)  # by day, then by recording order
            expected[c.title] = (latest[2], latest[3]) if latest else (Status.NOT_STARTED, 0)
        assert listed(viewer_client, f"as_of={day.isoformat()}") == expected
        cards = viewer_client.get(f"/?as_of={day.isoformat()}").context["overview"].themes
        counts = {s.value: s.count for s in next(t for t in cards if t.slug == "climate").by_status}
        for status in Status.values:
            assert counts[status] == sum(1 for v in expected.values() if v[0] == status)


@pytest.fixture
def two_dialogues(db, editor):
    """Commitments of two dialogues, with objectives, agencies of two countries in both roles,
    due dates, review cadences, blockers and trails that change after the day: two updates on one
    day (the later recorded counts), one withdrawn, one reported on the day itself, one after it, a
    commitment never reported on and one announced after the day (a blocker overdue by then)."""
    space = Dialogue.objects.create(name="Space", slug="space", parties="US,FR", announced_on=FOUNDED)
    ocean = Dialogue.objects.create(
        name="Ocean", slug="ocean", parties="US,FR", announced_on=FOUNDED, review_every_days=60
    )
    climate = Theme.objects.create(name="Climate", slug="climate", dialogue=space)
    stem = Theme.objects.create(name="STEM", slug="stem", dialogue=space)
    seabed = Theme.objects.create(name="Seabed", slug="seabed", dialogue=ocean)
    nasa = Agency.objects.create(name="NASA", slug="nasa", country="US")
    noaa = Agency.objects.create(name="NOAA", slug="noaa", country="US")
    cnes = Agency.objects.create(name="CNES", slug="cnes", country="FR")

    def commitment(title, dialogue, themes, lead, partner=None, announced_on=FOUNDED, **fields):
        c = Commitment.objects.create(
            dialogue=dialogue, slug=title.lower(), title=title, announced_on=announced_on, **fields
        )
        c.themes.set(themes)
        Participation.objects.create(commitment=c, agency=lead, role=Role.LEAD)
        if partner:
            Participation.objects.create(commitment=c, agency=partner, role=Role.PARTNER)
        return c

    def update(c, day, status, reason=""):
        return services.status_update_create(
            commitment=c,
            author=editor,
            status=status,
            progress=10 + day.month,
            text="News.",
            reported_on=day,
            reason=reason,
        )

    a = commitment("A", space, [climate], nasa, cnes, due_on=D(2022, 6, 1))
    update(a, D(2022, 1, 1), Status.AT_RISK, SlipReason.FUNDING)
    update(a, D(2023, 1, 1), Status.ON_TRACK)
    b = commitment("B", space, [climate, stem], cnes, due_on=D(2022, 7, 5))
    update(b, D(2022, 3, 1), Status.OFF_TRACK, SlipReason.LEGAL)
    update(b, D(2022, 3, 1), Status.ON_TRACK)  # the same day, recorded later: it counts
    c = commitment("C", space, [stem], nasa, noaa, review_every_days=30)
    update(c, D(2022, 2, 1), Status.AT_RISK, SlipReason.TECHNICAL)
    wrong = update(c, D(2022, 5, 1), Status.OFF_TRACK, SlipReason.LEGAL)
    services.status_update_withdraw(update=wrong, by=editor, reason="Reported on the wrong commitment.")
    d = commitment("D", ocean, [seabed], noaa, nasa, due_on=D(2022, 3, 10))  # never reported on
    e = commitment("E", ocean, [seabed], cnes, announced_on=D(2023, 1, 1), due_on=D(2022, 1, 1))
    update(e, D(2023, 2, 1), Status.COMPLETED)
    f = commitment("F", ocean, [seabed], nasa)
    update(f, D(2022, 4, 1), Status.OFF_TRACK, SlipReason.FUNDING)
    update(f, D(2022, 6, 30), Status.AT_RISK, SlipReason.TECHNICAL)
    update(f, D(2023, 3, 1), Status.OFF_TRACK, SlipReason.LEGAL)
    g = commitment("G", space, [climate], cnes, due_on=D(2022, 2, 1))
    update(g, D(2022, 1, 15), Status.COMPLETED)
    a.blocked_by.add(f)
    b.blocked_by.add(c)
    d.blocked_by.add(e)
    g.blocked_by.add(f)  # completed: not counted as blocked


def judged_in_python(day: datetime.date, dialogue: str | None) -> tuple[dict, dict, list[str]]:
    """The overview's cards (by theme slug and status), attention counts and list of ten on `day`,
    each commitment read as of the day (Commitment.objects.as_of) and judged one by one by the
    rules' Python forms."""
    from collections import Counter

    from tracker import rules

    states = {c.pk: c for c in Commitment.objects.as_of(day).select_related("dialogue")}
    shown = {pk: c for pk, c in states.items() if dialogue is None or c.dialogue.slug == dialogue}
    cards = Counter()
    for link in Commitment.themes.through.objects.select_related("theme"):
        if link.commitment_id in shown:
            cards[(link.theme.slug, shown[link.commitment_id].status)] += 1
    troubling = {pk for pk, c in states.items() if rules.is_troubling_blocker(c.status, c.due_on, day)}
    blocked = {
        link.from_commitment_id
        for link in Commitment.blocked_by.through.objects.all()
        if link.to_commitment_id in troubling
    }
    attention = Counter()
    needing = []
    for pk, c in shown.items():
        if c.status in rules.CLOSED_STATUSES:
            continue
        cadence = rules.review_cadence_days(c.review_every_days, c.dialogue.review_every_days)
        attention["overdue"] += rules.is_overdue(c.status, c.due_on, day)
        attention["stale"] += rules.is_stale(c.status, c.last_update_on, c.announced_on, day)
        attention["due_soon"] += rules.is_due_soon(
            c.status, c.due_on, c.last_update_on, c.announced_on, cadence, day
        )
        attention[c.status] += 1
        attention["blocked"] += pk in blocked
        if c.slip_reason:
            attention[f"reason_{c.slip_reason}"] += 1
        if rules.needs_attention(c.status, c.due_on, c.last_update_on, c.announced_on, day):
            needing.append(c)
    needing.sort(
        key=lambda c: (
            rules.attention_urgency(c.status, c.due_on, day),
            (c.due_on is None, c.due_on or day),
            (c.last_update_on is not None, c.last_update_on or day),
            c.pk,
        )
    )
    return dict(cards), attention, [c.title for c in needing[:10]]


@pytest.mark.parametrize("dialogue", [None, "space", "ocean"])
@pytest.mark.parametrize("day", ["2022-01-20", "2022-03-01", "2022-06-30", "2023-06-01"])
def test_the_overview_as_of_a_day_counts_as_the_rules_judge_each_commitment_then(
    viewer_client, two_dialogues, day, dialogue
):
    query = f"as_of={day}" + (f"&dialogue={dialogue}" if dialogue else "")
    overview = viewer_client.get(f"/?{query}").context["overview"]
    cards, attention, ten = judged_in_python(D.fromisoformat(day), dialogue)
    shown = {
        (theme.slug, count.value): count.count
        for theme in overview.themes
        for count in theme.by_status
        if count.count
    }
    assert shown == cards
    for name, n in overview.attention.items():
        assert n == attention[name], name
    assert [c.title for c in overview.attention_list] == ten


@pytest.mark.parametrize("day", ["2022-03-01", "2022-06-30"])
@pytest.mark.parametrize(
    "query",
    [
        "",
        "status=at_risk",
        "status=on_track&status=off_track",
        "reason=funding",
        "reason=technical&status=at_risk",
        "dialogue=space",
        "dialogue=ocean&status=off_track",
        "theme=climate",
        "theme=stem&agency=cnes",
        "agency=nasa&role=lead",
        "country=FR",
        "country=US&role=partner&reason=legal",
    ],
)
def test_every_facet_as_of_a_day_counts_what_choosing_its_option_would_list(
    viewer_client, two_dialogues, day, query
):
    """Each option's count is the number of commitments the list shows, on that day, with that option
    chosen in place of its facet's own choices and every other filter kept."""
    from django.http import QueryDict

    from tracker.filters import CommitmentFilter

    asked = QueryDict(query, mutable=True)
    facets = viewer_client.get(f"/commitments/?{query}&as_of={day}").context["browser"].facets
    as_of = D.fromisoformat(day)
    # An agency and a country chosen together name one participation; each of the two facets counts
    # with the other's choice met by any participation: not what choosing both would list.
    apart = {"agency": "country", "country": "agency"}
    for facet in facets:
        if apart.get(facet.name) in asked:
            continue
        for option in facet.options:
            chosen = asked.copy()
            chosen.setlist(facet.name, [option.value])
            listed = CommitmentFilter(chosen, queryset=Commitment.objects.as_of(as_of), day=as_of).qs
            assert option.count == listed.count(), (facet.name, option.value)


# --- roll-up of sub-commitments -----------------------------------------------------------------


def test_a_parent_shows_its_childrens_rollup_as_of_the_day(viewer_client, commit, editor):
    parent = commit("Parent")
    first, second = commit("First"), commit("Second")
    Commitment.objects.filter(pk__in=[first.pk, second.pk]).update(parent=parent)
    report(first, editor, D(2022, 1, 1), Status.COMPLETED, 100)
    report(second, editor, D(2022, 1, 1), Status.ON_TRACK, 40)
    report(second, editor, D(2023, 1, 1), Status.COMPLETED, 100)
    past = viewer_client.get(f"/commitments/{parent.pk}/?as_of=2022-06-30")
    rollup = past.context["page"].rollup
    assert (rollup.total, rollup.mean_progress) == (2, 70)
    assert {s.value: s.count for s in rollup.counts} == {Status.COMPLETED: 1, Status.ON_TRACK: 1}
    page = past.content.decode()
    assert "Its 2 sub-commitments" in page and "Completed: 1" in page and "On track: 1" in page
    assert viewer_client.get(f"/commitments/{parent.pk}/").context["page"].rollup.mean_progress == 100
    assert viewer_client.get(f"/commitments/{first.pk}/").context["page"].rollup is None


def test_the_list_sorts_by_the_rollup_commitments_without_children_last(viewer_client, commit, editor):
    low, high = commit("Low"), commit("High")
    commit("Alone")
    for parent, progress in ((low, 10), (high, 90)):
        child = commit(f"Child of {parent.title}")
        Commitment.objects.filter(pk=child.pk).update(parent=parent)
        report(child, editor, D(2022, 1, 1), Status.ON_TRACK, progress)
    response = viewer_client.get("/commitments/?sort=-rollup")
    assert [c.title for c in response.context["browser"].page.object_list][:3] == ["High", "Low", "Alone"]

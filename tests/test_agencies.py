"""The agencies page (countries by name, overdue, stale and blocked columns, a total per country,
every count a link) and an agency's page with its country's scores."""

import datetime
import re

import pytest
from django.utils import timezone

from tracker import services
from tracker.models import Agency, Commitment, Dialogue, Participation, Role, Round, SlipReason, Status

D = datetime.date
FOUNDED = D(2021, 1, 1)


@pytest.fixture
def dialogue(db):
    return Dialogue.objects.create(name="Space", slug="space", parties="US,FR", announced_on=FOUNDED)


@pytest.fixture
def agencies(db):
    return {
        "nasa": Agency.objects.create(
            name="National Aeronautics and Space Administration", acronym="NASA", slug="nasa", country="US"
        ),
        "noaa": Agency.objects.create(
            name="Oceanic Administration", acronym="NOAA", slug="noaa", country="US"
        ),
        "cnes": Agency.objects.create(name="Centre spatial", acronym="CNES", slug="cnes", country="FR"),
    }


@pytest.fixture
def make(dialogue, agencies, editor):
    """A commitment with agencies {slug: role}, optionally moved to `status` on `reported_on`."""
    made = []

    def commitment(title, roles, status=None, due_on=None, reported_on=None, announced_on=FOUNDED):
        c = Commitment.objects.create(
            dialogue=dialogue, slug=f"c{len(made)}", title=title, announced_on=announced_on, due_on=due_on
        )
        for slug, role in roles.items():
            Participation.objects.create(commitment=c, agency=agencies[slug], role=role)
        if status:
            services.status_update_create(
                commitment=c,
                author=editor,
                status=status,
                progress=10,
                text="News.",
                reported_on=reported_on or timezone.localdate(),
                reason=SlipReason.FUNDING if status in (Status.AT_RISK, Status.OFF_TRACK) else "",
            )
        made.append(c)
        return c

    return commitment


LEAD, PARTNER = Role.LEAD, Role.PARTNER


def rows_by_slug(response):
    return {row.agency.slug: row for country in response.context["countries"] for row in country.agencies}


def totals(response):
    return {country.code: country.total for country in response.context["countries"]}


def test_the_agencies_page_names_countries_not_codes(viewer_client, agencies):
    page = viewer_client.get("/agencies/").content.decode()
    assert ">United States</h2>" in page and ">France</h2>" in page
    assert ">US</h2>" not in page


def test_the_agencies_page_counts_overdue_stale_and_blocked(viewer_client, make):
    late = make("Late", {"nasa": LEAD}, Status.ON_TRACK, due_on=D(2022, 1, 1))
    make("Quiet", {"nasa": PARTNER})  # announced long ago, never updated: stale
    waiting = make("Waiting", {"nasa": LEAD, "cnes": PARTNER}, Status.ON_TRACK)
    services.commitment_set_blockers(commitment=waiting, blockers=[late])
    nasa = rows_by_slug(viewer_client.get("/agencies/"))["nasa"]
    assert (nasa.lead.count, nasa.partner.count) == (2, 1)
    assert (nasa.overdue.count, nasa.stale.count, nasa.blocked.count) == (1, 1, 1)
    assert nasa.by_status[Status.values.index(Status.ON_TRACK)].count == 2


def test_a_countrys_total_counts_each_commitment_once(viewer_client, make):
    make("Shared", {"nasa": LEAD, "noaa": PARTNER}, Status.AT_RISK)
    make("NASA alone", {"nasa": PARTNER})
    response = viewer_client.get("/agencies/")
    us = totals(response)["US"]
    assert us.by_status[Status.values.index(Status.AT_RISK)].count == 1
    assert (us.lead.count, us.partner.count) == (1, 2)
    assert sum(cell.count for cell in us.by_status) == 2
    assert "All of United States" in response.content.decode()


def test_every_count_links_to_the_matching_filtered_list(viewer_client, make):
    make("Late", {"nasa": LEAD}, Status.AT_RISK, due_on=D(2022, 1, 1))
    response = viewer_client.get("/agencies/")
    page = response.content.decode()
    for link in [
        "/commitments/?agency=nasa&amp;due=overdue",
        "/commitments/?agency=nasa&amp;stale=1",
        "/commitments/?agency=nasa&amp;blocked=1",
        "/commitments/?agency=nasa&amp;status=at_risk",
        "/commitments/?agency=nasa&amp;role=lead",
        "/commitments/?agency=nasa&amp;role=partner",
        "/commitments/?country=US&amp;due=overdue",
        "/commitments/?country=US&amp;status=at_risk",
    ]:
        assert f'href="{link}"' in page, link
    # Each link shows as many commitments as the count it is on.
    nasa = rows_by_slug(response)["nasa"]
    for cell in [nasa.overdue, nasa.lead, *nasa.by_status, totals(response)["US"].overdue]:
        assert viewer_client.get(cell.url).context["browser"].total == cell.count


def test_the_agencies_page_keeps_the_as_of_day_in_its_links(viewer_client, make):
    make("Old", {"nasa": LEAD}, Status.ON_TRACK, reported_on=D(2022, 1, 1))
    page = viewer_client.get("/agencies/?as_of=2022-06-30").content.decode()
    assert 'href="/commitments/?agency=nasa&amp;status=on_track&amp;as_of=2022-06-30"' in page


def test_blocked_on_the_agencies_page_is_judged_as_of_the_day_asked(viewer_client, make, editor):
    blocker = make("Blocker", {"cnes": LEAD}, Status.OFF_TRACK, reported_on=D(2022, 1, 1))
    waiting = make("Waiting", {"nasa": LEAD})
    services.commitment_set_blockers(commitment=waiting, blockers=[blocker])
    services.status_update_create(
        commitment=blocker,
        author=editor,
        status=Status.ON_TRACK,
        progress=50,
        text="Fixed.",
        reported_on=D(2023, 1, 1),
    )
    assert rows_by_slug(viewer_client.get("/agencies/"))["nasa"].blocked.count == 0
    assert rows_by_slug(viewer_client.get("/agencies/?as_of=2022-06-30"))["nasa"].blocked.count == 1


# --- an agency's page: its country's scores ------------------------------------------------------


@pytest.fixture
def rounds(dialogue):
    return [
        Round.objects.create(dialogue=dialogue, number=1, held_on=D(2022, 5, 1), place="Paris"),
        Round.objects.create(dialogue=dialogue, number=2, held_on=D(2023, 5, 1), place="Washington"),
    ]


def assess(commitment, round_, party, score, editor, rationale="Because.", on=None):
    return services.assessment_create(
        commitment=commitment,
        round=round_,
        party=party,
        score=score,
        rationale=rationale,
        assessor=editor,
        assessed_on=on or round_.held_on,
    )


def test_an_agency_page_shows_its_countrys_scores_at_the_latest_round(viewer_client, make, rounds, editor):
    first, second = rounds
    full = make("Full", {"nasa": LEAD})
    partial = make("Partial", {"nasa": PARTNER})
    no_evidence = make("Unknown", {"nasa": LEAD})
    make("Unassessed", {"nasa": LEAD})
    make("Not ours", {"cnes": LEAD})
    assess(full, first, "US", -1, editor)  # an earlier round does not count
    assess(full, second, "US", 1, editor, rationale="Satellites launched on time.")
    assess(partial, second, "US", 0, editor)
    assess(partial, second, "FR", -1, editor)  # the other side's score is not this agency's country's
    assess(no_evidence, second, "US", None, editor)
    response = viewer_client.get("/agencies/nasa/")
    scores = response.context["scores"]
    assert {row.title: row.cell for row in scores.rows} == {
        "Full": 1,
        "Partial": 0,
        "Unknown": "no_evidence",
        "Unassessed": "unassessed",
    }
    assert scores.summary.mean == 0.5 and scores.summary.percentage == 75
    assert (scores.summary.no_evidence, scores.summary.unassessed) == (1, 1)
    page = response.content.decode()
    assert '<span class="score-symbol">+1</span> Full compliance' in page
    assert '<span class="score-symbol">0</span> Partial compliance' in page
    assert "No evidence available" in page and "Not assessed" in page
    assert "Satellites launched on time." in page
    assert "+0.50" in page and "75%" in page
    assert "(average + 1) / 2" in page


def test_a_later_assessment_of_the_same_round_wins(viewer_client, make, rounds, editor):
    c = make("Full", {"nasa": LEAD})
    assess(c, rounds[1], "US", -1, editor)
    assess(c, rounds[1], "US", 1, editor, rationale="Corrected.")
    scores = viewer_client.get("/agencies/nasa/").context["scores"]
    assert [row.cell for row in scores.rows] == [1]


def test_an_agency_page_as_of_a_past_day_shows_the_round_held_by_then(viewer_client, make, rounds, editor):
    c = make("Full", {"nasa": LEAD})
    assess(c, rounds[0], "US", 0, editor)
    assess(c, rounds[1], "US", 1, editor)
    scores = viewer_client.get("/agencies/nasa/?as_of=2022-12-31").context["scores"]
    assert [(row.round_number, row.cell) for row in scores.rows] == [(1, 0)]


def test_an_agency_page_without_rounds_says_so(viewer_client, make):
    make("Full", {"nasa": LEAD})
    page = viewer_client.get("/agencies/nasa/").content.decode()
    assert "has been held yet" in page
    assert re.search(r"United States", page)


def test_the_agency_page_reads_scores_in_a_fixed_number_of_queries(
    client, editor, make, rounds, django_assert_num_queries
):
    client.force_login(editor)

    def add(n):
        for i in range(n):
            c = make(f"C{i}", {"nasa": LEAD, "cnes": PARTNER})
            assess(c, rounds[1], "US", i % 3 - 1, editor)

    add(3)
    # Session, user, the agency, its counts, the lead and partner previews, the sub-agencies, the
    # commitments with their latest round, their assessments; what the user follows, for the page's Follow button.
    with django_assert_num_queries(10):
        client.get("/agencies/nasa/")
    add(30)
    with django_assert_num_queries(10):
        client.get("/agencies/nasa/")

"""The dialogues' index and one dialogue's own page: its rounds, its own objectives in its order,
governance apart, each side's latest assessment."""

import datetime

import pytest

from tests.test_scorecard import assess, build_alpha
from tracker import services
from tracker.models import Commitment, Dialogue, Round, SourceDocument, Status, Theme


@pytest.fixture
def alpha(db, editor):
    """The trilateral dialogue of test_scorecard, its rounds and its hand-computed assessments."""
    return build_alpha(editor)


@pytest.fixture
def beta(db):
    """A second dialogue, with an objective of its own."""
    dialogue = Dialogue.objects.create(
        name="Beta dialogue", slug="beta", parties="GB,JP", announced_on="2024-05-01"
    )
    oceans = Theme.objects.create(dialogue=dialogue, name="Oceans", slug="beta-oceans", order=1)
    commitment = Commitment.objects.create(
        dialogue=dialogue, slug="map-the-seabed", title="Map the seabed", announced_on="2024-05-01"
    )
    commitment.themes.set([oceans])
    return dialogue


def test_the_index_lists_each_dialogue_with_its_parties_rounds_and_commitments(viewer_client, alpha, beta):
    response = viewer_client.get("/dialogues/")
    assert response.status_code == 200
    page = response.content.decode()
    summaries = {s.dialogue.slug: s for s in response.context["dialogues"]}
    assert summaries["alpha"].parties == ["United States", "France", "Germany"]
    assert (len(summaries["alpha"].rounds), summaries["alpha"].latest_round.number) == (2, 2)
    assert summaries["alpha"].n_commitments == 5
    assert (len(summaries["beta"].rounds), summaries["beta"].n_commitments) == (0, 1)
    assert "United States, France, Germany" in page
    assert 'href="/dialogues/alpha/scorecard/"' in page and 'href="/dialogues/beta/"' in page
    assert "None held yet" in page


def test_the_navigation_and_the_overview_link_to_the_dialogues(viewer_client, alpha):
    page = viewer_client.get("/").content.decode()
    assert page.count('href="/dialogues/"') == 2  # the navigation and the overview's own link


def test_the_dialogue_page_shows_its_rounds_as_a_timeline(viewer_client, alpha):
    dialogue, _, rounds = alpha
    outcome = SourceDocument.objects.create(
        title="Joint statement", published_on="2025-06-10", text="We met."
    )
    Round.objects.filter(pk=rounds[1].pk).update(outcome=outcome, title="Second meeting")
    page = viewer_client.get("/dialogues/alpha/").content.decode()
    assert "Round 1" in page and "10 January 2025" in page and "Paris" in page
    assert "Second meeting" in page and "Washington" in page
    assert f'href="/sources/{outcome.pk}/">Outcome: Joint statement</a>' in page
    assert 'href="/dialogues/alpha/scorecard/?round=1"' in page
    assert 'href="/dialogues/alpha/scorecard/">Scorecard of round 2</a>' in page


def test_the_dialogue_page_groups_commitments_by_its_objectives_with_governance_apart(viewer_client, alpha):
    response = viewer_client.get("/dialogues/alpha/")
    groups = response.context["page"].scorecard.groups
    assert [g.theme.name for g in groups.objectives] == ["Climate", "Science"]
    assert [g.theme.name for g in groups.governance] == ["Governance"]
    assert [row.commitment.title for row in groups.other.rows] == ["Loose end"]
    page = response.content.decode()
    objectives, governance = page.split('id="objectives-heading"')[1].split('id="governance-heading"')
    assert "Climate" in objectives and "Science" in objectives and "Governance" not in objectives
    assert "Meet every year" in governance.split('id="objective-other"')[0]
    assert "not counted as an announced objective" in governance


def test_the_dialogue_page_shows_each_sides_latest_assessment_and_the_status(viewer_client, alpha, editor):
    _, commitments, _ = alpha
    services.status_update_create(
        commitment=commitments["share-data"],
        author=editor,
        status=Status.COMPLETED,
        progress=100,
        text="Done.",
    )
    page = viewer_client.get("/dialogues/alpha/").content.decode()
    row = page.split("Share data</a></th>")[1].split("</tr>")[0]
    assert '<span aria-hidden="true">✓</span> Completed' in row
    assert "+1</span> Full compliance" in row
    assert "0</span> Partial compliance or work in progress" in row
    assert "Not assessed" in row
    joint = page.split("Joint analysis</a></th>")[1].split("</tr>")[0]
    assert "No evidence available" in joint
    assert "Each side's latest assessment at round 2" in page


def test_a_dialogues_page_shows_only_its_own_themes(viewer_client, alpha, beta):
    _, commitments, _ = alpha
    commitments["loose-end"].themes.add(Theme.objects.get(slug="beta-oceans"))  # another dialogue's theme
    alpha_page = viewer_client.get("/dialogues/alpha/")
    beta_page = viewer_client.get("/dialogues/beta/")
    assert "Oceans" not in alpha_page.content.decode()
    assert [row.commitment.title for row in alpha_page.context["page"].scorecard.groups.other.rows] == [
        "Loose end"
    ]
    assert [g.theme.name for g in beta_page.context["page"].scorecard.groups.objectives] == ["Oceans"]
    assert "Climate" not in beta_page.content.decode()
    assert "No round held yet." in beta_page.content.decode()


def test_the_dialogue_page_as_of_a_past_day(viewer_client, alpha):
    response = viewer_client.get("/dialogues/alpha/?as_of=2025-03-01")
    page = response.context["page"]
    assert [r.number for r in page.rounds] == [1]
    assert page.latest_round.number == 1
    share = next(row for row in page.scorecard.rows if row.commitment.slug == "share-data")
    assert [cell.value for cell in share.cells] == [-1, "unassessed", "unassessed"]
    assert "As it stood on 1 March 2025" in response.content.decode()


def test_a_round_planned_ahead_shows_as_planned(viewer_client, alpha):
    dialogue, _, _ = alpha
    Round.objects.create(
        dialogue=dialogue, number=3, held_on=datetime.date.today() + datetime.timedelta(days=30)
    )
    response = viewer_client.get("/dialogues/alpha/")
    assert response.context["page"].latest_round.number == 2
    assert 'class="planned"' in response.content.decode()


def test_a_new_assessment_shows_at_once_on_the_cached_dialogue_page(viewer_client, alpha, editor):
    _, commitments, rounds = alpha
    viewer_client.get("/dialogues/alpha/")  # computed and cached
    assess(commitments["loose-end"], rounds[1], "DE", -1, editor)
    loose = viewer_client.get("/dialogues/alpha/").content.decode().split("Loose end</a></th>")[1]
    assert "No compliance" in loose.split("</tr>")[0]


def test_an_unknown_dialogue_is_a_404(viewer_client, db):
    assert viewer_client.get("/dialogues/no-such-dialogue/").status_code == 404

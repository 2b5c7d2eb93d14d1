"""The scorecard: commitments × parties at a round, its averages against tables worked out by hand,
the round it shows, its filters and its CSV."""

import csv
import datetime
import io

import pytest

from tracker import services
from tracker.models import Agency, Commitment, Dialogue, Participation, Role, Round, Theme, ThemeKind

NE = None  # "no evidence available"

# The hand-computed table, at round 2 (DE is never assessed):
#
#   commitment            theme       US   FR   DE    average   left out
#   Share data            Climate     +1    0    ·    +0.50     1 not assessed
#   Joint analysis        Climate     −1   NE    ·    −1.00     1 no evidence, 1 not assessed
#   Exchange scientists   Science     +1    ·    ·    +1.00     2 not assessed
#   Meet every year       Governance  +1   −1    ·     0.00     1 not assessed
#   Loose end             (none)       ·    ·    ·      —       3 not assessed
#
#   US: (1 − 1 + 1 + 1) / 4 = +0.50 → 75 %, 1 not assessed
#   FR: (0 − 1) / 2 = −0.50 → 25 %, 1 no evidence, 2 not assessed
#   DE: nothing assessed → —, 5 not assessed
#   overall: (1 + 0 − 1 + 1 + 1 − 1) / 6 = +0.17 → 58 %, 1 no evidence, 8 not assessed
ROUND_2 = {
    "share-data": {"US": 1, "FR": 0},
    "joint-analysis": {"US": -1, "FR": NE},
    "exchange-scientists": {"US": 1},
    "meet-every-year": {"US": 1, "FR": -1},
}
ROUND_1 = {"share-data": {"US": -1}}


def assess(commitment, round_, party, score, assessor, rationale="Seen in the joint statement."):
    return services.assessment_create(
        commitment=commitment,
        round=round_,
        party=party,
        score=score,
        rationale=rationale,
        assessor=assessor,
        assessed_on=round_.held_on,
    )


@pytest.fixture
def alpha(db, editor):
    return build_alpha(editor)


def build_alpha(editor):
    """A trilateral dialogue with two objectives, a governance theme (first in order, still shown
    apart), two rounds and the assessments tabled above."""
    dialogue = Dialogue.objects.create(
        name="Alpha dialogue", slug="alpha", parties="US,FR,DE", announced_on="2024-01-01"
    )
    governance = Theme.objects.create(
        dialogue=dialogue, name="Governance", slug="alpha-governance", kind=ThemeKind.GOVERNANCE, order=0
    )
    climate = Theme.objects.create(dialogue=dialogue, name="Climate", slug="alpha-climate", order=1)
    science = Theme.objects.create(dialogue=dialogue, name="Science", slug="alpha-science", order=2)
    themes = {
        "share-data": [climate],
        "joint-analysis": [climate, science],  # under Climate only: its first objective
        "exchange-scientists": [science],
        "meet-every-year": [governance],
        "loose-end": [],
    }
    titles = {
        "share-data": "Share data",
        "joint-analysis": "Joint analysis",
        "exchange-scientists": "Exchange scientists",
        "meet-every-year": "Meet every year",
        "loose-end": "Loose end",
    }
    commitments = {}
    for slug, title in titles.items():
        commitment = Commitment.objects.create(
            dialogue=dialogue, slug=slug, title=title, announced_on="2024-01-01"
        )
        commitment.themes.set(themes[slug])
        commitments[slug] = commitment
    nasa = Agency.objects.create(name="NASA", acronym="NASA", slug="nasa", country="US")
    Participation.objects.create(commitment=commitments["share-data"], agency=nasa, role=Role.LEAD)
    rounds = [
        Round.objects.create(dialogue=dialogue, number=1, held_on=datetime.date(2025, 1, 10), place="Paris"),
        Round.objects.create(
            dialogue=dialogue, number=2, held_on=datetime.date(2025, 6, 10), place="Washington"
        ),
    ]
    for round_, table in zip(rounds, (ROUND_1, ROUND_2), strict=True):
        for slug, scores in table.items():
            for party, score in scores.items():
                assess(commitments[slug], round_, party, score, editor)
    return dialogue, commitments, rounds


def scorecard_of(client, query=""):
    response = client.get(f"/dialogues/alpha/scorecard/{query}")
    assert response.status_code == 200
    return response, response.context["scorecard"]


def row_of(scorecard, slug):
    return next(row for row in scorecard.rows if row.commitment.slug == slug)


def test_each_commitments_average_leaves_out_no_evidence_and_unassessed_cells(viewer_client, alpha):
    _, scorecard = scorecard_of(viewer_client)
    expected = {
        "share-data": ("+0.50", 0, 1),
        "joint-analysis": ("−1.00", 1, 1),
        "exchange-scientists": ("+1.00", 0, 2),
        "meet-every-year": ("0.00", 0, 1),
        "loose-end": ("—", 0, 3),
    }
    for slug, (mean, no_evidence, unassessed) in expected.items():
        summary = row_of(scorecard, slug).summary
        assert (summary.mean_text, summary.scores.no_evidence, summary.scores.unassessed) == (
            mean,
            no_evidence,
            unassessed,
        ), slug


def test_each_partys_average_and_percentage_match_the_hand_computed_table(viewer_client, alpha):
    _, scorecard = scorecard_of(viewer_client)
    columns = {c.party: c.summary for c in scorecard.columns}
    assert [c.name for c in scorecard.columns] == ["United States", "France", "Germany"]
    assert (columns["US"].mean, columns["US"].percentage, columns["US"].left_out_text) == (
        0.5,
        75.0,
        "1 not assessed",
    )
    assert (columns["FR"].mean, columns["FR"].percentage, columns["FR"].left_out_text) == (
        -0.5,
        25.0,
        "1 no evidence, 2 not assessed",
    )
    assert scorecard.overall.mean == pytest.approx(1 / 6)
    assert scorecard.overall.percentage_text == "58%"
    assert scorecard.overall.left_out_text == "1 no evidence, 8 not assessed"


def test_a_party_with_nothing_assessed_shows_a_dash_with_its_counts(viewer_client, alpha):
    response, scorecard = scorecard_of(viewer_client)
    germany = scorecard.columns[2].summary
    assert (germany.mean, germany.mean_text, germany.percentage_text) == (None, "—", "—")
    assert germany.left_out_text == "5 not assessed"
    footer = response.content.decode().split("<tfoot>")[1]
    assert '<span class="average">—</span> <span class="left-out">(5 not assessed)</span>' in footer


def test_the_page_shows_scores_with_symbol_and_words_linked_to_the_rationale(viewer_client, alpha):
    _, commitments, _ = alpha
    response, _ = scorecard_of(viewer_client)
    page = response.content.decode()
    share = commitments["share-data"].get_absolute_url()
    assert f'href="{share}#assessments"><span class="score-symbol">+1</span> Full compliance</a>' in page
    assert '<span class="score-symbol">0</span> Partial compliance or work in progress' in page
    assert '<span class="score-symbol">−1</span> No compliance' in page
    assert "No evidence available</a>" in page
    assert '<span class="score score-unassessed">Not assessed</span>' in page
    assert "+0.50" in page and "75%" in page and "25%" in page
    assert "some published score tables count a cell not assessed as 0" in page


def test_the_latest_assessment_for_a_cell_counts(viewer_client, alpha, editor):
    _, commitments, rounds = alpha
    assess(commitments["share-data"], rounds[1], "FR", 1, editor, rationale="Delivered after all.")
    _, scorecard = scorecard_of(viewer_client)
    assert [cell.value for cell in row_of(scorecard, "share-data").cells][:2] == [1, 1]
    assert row_of(scorecard, "share-data").summary.mean_text == "+1.00"
    assert scorecard.columns[1].summary.mean == 0  # FR: (1 − 1) / 2


def test_the_default_round_is_the_latest_held_and_round_1_can_be_chosen(viewer_client, alpha):
    _, _, rounds = alpha
    _, latest = scorecard_of(viewer_client)
    assert latest.round == rounds[1]
    response, first = scorecard_of(viewer_client, "?round=1")
    assert first.round == rounds[0]
    assert [cell.value for cell in row_of(first, "share-data").cells] == [-1, "unassessed", "unassessed"]
    assert first.columns[0].summary.mean_text == "−1.00"
    assert 'aria-current="page"><strong>Round 1</strong>' in response.content.decode()


def test_a_round_planned_ahead_is_not_the_default(viewer_client, alpha):
    dialogue, _, rounds = alpha
    Round.objects.create(
        dialogue=dialogue, number=3, held_on=datetime.date.today() + datetime.timedelta(days=30)
    )
    _, scorecard = scorecard_of(viewer_client)
    assert scorecard.round == rounds[1]


def test_as_of_a_past_day_shows_the_rounds_held_and_assessments_made_by_then(viewer_client, alpha):
    _, _, rounds = alpha
    _, scorecard = scorecard_of(viewer_client, "?as_of=2025-03-01")
    assert scorecard.round == rounds[0]
    response = viewer_client.get("/dialogues/alpha/scorecard/?as_of=2025-03-01&round=2")
    assert response.status_code == 404
    assert "had held no round 2 by that date" in response.content.decode()


@pytest.mark.parametrize("query", ["?round=abc", "?round=-1", "?round=1.5", "?round=1&round=2"])
def test_a_round_that_is_not_a_number_gets_a_clear_400(viewer_client, alpha, query):
    response = viewer_client.get(f"/dialogues/alpha/scorecard/{query}")
    assert response.status_code == 400
    assert b"That request could not be understood" in response.content
    assert "round" in response.content.decode()


def test_a_round_the_dialogue_does_not_have_is_a_404_that_says_so(viewer_client, alpha):
    for path in ["/dialogues/alpha/scorecard/?round=99", "/dialogues/alpha/scorecard/export.csv?round=99"]:
        response = viewer_client.get(path)
        assert response.status_code == 404
        assert "This dialogue has no round 99." in response.content.decode()


def test_an_unknown_dialogue_is_a_404(viewer_client, alpha):
    for path in ["/dialogues/nope/", "/dialogues/nope/scorecard/", "/dialogues/nope/scorecard/export.csv"]:
        assert viewer_client.get(path).status_code == 404


def test_the_theme_filter_keeps_that_objectives_rows(viewer_client, alpha):
    _, scorecard = scorecard_of(viewer_client, "?theme=alpha-science")
    assert {row.commitment.slug for row in scorecard.rows} == {"joint-analysis", "exchange-scientists"}
    # France: no evidence on one, not assessed on the other: nothing to average.
    assert scorecard.columns[1].summary.mean_text == "—"
    assert scorecard.columns[1].summary.left_out_text == "1 no evidence, 1 not assessed"


def test_the_agency_filter_keeps_the_commitments_it_takes_part_in(viewer_client, alpha):
    response, scorecard = scorecard_of(viewer_client, "?agency=nasa")
    assert [row.commitment.slug for row in scorecard.rows] == ["share-data"]
    assert '<option value="nasa" selected>NASA (NASA) · United States</option>' in response.content.decode()


def test_an_unknown_filter_value_matches_nothing_and_says_so(viewer_client, alpha):
    response, scorecard = scorecard_of(viewer_client, "?theme=no-such-theme")
    assert scorecard.rows == []
    assert (
        "Not an objective of this dialogue (it matches nothing): no-such-theme" in response.content.decode()
    )


def test_a_filter_value_no_slug_can_be_gets_a_message(viewer_client, alpha):
    response, scorecard = scorecard_of(viewer_client, "?agency=a%00b")
    assert scorecard.rows == []
    assert "is not a valid name for this filter" in response.content.decode()
    assert viewer_client.get("/dialogues/alpha/scorecard/export.csv?agency=a%00b").status_code == 400


def test_the_governance_theme_comes_after_the_objectives(viewer_client, alpha):
    _, scorecard = scorecard_of(viewer_client)
    assert [g.theme.name for g in scorecard.groups.objectives] == ["Climate", "Science"]
    assert [g.theme.name for g in scorecard.groups.governance] == ["Governance"]
    order = [
        (group.theme.name if group.theme else "Other", row.commitment.slug)
        for group, row in scorecard.ordered_rows
    ]
    assert order == [
        ("Climate", "share-data"),
        ("Climate", "joint-analysis"),
        ("Science", "exchange-scientists"),
        ("Governance", "meet-every-year"),
        ("Other", "loose-end"),
    ]


def read_csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_csv_holds_the_matrix_and_the_averages(viewer_client, alpha):
    _, commitments, _ = alpha
    rows = read_csv(viewer_client.get("/dialogues/alpha/scorecard/export.csv"))
    assert rows[0] == [
        "commitment id",
        "title",
        "objective",
        "United States",
        "France",
        "Germany",
        "average",
        "no evidence",
        "not assessed",
    ]
    share, joint = commitments["share-data"].pk, commitments["joint-analysis"].pk
    assert rows[1] == [str(share), "Share data", "Climate", "1", "0", "Not assessed", "0.5", "0", "1"]
    assert rows[2] == [
        str(joint),
        "Joint analysis",
        "Climate",
        "-1",
        "No evidence available",
        "Not assessed",
        "-1.0",
        "1",
        "1",
    ]
    assert rows[5][1:4] == ["Loose end", "Other", "Not assessed"]
    assert rows[6] == ["", "Average", "", "0.5", "-0.5", "", "0.1667", "", ""]
    assert rows[7] == ["", "Percentage ((average + 1) / 2)", "", "75.0", "25.0", "", "58.3", "", ""]
    assert rows[8] == ["", "No evidence (left out of the average)", "", "0", "1", "0", "1", "", ""]
    assert rows[9] == ["", "Not assessed (left out of the average)", "", "1", "2", "5", "8", "", ""]


def test_the_csv_follows_the_round_and_filters(viewer_client, alpha):
    rows = read_csv(viewer_client.get("/dialogues/alpha/scorecard/export.csv?round=1&theme=alpha-climate"))
    assert [row[1] for row in rows[1:3]] == ["Share data", "Joint analysis"]
    assert rows[1][3] == "-1"
    assert rows[2][3:6] == ["Not assessed"] * 3


def test_the_csv_guards_a_title_that_looks_like_a_formula(viewer_client, alpha):
    _, commitments, _ = alpha
    Commitment.objects.filter(pk=commitments["loose-end"].pk).update(title="=HYPERLINK(1)")
    rows = read_csv(viewer_client.get("/dialogues/alpha/scorecard/export.csv"))
    assert rows[5][1] == "'=HYPERLINK(1)"


def test_a_new_assessment_shows_at_once_on_the_cached_scorecard(viewer_client, alpha, editor):
    _, commitments, rounds = alpha
    scorecard_of(viewer_client)  # computed and cached
    assess(commitments["loose-end"], rounds[1], "DE", -1, editor)
    response, _ = scorecard_of(viewer_client)
    assert response.content.decode().count("No compliance</a>") == 3


def test_the_round_picker_and_the_csv_link_keep_the_filters_and_the_day(viewer_client, alpha):
    response, _ = scorecard_of(viewer_client, "?theme=alpha-climate&as_of=2025-12-01&junk=1")
    page = response.content.decode()
    assert 'href="?theme=alpha-climate&amp;as_of=2025-12-01&amp;round=1"' in page
    assert (
        'href="/dialogues/alpha/scorecard/export.csv?theme=alpha-climate&amp;as_of=2025-12-01&amp;round=2"'
        in page
    )
    # (The as-of banner's "back to today" link, outside the cached body, keeps the whole query.)
    assert "junk" not in page.split("<h1>")[1]


def test_averages_and_percentages_are_rounded_not_cut():
    from tracker.rules import ScoreSummary
    from tracker.selectors.scorecard import Summary, signed

    assert signed(2 / 3, 2) == "+0.67"
    assert signed(-2 / 3, 2) == "−0.67"
    summary = Summary(ScoreSummary(mean=1 / 3, scored=3, no_evidence=0, unassessed=0))
    assert summary.percentage_text == "67%"

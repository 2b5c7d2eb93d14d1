"""How scores are averaged: "no evidence" and cells not assessed are left out and counted apart;
the percentage puts −1 at 0 % and +1 at 100 %."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tracker import services
from tracker.models import Assessment, Dialogue, Round, Status
from tracker.rules import NO_EVIDENCE, UNASSESSED, slip_reason_problems, summarize_scores
from tracker.selectors import latest_assessments


@pytest.mark.parametrize(
    ("cells", "mean", "percentage", "scored", "no_evidence", "unassessed"),
    [
        ([1, 0, -1], 0.0, 50.0, 3, 0, 0),
        ([1, 1, 0, NO_EVIDENCE], 2 / 3, 250 / 3, 3, 1, 0),
        ([-1, UNASSESSED, NO_EVIDENCE, -1], -1.0, 0.0, 2, 1, 1),
        ([1], 1.0, 100.0, 1, 0, 0),
        ([NO_EVIDENCE, UNASSESSED], None, None, 0, 1, 1),
        ([], None, None, 0, 0, 0),
    ],
)
def test_averages_leave_out_no_evidence_and_unassessed(
    cells, mean, percentage, scored, no_evidence, unassessed
):
    summary = summarize_scores(cells)
    assert summary.mean == pytest.approx(mean) if mean is not None else summary.mean is None
    assert (
        summary.percentage == pytest.approx(percentage)
        if percentage is not None
        else summary.percentage is None
    )
    assert (summary.scored, summary.no_evidence, summary.unassessed) == (scored, no_evidence, unassessed)
    assert summary.left_out == no_evidence + unassessed


@pytest.mark.parametrize(
    ("status", "reason", "note", "problem"),
    [
        (Status.ON_TRACK, "", "", None),
        (Status.AT_RISK, "", "", "reason"),
        (Status.OFF_TRACK, "funding", "", None),
        (Status.DISCONTINUED, "other", "", "reason_note"),
        (Status.DISCONTINUED, "other", "  ", "reason_note"),
        (Status.DISCONTINUED, "other", "The mission was merged into another.", None),
    ],
)
def test_an_update_that_slips_says_why(status, reason, note, problem):
    assert list(slip_reason_problems(status, reason, note)) == ([problem] if problem else [])


@pytest.fixture
def round_one(db):
    def make(dialogue):
        return Round.objects.create(dialogue=dialogue, number=1, held_on="2024-06-01", place="Paris")

    return make


def _assess(commitment, round_, editor, **overrides):
    values = {"party": "US", "score": 1, "rationale": "Delivered as promised."} | overrides
    return services.assessment_create(commitment=commitment, round=round_, assessor=editor, **values)


def test_the_latest_assessment_counts(make_commitments, round_one, editor):
    (commitment,) = make_commitments(1)
    round_ = round_one(commitment.dialogue)
    _assess(commitment, round_, editor, score=-1, rationale="Nothing yet.")
    _assess(commitment, round_, editor, score=0, rationale="Work has begun.")
    latest = latest_assessments(rounds=[round_])
    assert latest[(commitment.pk, "US", round_.pk)].score == 0
    assert Assessment.objects.count() == 2  # the first is kept, superseded


def test_no_evidence_is_an_answer_of_its_own(make_commitments, round_one, editor):
    (commitment,) = make_commitments(1)
    assessment = _assess(commitment, round_one(commitment.dialogue), editor, score=None)
    assert assessment.is_no_evidence and assessment.cell == NO_EVIDENCE
    assert assessment.score_label == "No evidence available"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"party": "DE"}, "party"),
        ({"score": 2}, "score"),
        ({"rationale": "  "}, "rationale"),
        ({"evidence": "not a link"}, "evidence"),
        ({"assessed_on": timezone.localdate() + datetime.timedelta(days=1)}, "assessed_on"),
    ],
)
def test_a_bad_assessment_is_refused_naming_the_field_and_nothing_is_written(
    make_commitments, round_one, editor, overrides, field
):
    (commitment,) = make_commitments(1)
    with pytest.raises(ValidationError) as refused:
        _assess(commitment, round_one(commitment.dialogue), editor, **overrides)
    assert field in refused.value.message_dict
    assert not Assessment.objects.exists()


def test_a_round_of_another_dialogue_is_refused(make_commitments, round_one, editor):
    (commitment,) = make_commitments(1)
    other = Dialogue.objects.create(name="Other", slug="other", parties="US,JP", announced_on="2024-01-01")
    with pytest.raises(ValidationError) as refused:
        _assess(commitment, round_one(other), editor)
    assert "round" in refused.value.message_dict


def test_an_assessment_is_in_the_history_with_its_assessor(make_commitments, round_one, editor):
    (commitment,) = make_commitments(1)
    assessment = _assess(commitment, round_one(commitment.dialogue), editor)
    assert assessment.history.first().history_user == editor


def test_the_same_assessment_posted_twice_is_recorded_once(make_commitments, round_one, editor):
    (commitment,) = make_commitments(1)
    round_ = round_one(commitment.dialogue)
    first = _assess(commitment, round_, editor)
    again = _assess(commitment, round_, editor)
    assert again.pk == first.pk and again.already_recorded

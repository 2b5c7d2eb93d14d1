"""Reading assessments: which one counts for each (commitment, party, round), and the rounds held.

Every page that shows scores (the scorecard, the dialogue page, a commitment, an agency) reads them
through here, so "the latest recorded counts" is decided once.
"""

import datetime
import functools
from dataclasses import dataclass

from django.db import connection

from .. import rules
from ..compiled import CompiledQuery, ModelRows, compile_for_day, instances_on_day
from ..formatting import person_name
from ..models import Assessment, Round, is_past

AssessmentKey = tuple[int, str, int]  # (commitment id, party, round id)


def rounds_held(dialogue_id: int, day: datetime.date | None = None) -> list[Round]:
    """The dialogue's rounds held by `day` (None: all of them, even one planned ahead), first first,
    with their outcomes. Read through a query compiled once (tracker/compiled.py): every commitment
    page reads them, and the ORM took longer to build the query than the database to answer it."""
    past = is_past(day)
    return instances_on_day(_compiled_rounds(connection.vendor, past), dialogue_id, day, past)


def rounds_query(dialogue_id: int, day: datetime.date | None):
    rounds = Round.objects.filter(dialogue_id=dialogue_id).select_related("outcome").order_by("number")
    if is_past(day):
        rounds = rounds.filter(held_on__lte=day)
    return rounds


@functools.cache
def _compiled_rounds(vendor: str, past: bool) -> tuple[CompiledQuery, ModelRows]:
    """rounds_query compiled once per database vendor, for today or a past day."""
    return compile_for_day(rounds_query, past)


def _assessments(rounds, commitments, day):
    """The assessments of `rounds` on `commitments` made by `day`, the one that counts for each
    (commitment, party, round) first (None when no round is given)."""
    round_ids = [getattr(r, "pk", r) for r in rounds]
    if not round_ids:
        return None
    assessments = Assessment.objects.filter(round_id__in=round_ids)
    if commitments is not None:
        ids = commitments.values("pk") if hasattr(commitments, "values") else list(commitments)
        assessments = assessments.filter(commitment_id__in=ids)
    if is_past(day):
        assessments = assessments.filter(assessed_on__lte=day)
    return assessments.latest_first()


def latest_assessments(
    *, rounds, commitments=None, day: datetime.date | None = None
) -> dict[AssessmentKey, Assessment]:
    """The assessment that counts for each (commitment, party, round) among `rounds` (ids or Round
    objects) and `commitments` (a queryset or ids; None: all): the latest recorded. For a past `day`,
    only those made by then. One query; the assessor is loaded with each."""
    assessments = _assessments(rounds, commitments, day)
    if assessments is None:
        return {}
    latest: dict[AssessmentKey, Assessment] = {}
    for assessment in assessments.select_related("assessor"):
        latest.setdefault((assessment.commitment_id, assessment.party, assessment.round_id), assessment)
    return latest


@dataclass(frozen=True)
class AssessmentFacts:
    """What a report shows of an assessment: its cell (score or "no evidence"), rationale, who made
    it and when. Read as values, not models: the briefing reads one per commitment and party, and
    building a thousand Assessment and User objects cost it more than its query."""

    cell: object
    rationale: str
    assessor: str  # formatting.person_name: the full name, else the login
    assessed_on: datetime.date


def latest_assessment_facts(
    *, rounds, commitments=None, day: datetime.date | None = None
) -> dict[AssessmentKey, AssessmentFacts]:
    """latest_assessments' choice (the same rule, the same query but for its columns), as facts."""
    assessments = _assessments(rounds, commitments, day)
    if assessments is None:
        return {}
    rows = assessments.values_list(
        "commitment_id",
        "party",
        "round_id",
        "score",
        "rationale",
        "assessed_on",
        "assessor__first_name",
        "assessor__last_name",
        "assessor__username",
    )
    latest: dict[AssessmentKey, AssessmentFacts] = {}
    for commitment_id, party, round_id, score, rationale, assessed_on, first, last, username in rows:
        key = (commitment_id, party, round_id)
        if key not in latest:
            name = person_name(first, last, username)
            latest[key] = AssessmentFacts(rules.score_cell(score), rationale, name, assessed_on)
    return latest

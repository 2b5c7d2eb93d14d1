"""Reading assessments: which one counts for each (commitment, party, round), and the rounds held.

Every page that shows scores (the scorecard, the dialogue page, a commitment, an agency) reads them
through here, so "the latest recorded counts" is decided once.
"""

import datetime

from ..models import Assessment, Round, is_past

AssessmentKey = tuple[int, str, int]  # (commitment id, party, round id)


def rounds_held(dialogue_id: int, day: datetime.date | None = None) -> list[Round]:
    """The dialogue's rounds held by `day` (None: all of them, even one planned ahead), first first."""
    rounds = Round.objects.filter(dialogue_id=dialogue_id).select_related("outcome").order_by("number")
    if is_past(day):
        rounds = rounds.filter(held_on__lte=day)
    return list(rounds)


def latest_assessments(
    *, rounds, commitments=None, day: datetime.date | None = None
) -> dict[AssessmentKey, Assessment]:
    """The assessment that counts for each (commitment, party, round) among `rounds` (ids or Round
    objects) and `commitments` (a queryset or ids; None: all): the latest recorded. For a past `day`,
    only those made by then. One query; the assessor is loaded with each."""
    round_ids = [getattr(r, "pk", r) for r in rounds]
    if not round_ids:
        return {}
    assessments = Assessment.objects.filter(round_id__in=round_ids).select_related("assessor")
    if commitments is not None:
        ids = commitments.values("pk") if hasattr(commitments, "values") else list(commitments)
        assessments = assessments.filter(commitment_id__in=ids)
    if is_past(day):
        assessments = assessments.filter(assessed_on__lte=day)
    latest: dict[AssessmentKey, Assessment] = {}
    for assessment in assessments.latest_first():
        latest.setdefault((assessment.commitment_id, assessment.party, assessment.round_id), assessment)
    return latest

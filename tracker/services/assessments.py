"""Recording per-side assessments. Append-only: a correction is a new assessment."""

import datetime

from django.db import transaction
from django.utils import timezone

from ..models import Assessment, Commitment, Round
from .evidence import evidence_files_attach, evidence_files_check, same_files
from .status_updates import DUPLICATE_WINDOW


@transaction.atomic
def assessment_create(
    *,
    commitment: Commitment,
    round: Round,
    party: str,
    score: int | None,
    rationale: str,
    assessor,
    evidence: str = "",
    assessed_on: datetime.date | None = None,
    files=(),
) -> Assessment:
    """Record how `party` delivered on `commitment` at `round`: +1, 0, −1, or None for "no evidence
    available". Raises ValidationError, naming the field, for a party that is not the dialogue's, a
    round of another dialogue, a score off the scale, a missing rationale or a bad evidence link.

    The same assessment by the same assessor recorded within DUPLICATE_WINDOW (a double click) is
    returned instead of recorded twice, with `already_recorded` set (with evidence files, only when
    it carries the same files).

    `files` (uploaded files) are checked from their content before anything is written, then stored
    and attached in this transaction; a refused file raises a ValidationError under "files" naming it.
    """
    checked = evidence_files_check(files)
    assessment = Assessment(
        commitment=commitment,
        round=round,
        party=party,
        score=score,
        rationale=(rationale or "").strip(),
        evidence=(evidence or "").strip(),
        assessor=assessor,
    )
    if assessed_on is not None:
        assessment.assessed_on = assessed_on
    assessment.full_clean(exclude=["assessor"])
    earlier = (
        Assessment.objects.filter(
            commitment_id=commitment.pk,
            round_id=round.pk,
            party=assessment.party,
            score=assessment.score,
            rationale=assessment.rationale,
            evidence=assessment.evidence,
            assessor_id=assessor.pk,
            created_at__gte=timezone.now() - DUPLICATE_WINDOW,
        )
        .order_by("-created_at", "-id")
        .first()
    )
    if earlier is not None and (not checked or same_files(checked, earlier.evidence_files.all())):
        earlier.already_recorded = True
        return earlier
    assessment._history_user = assessor
    assessment.save()
    assessment.already_recorded = False
    evidence_files_attach(checked=checked, uploaded_by=assessor, assessment=assessment)
    return assessment

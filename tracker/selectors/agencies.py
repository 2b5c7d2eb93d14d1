"""The agency scorecards: each agency's commitments by role and by status."""

import datetime
from collections import Counter

from django.db.models import Count

from ..models import Agency, Commitment, Participation, Role, Status, is_past, state_expressions
from ..rules import STATE_STATUS
from .common import StatusCount


def participations_as_of(day: datetime.date | None):
    """Participations, each annotated with its commitment's state on `day` (those of commitments not
    yet announced then left out)."""
    participations = Participation.objects.annotate(**state_expressions(day, "commitment"))
    return participations.filter(commitment__announced_on__lte=day) if is_past(day) else participations


def agency_scorecards(day: datetime.date | None = None) -> list[Agency]:
    """Every agency with its commitments counted by role and by status on `day` (2 queries)."""
    counts = Counter()
    rows = (
        participations_as_of(day).values("agency_id", "role", STATE_STATUS).annotate(n=Count("pk")).order_by()
    )
    for row in rows:
        counts[(row["agency_id"], row["role"])] += row["n"]
        counts[(row["agency_id"], row[STATE_STATUS])] += row["n"]
    agencies = list(Agency.objects.order_by("country", "name"))
    for agency in agencies:
        agency.n_lead, agency.n_partner = counts[(agency.pk, Role.LEAD)], counts[(agency.pk, Role.PARTNER)]
        agency.by_status = [counts[(agency.pk, value)] for value in Status.values]
    return agencies


def agency_scorecard(agency, preview: int, day: datetime.date | None = None) -> dict:
    """An agency's commitments on `day` counted by role and status, and the first few of each role
    (5 queries).

    Only a preview is listed: an agency can be part of thousands of commitments, and the list page
    (linked with the agency filter) pages through them all.
    """
    counts = Counter()
    rows = (
        participations_as_of(day).filter(agency=agency).values("role", STATE_STATUS).annotate(n=Count("pk"))
    )
    for row in rows.order_by():
        counts[(row["role"], row[STATE_STATUS])] += row["n"]

    def first(role):
        return list(
            Commitment.objects.as_of(day)
            .select_related("dialogue")
            .filter(participations__agency=agency, participations__role=role)
            .order_by("announced_on", "id")[:preview]
        )

    return {
        "lead": first(Role.LEAD),
        "partner": first(Role.PARTNER),
        "n_lead": sum(n for (role, _), n in counts.items() if role == Role.LEAD),
        "n_partner": sum(n for (role, _), n in counts.items() if role == Role.PARTNER),
        "counts": [
            StatusCount(value, label, counts[(Role.LEAD, value)] + counts[(Role.PARTNER, value)])
            for value, label in Status.choices
        ],
        "sub_agencies": list(agency.children.order_by("name")),
    }

"""Pieces every page's reads share."""

import datetime
from dataclasses import dataclass

from django.db.models import Prefetch

from ..models import Commitment, Participation, Theme


def commitments_for_listing(day: datetime.date | None):
    """Commitments as they stood on `day`, with everything a row shows: dialogue, themes and
    agencies (3 queries)."""
    return (
        Commitment.objects.as_of(day)
        .select_related("dialogue")
        .prefetch_related(
            Prefetch("themes", queryset=Theme.objects.order_by("order", "name")),
            Prefetch(
                "participations",
                queryset=Participation.objects.select_related("agency").order_by(
                    "role", "agency__country", "agency__name"
                ),
            ),
        )
    )


@dataclass
class StatusCount:
    value: str
    label: str
    count: int

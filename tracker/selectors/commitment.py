"""One commitment's page."""

import datetime
from collections import Counter
from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.functional import cached_property

from .. import caching, charts
from ..models import Commitment, Status, StatusUpdate
from .charts import progress_points
from .common import StatusCount, commitments_for_listing


@dataclass
class Rollup:
    """Where a commitment's sub-commitments stand: how many in each status, and their mean progress."""

    total: int
    counts: list[StatusCount]  # only the statuses some child has
    mean_progress: int


def children_rollup(children) -> Rollup | None:
    """The roll-up of `children` (commitments already loaded as of the page's day), None without any."""
    children = list(children)
    if not children:
        return None
    by_status = Counter(child.status for child in children)
    return Rollup(
        total=len(children),
        counts=[StatusCount(v, label, by_status[v]) for v, label in Status.choices if by_status[v]],
        mean_progress=round(sum(child.progress for child in children) / len(children)),
    )


def commitment_trail(commitment, day: datetime.date | None = None):
    """The commitment's updates reported by `day`, withdrawn ones included (they stay in the
    record, struck through), with their authors, newest first (1 query)."""
    return trail_updates(day).filter(commitment=commitment)


def trail_updates(day: datetime.date | None):
    return StatusUpdate.objects.filter(reported_on__lte=day or timezone.localdate()).select_related(
        "author", "withdrawn_by"
    )


def commitment_for_page(day: datetime.date | None):
    """A commitment as it stood on `day` with its dialogue, source, parent, themes, agencies,
    children and the trail cut at that day (5 queries)."""
    return (
        commitments_for_listing(day)
        .select_related("source", "parent")
        .prefetch_related(
            Prefetch("children", queryset=Commitment.objects.as_of(day).order_by("id")),
            Prefetch("updates", queryset=trail_updates(day)),
        )
    )


class CommitmentPage(caching.CachedPage):
    """One commitment's page on `day`. All of it but the update form is cached until the data changes."""

    def __init__(self, pk: int, day: datetime.date | None = None):
        self.pk = pk
        self.day = day

    def cache_parts(self) -> tuple:
        return (self.pk,)

    @cached_property
    def commitment(self) -> Commitment | None:
        """Everything the page shows (5 queries), fetched only when a cached part is missing."""
        return commitment_for_page(self.day).filter(pk=self.pk).first()

    @cached_property
    def summary(self) -> Commitment | None:
        """Title, status and progress, used outside the cached parts (the page title, the form's
        starting values), or None when there is no such commitment on that day. No query when cached."""

        def title_status_progress():
            found = self.commitment
            if found is None:
                return False  # remembered too: None would mean "not cached"
            return Commitment(pk=found.pk, title=found.title, status=found.status, progress=found.progress)

        return (
            caching.remember(
                self.token, "commitment-summary", (self.day, self.cache_parts()), title_status_progress
            )
            or None
        )

    @property
    def trail(self):
        """The trail up to the page's day, for a copy rendered outside the cache: the commitment's
        own when a cached part already loaded it on this request (no second query), else read alone
        (1 query)."""
        if self.__dict__.get("commitment") is not None:
            return self.commitment.updates.all()
        return commitment_trail(self.pk, self.day)

    @cached_property
    def rollup(self) -> Rollup | None:
        return children_rollup(self.commitment.children.all())

    @cached_property
    def progress_chart(self) -> charts.StepChart:
        """Progress over the trail up to the page's day, from the updates the page already holds."""
        commitment = self.commitment
        return charts.progress_steps(
            progress_points(commitment.updates.all()),
            commitment.announced_on,
            self.day or timezone.localdate(),
            charts.Frame(640, 220, left=44, right=16, top=12),
        )

    @cached_property
    def participations_by_country(self) -> list[tuple[str, list]]:
        return participations_by_country(self.commitment)


def participations_by_country(commitment) -> list[tuple[str, list]]:
    """The commitment's agencies grouped by country, the dialogue's parties first, leads first."""
    groups: dict[str, list] = {code: [] for code in commitment.dialogue.party_codes}
    for participation in commitment.participations.all():
        groups.setdefault(participation.agency.country, []).append(participation)
    return [(country, rows) for country, rows in groups.items() if rows]

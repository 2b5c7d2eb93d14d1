"""Pieces every page's reads share."""

import datetime
from dataclasses import dataclass

from django.db.models import Case, CharField, OuterRef, Prefetch, Q, Subquery, Value, When
from django.db.models.functions import Cast, Coalesce, Concat

from .. import rules
from ..models import Commitment, Participation, StatusUpdate, Theme, latest_updates
from ..rules import Status


def commitments_for_listing(day: datetime.date | None):
    """Commitments as they stood on `day`, with everything a row shows: dialogue, themes, agencies
    and whether it is blocked (3 queries: `is_blocked` is a subquery of the rows' own query)."""
    return commitments_with_parts(day).with_blocked(day)


def commitments_with_parts(day: datetime.date | None):
    """Commitments as they stood on `day` with their dialogue, themes and agencies (3 queries), but
    not whether they are blocked (commitments_for_listing adds it)."""
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


@dataclass(frozen=True)
class DayState:
    """A commitment's state on a day, with the dates the rules judge it by."""

    status: str
    progress: int
    last_update_on: datetime.date | None
    due_on: datetime.date | None
    announced_on: datetime.date
    slip_reason: str = ""  # the reason its latest update gave for slipping (rules.SlipReason), or ""
    dialogue_id: int | None = None
    review_cadence_days: int | None = None  # its own cadence, else its dialogue's, else the site's

    @property
    def next_review_on(self) -> datetime.date:
        return rules.next_review_on(self.last_update_on, self.announced_on, self.review_cadence_days)

    def is_due_soon(self, day: datetime.date) -> bool:
        return rules.is_due_soon(
            self.status, self.due_on, self.last_update_on, self.announced_on, self.review_cadence_days, day
        )


SEPARATOR = "|"


def state_then(day: datetime.date) -> Case:
    """A commitment's state on `day` packed in one string (status, progress, date and reason), or
    None where its stored columns already say it: its latest update of all is no later than `day`,
    so it stood then as it stands now and needs no look at its trail. For the others one subquery
    brings the four packed in one string, where state_expressions would look the trail up three
    times. A reason for slippage never holds the separator: it is one of rules.SlipReason's values.
    Read it back with `state_on`."""
    latest = (
        StatusUpdate.objects.counting()
        .filter(commitment_id=OuterRef("pk"), reported_on__lte=day)
        .order_by("-reported_on", "-created_at", "-id")
        .annotate(
            packed=Concat(
                "status",
                Value(SEPARATOR),
                Cast("progress", CharField()),
                Value(SEPARATOR),
                Cast("reported_on", CharField()),
                Value(SEPARATOR),
                "reason",
                output_field=CharField(),
            )
        )
        .values("packed")[:1]
    )
    settled = Q(last_update_on__isnull=True) | Q(last_update_on__lte=day)
    # CASE runs the subquery only where the stored state is not already the answer.
    return Case(When(settled, then=Value(None)), default=Subquery(latest), output_field=CharField())


def status_and_reason_then(day: datetime.date) -> Coalesce:
    """A commitment's status and reason for slippage on `day` (a past day: see state_expressions),
    packed in one string "status|reason" (read it back with str.split(SEPARATOR)): one look at the
    trail for both, where grouping by the two state expressions looked it up once for each, and
    again in each clause that reads one (the list's status and reason facets as of a day: five
    lookups per commitment, now one)."""
    latest = latest_updates(day).annotate(
        packed=Concat("status", Value(SEPARATOR), "reason", output_field=CharField())
    )
    return Coalesce(
        Subquery(latest.values("packed")[:1]),
        Value(f"{Status.NOT_STARTED}{SEPARATOR}"),
        output_field=CharField(),
    )


def state_on(day: datetime.date, status, progress, last_update_on, reason, then) -> tuple:
    """(status, progress, last update's date, reason) on `day`, from a commitment's stored columns
    and its `state_then(day)`."""
    if then is not None:
        status, progress, reported_on, reason = then.split(SEPARATOR)
        return status, int(progress), datetime.date.fromisoformat(reported_on), reason
    if last_update_on is not None and last_update_on > day:
        return Status.NOT_STARTED, 0, None, ""  # nothing reported by then
    return status, progress, last_update_on, reason


def states_on(day: datetime.date, commitments=None, announced_by=None) -> dict[int, DayState]:
    """Each of `commitments` (default: all) announced by `announced_by` (default: `day`), keyed by
    id, in the state it stood in on `day`, read in one query (state_then), for pages that judge
    thousands of commitments in Python."""
    rows = (
        (commitments if commitments is not None else Commitment.objects.all())
        .filter(announced_on__lte=announced_by or day)
        .annotate(then=state_then(day), cadence=rules.review_cadence_expression())
        .order_by()
        .values_list(
            "pk",
            "status",
            "progress",
            "last_update_on",
            "due_on",
            "announced_on",
            "slip_reason",
            "dialogue_id",
            "then",
            "cadence",
        )
    )
    states = {}
    for (
        pk,
        status,
        progress,
        last_update_on,
        due_on,
        announced_on,
        reason,
        dialogue_id,
        then,
        cadence,
    ) in rows:
        status, progress, last_update_on, reason = state_on(
            day, status, progress, last_update_on, reason, then
        )
        states[pk] = DayState(
            status, progress, last_update_on, due_on, announced_on, reason, dialogue_id, cadence
        )
    return states

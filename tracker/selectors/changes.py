"""What changed between two days: each commitment's state at the start and at the end of a window,
classified once (rules.movement), grouped by objective."""

import datetime
from dataclasses import dataclass, field

from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from .. import rules
from ..filters import CommitmentFilter
from ..models import Commitment, Status, StatusUpdate, Theme, state_expressions
from ..rules import FORWARD, SLIPPED, UNCHANGED
from ..timeframe import Window

NEW = "new"
# The kinds of change, in the order the page lists them, with their headings.
KINDS = {
    SLIPPED: _("Slipped"),
    FORWARD: _("Moved forward"),
    NEW: _("Newly announced"),
    "became_overdue": _("Became overdue"),
    "became_stale": _("Became stale"),
    "silent": _("Silent (no update in the window)"),
    UNCHANGED: _("Status unchanged"),
}
# A row's main kind is one of these; the others are flags it may carry as well.
MAIN_KINDS = (SLIPPED, FORWARD, NEW, UNCHANGED)
NO_OBJECTIVE = _("No objective")


@dataclass
class State:
    status: str
    progress: int
    last_update_on: datetime.date | None

    @property
    def label(self) -> str:
        return Status(self.status).label


@dataclass
class ChangeRow:
    """One commitment over the window: where it stood at each end, how it moved, what was reported."""

    pk: int
    title: str
    dialogue: str
    announced_on: datetime.date
    due_on: datetime.date | None
    start: State | None  # None: not yet announced at the start
    end: State
    updates: list = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)

    @property
    def main_kind(self) -> str:
        return self.kinds[0]

    @property
    def progress_delta(self) -> int:
        return self.end.progress - (self.start.progress if self.start else 0)

    @property
    def flags(self) -> list[str]:
        return self.kinds[1:]


def classify(row: ChangeRow, window: Window) -> list[str]:
    """The row's kinds: first its main kind (new, or how it moved), then any of became overdue,
    became stale and silent that apply."""
    start, end = row.start, row.end
    kinds = [NEW if start is None else rules.movement(start.status, start.progress, end.status, end.progress)]
    if rules.is_overdue(end.status, row.due_on, window.end) and not (
        start and rules.is_overdue(start.status, row.due_on, window.start)
    ):
        kinds.append("became_overdue")
    if rules.is_stale(end.status, end.last_update_on, row.announced_on, window.end) and not (
        start and rules.is_stale(start.status, start.last_update_on, row.announced_on, window.start)
    ):
        kinds.append("became_stale")
    if end.status not in rules.CLOSED_STATUSES and not row.updates:
        kinds.append("silent")
    return kinds


@dataclass
class ObjectiveGroup:
    name: str
    slug: str
    rows: list[ChangeRow]
    limit: int

    @property
    def shown(self) -> list[ChangeRow]:
        return self.rows[: self.limit]


class Changes:
    """The changes page's data: the list's filters applied to the commitments as they stood at the
    window's end (5 queries)."""

    # Rows listed per objective on the page (the CSV has them all); one objective shows more.
    ROWS_PER_GROUP, ROWS_ONE_GROUP = 25, 500

    def __init__(self, query_dict, window: Window):
        self.window = window
        self.filterset = CommitmentFilter(
            query_dict, queryset=Commitment.objects.as_of(window.end), day=window.end
        )
        self.valid = self.filterset.is_valid()

    @property
    def problems(self) -> list[str]:
        return self.filterset.problems()

    @cached_property
    def rows(self) -> list[ChangeRow]:
        """Every matching commitment announced by the window's end, oldest first (2 queries)."""
        if not self.valid:
            return []
        start = {f"start_{name}": value for name, value in state_expressions(self.window.start).items()}
        found = (
            self.filterset.qs.annotate(**start)
            .order_by("announced_on", "id")
            .values_list(
                "pk",
                "title",
                "dialogue__name",
                "announced_on",
                "due_on",
                f"start_{rules.STATE_STATUS}",
                f"start_{rules.STATE_PROGRESS}",
                f"start_{rules.STATE_LAST_UPDATE}",
            )
        )
        rows = []
        for pk, title, dialogue, announced_on, due_on, status, progress, last in found:
            before = State(status, progress, last) if announced_on <= self.window.start else None
            rows.append(ChangeRow(pk, title, dialogue, announced_on, due_on, before, before))
        self._attach_updates(rows)
        for row in rows:
            row.kinds = classify(row, self.window)
        return rows

    def _attach_updates(self, rows: list[ChangeRow]) -> None:
        """Each row's updates reported in the window, oldest first, and its state at the end: that of
        the latest of them, or unchanged from the start without any (1 query)."""
        by_pk = {row.pk: row for row in rows}
        updates = (
            StatusUpdate.objects.counting()
            .filter(
                commitment__in=self.filterset.qs.order_by().values("pk"),
                reported_on__gt=self.window.start,
                reported_on__lte=self.window.end,
            )
            .select_related("author")
            .order_by("reported_on", "created_at", "id")
        )
        for update in updates:
            if update.commitment_id in by_pk:
                by_pk[update.commitment_id].updates.append(update)
        for row in rows:
            if row.updates:
                latest = row.updates[-1]
                row.end = State(latest.status, latest.progress, latest.reported_on)
            elif row.start is None:
                row.end = State(Status.NOT_STARTED, 0, None)

    @cached_property
    def counts(self) -> list[tuple[str, str, int]]:
        """(kind, heading, how many commitments) for every kind, in page order."""
        return [(kind, label, sum(kind in row.kinds for row in self.rows)) for kind, label in KINDS.items()]

    @cached_property
    def groups(self) -> list[ObjectiveGroup]:
        """The rows under each objective they belong to, in the objectives' order (2 queries); rows
        ordered by kind, then by title. A commitment under two objectives is listed under both."""
        by_pk = {row.pk: row for row in self.rows}
        links: dict[int, list[ChangeRow]] = {}
        linked = set()
        for commitment_id, theme_id in Commitment.themes.through.objects.filter(
            commitment__in=self.filterset.qs.order_by().values("pk")
        ).values_list("commitment_id", "theme_id"):
            if commitment_id in by_pk:
                links.setdefault(theme_id, []).append(by_pk[commitment_id])
                linked.add(commitment_id)
        order = {kind: i for i, kind in enumerate(KINDS)}

        def ordered(rows):
            return sorted(rows, key=lambda r: (order[r.main_kind], r.title, r.pk))

        themes = [t for t in Theme.objects.order_by("order", "name") if t.pk in links]
        limit = self.ROWS_ONE_GROUP if len(themes) <= 1 else self.ROWS_PER_GROUP
        groups = [ObjectiveGroup(t.name, t.slug, ordered(links[t.pk]), limit) for t in themes]
        unlinked = [row for row in self.rows if row.pk not in linked]
        if unlinked:
            groups.append(ObjectiveGroup(str(NO_OBJECTIVE), "", ordered(unlinked), limit))
        return groups


CHANGES_CSV_COLUMNS = [
    _("objective"),
    _("id"),
    _("dialogue"),
    _("title"),
    _("change"),
    _("became overdue"),
    _("became stale"),
    _("silent"),
    _("status at start"),
    _("status at end"),
    _("progress at start"),
    _("progress at end"),
    _("progress change"),
    _("updates in the window"),
]


def change_csv_rows(changes: Changes):
    """The page's rows, every one (no limit per objective), one per objective and commitment; the
    last cell is the commitment's id, for the caller to turn into a link."""
    yes, no = _("yes"), _("no")
    for group in changes.groups:
        for row in group.rows:
            yield [
                group.name,
                row.pk,
                row.dialogue,
                row.title,
                KINDS[row.main_kind],
                yes if "became_overdue" in row.kinds else no,
                yes if "became_stale" in row.kinds else no,
                yes if "silent" in row.kinds else no,
                row.start.label if row.start else "",
                row.end.label,
                row.start.progress if row.start else "",
                row.end.progress,
                row.progress_delta,
                len(row.updates),
                row.pk,
            ]

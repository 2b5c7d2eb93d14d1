"""The series the charts are drawn from: each commitment's state at the end of each of the last 12
months, counted by status per objective, and one commitment's progress over its trail.

A month's state is the tracker as it stood at the end of that month (the last month ends on the
page's day), by the same rule as `Commitment.objects.as_of`: only commitments announced by then,
each with its latest counting update reported by then. Computing it per month would take a query
per month; instead every commitment's state at the end of the first month comes from one query
(state_expressions) and the updates reported since from a second, walked forward in Python.
"""

import calendar
import datetime
import functools
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db.models import Case, F, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext

from .. import formatting
from ..models import Commitment, Status, StatusUpdate, state_expressions
from ..rules import STATE_PROGRESS, STATE_STATUS

MONTHS = 12

# A commitment's state at one month end: (status, progress), or None when not yet announced.
State = tuple[str, int] | None


def month_ends(day: datetime.date | None, months: int = MONTHS) -> list[datetime.date]:
    """The last day of each of the `months` months up to `day` (None: today), oldest first; the last
    month ends on `day` itself."""
    day = day or timezone.localdate()
    ends = []
    for back in range(months - 1, 0, -1):
        year, month = divmod(day.year * 12 + day.month - 1 - back, 12)
        ends.append(datetime.date(year, month + 1, calendar.monthrange(year, month + 1)[1]))
    return [*ends, day]


@dataclass
class MonthMix:
    """The commitments counted by status at the end of one month, and their mean progress."""

    end: datetime.date
    counts: dict[str, int]  # every status, in Status order
    progress_sum: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def mean_progress(self) -> int | None:
        return round(self.progress_sum / self.total) if self.total else None

    @property
    def by_status(self) -> list[tuple[str, str, int]]:
        """(value, label, count) for every status, in Status order."""
        return [(value, label, self.counts[value]) for value, label in Status.choices]


def start_states(first: datetime.date, with_progress: bool) -> dict:
    """Query expressions for a commitment's status (and progress) at the end of `first`.

    As state_expressions, but a commitment whose latest update of all (the stored columns) is no
    later than `first` takes the stored values without reading its trail: most commitments, for
    the first of the last 12 months.
    """
    from_trail = state_expressions(first)
    settled = Q(last_update_on__lte=first) | Q(last_update_on__isnull=True)
    names = {STATE_STATUS: "status", STATE_PROGRESS: "progress"}
    if not with_progress:
        names.pop(STATE_PROGRESS)
    return {
        name: Case(When(settled, then=F(column)), default=from_trail[name]) for name, column in names.items()
    }


def month_index(field: str, ends: list[datetime.date]) -> Case:
    """The index of the first of `ends` on or after the date in `field`, computed by the database
    (an integer is far cheaper to read back than a date)."""
    return Case(
        *(When(**{f"{field}__lte": end}, then=Value(i)) for i, end in enumerate(ends[:-1])),
        default=Value(len(ends) - 1),
        output_field=IntegerField(),
    )


def monthly_states(commitments, day: datetime.date | None, with_progress: bool = True):
    """The month ends up to `day`, and for each of `commitments` (a queryset) announced by `day` its
    changes of state over those months, as a tuple of (month index, status[, progress]) events: the
    first in the month it was announced in (or the first month), then one for each month whose end
    finds it in another state (2 queries). Commitments that did not change share equal tuples,
    which keeps the counting short."""
    ends = month_ends(day)
    first, last = ends[0], ends[-1]
    state_names = [STATE_STATUS, STATE_PROGRESS] if with_progress else [STATE_STATUS]
    rows = (
        commitments.filter(announced_on__lte=last)
        .annotate(**start_states(first, with_progress), shown_from=month_index("announced_on", ends))
        .order_by()
        .values_list("pk", "shown_from", *state_names)
    )
    updates = (
        StatusUpdate.objects.counting()
        .filter(reported_on__gt=first, reported_on__lte=last)
        .annotate(month=month_index("reported_on", ends))
        .order_by("reported_on", "created_at", "id")
        .values_list("commitment_id", "month", "status", *(["progress"] if with_progress else []))
    )
    if commitments.query.where:
        updates = updates.filter(commitment_id__in=commitments.order_by().values("pk"))
    # Each commitment's last update within each month: later rows of the same month overwrite.
    moves: dict[int, dict[int, tuple]] = defaultdict(dict)
    for commitment_id, month, *state in updates:
        moves[commitment_id][month] = tuple(state)

    events = {}
    for pk, shown_from, *state in rows:
        # Months before the announcement show nothing: the commitment did not exist yet.
        state = tuple(state)
        changes = moves.get(pk)
        if not changes:
            events[pk] = ((shown_from, *state),)
            continue
        series = []
        for month in sorted(changes):
            if month <= shown_from:
                state = changes[month]
            elif changes[month] != state:
                if not series:
                    series.append((shown_from, *state))
                state = changes[month]
                series.append((month, *state))
        events[pk] = tuple(series) or ((shown_from, *state),)
    return ends, events


def mix_by_month(ends: list[datetime.date], counted: Counter) -> list[MonthMix]:
    """Month-by-month counts from `counted`: event tuples (as monthly_states makes them) and how many
    commitments share each. Each event moves its commitments from their previous state to a new
    one from its month on; a running sum over the months then gives each month's counts."""
    count_moves = [dict.fromkeys(Status.values, 0) for _ in ends]
    progress_moves = [0] * len(ends)
    for events, n in counted.items():
        before_status, before_progress = None, 0
        for month, status, *progress in events:
            moved = count_moves[month]
            moved[status] += n
            if before_status is not None:
                moved[before_status] -= n
            if progress:
                progress_moves[month] += (progress[0] - before_progress) * n
                before_progress = progress[0]
            before_status = status
    months, counts, progress_sum = [], dict.fromkeys(Status.values, 0), 0
    for end, moved, progress_moved in zip(ends, count_moves, progress_moves, strict=True):
        for status, n in moved.items():
            counts[status] += n
        progress_sum += progress_moved
        months.append(MonthMix(end, dict(counts), progress_sum))
    return months


def theme_months(theme, day: datetime.date | None = None) -> list[MonthMix]:
    """A theme's commitments by status and their mean progress at each of the last 12 month ends up
    to `day` (2 queries)."""
    ends, events = monthly_states(Commitment.objects.filter(themes=theme), day)
    return mix_by_month(ends, Counter(events.values()))


def status_months_by_theme(
    day: datetime.date | None = None, dialogue_id: int | None = None
) -> dict[int, list[MonthMix]]:
    """Every theme's commitments (of one dialogue, when given) by status at each of the last 12 month
    ends up to `day`, keyed by theme id (3 queries). Progress is left out: the overview's small
    charts show only statuses."""
    commitments = (
        Commitment.objects.all()
        if dialogue_id is None
        else Commitment.objects.filter(dialogue_id=dialogue_id)
    )
    ends, events = monthly_states(commitments, day, with_progress=False)
    by_theme: dict[int, Counter] = defaultdict(Counter)
    links = Commitment.themes.through.objects.order_by().values_list("theme_id", "commitment_id")
    for theme_id, commitment_id in links:
        series = events.get(commitment_id)
        if series is not None:
            by_theme[theme_id][series] += 1
    return {theme_id: mix_by_month(ends, counted) for theme_id, counted in by_theme.items()}


@dataclass
class ProgressPoint:
    """One counting update on a commitment's progress chart."""

    day: datetime.date
    status: str
    status_label: str
    progress: int
    status_changed: bool
    # The words the chart writes for the point, in the reader's language, each made once here: the
    # chart writes a point's day and progress three times (its description, its mark, its table),
    # and a template filter or {% blocktranslate %} per point cost a busy trail milliseconds.
    day_label: str = ""  # "30 Jun 2022"
    progress_label: str = ""  # "12%"
    day_heading: str = ""  # "30 Jun 2022:", as a label before its value
    change_words: str = ""  # "now at risk", where the status changed
    changed_words: str = ""  # "yes" or "no", in the table's "Status changed" column

    @property
    def described(self) -> str:
        """The point in the chart's description: "30 Jun 2022: 45%, now at risk." """
        change = f", {self.change_words}" if self.status_changed else ""
        return f"{self.day_heading} {self.progress_label}{change}."

    @property
    def mark_title(self) -> str:
        """Its mark's tooltip: the day, the status where it changed, and the progress."""
        if self.status_changed:
            return f"{self.day_heading} {self.status_label}, {self.progress_label}"
        return f"{self.day_heading} {self.progress_label}"


def progress_points(updates) -> list[ProgressPoint]:
    """A commitment's counting updates, oldest first, each marked when it changed the status (the
    state before the first update is "not started"). `updates` is its trail in any order, withdrawn
    updates included: they are left out here, as everywhere state is read."""
    counting = sorted(
        (u for u in updates if u.withdrawn_at is None), key=lambda u: (u.reported_on, u.created_at, u.pk)
    )
    # Each label translated once, not once per update (get_status_display translates every time).
    labels = {value: str(label) for value, label in Status.choices}
    changes = {
        value: gettext("now %(status)s") % {"status": label.lower()} for value, label in labels.items()
    }
    yes, no = gettext("yes"), gettext("no")
    write_day = formatting.date_writer("SHORT_DATE_FORMAT")
    write_percent = functools.cache(formatting.percent)  # progress repeats along a trail
    heading = formatting.colon_writer()
    points, before = [], Status.NOT_STARTED
    for update in counting:
        changed = update.status != before
        day_label = write_day(update.reported_on)
        points.append(
            ProgressPoint(
                update.reported_on,
                update.status,
                labels.get(update.status, update.status),
                update.progress,
                changed,
                day_label,
                write_percent(update.progress),
                heading(day_label),
                changes.get(update.status, "") if changed else "",
                yes if changed else no,
            )
        )
        before = update.status
    return points

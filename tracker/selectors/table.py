"""The rows of a commitment table (the list, an objective's page, an agency's page), prepared once per page.

A table repeats the same cells on every row: a link, names in the reader's language, a status, flags,
a progress bar, three dates. Working each out in a template tag per cell cost about half a
millisecond a row; here each row is worked out in one pass, with what every row shares (the link's
pattern, the labels, the page's language) looked up once, and the template only prints.
"""

import datetime
import functools
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Value
from django.utils import timezone
from django.utils.translation import gettext

from .. import formatting, links, rules
from ..compiled import CompiledQuery, compile_once
from ..models import Commitment, Participation, Role, Status, is_past, localized_text
from ..models.agency import name_language
from ..models.commitment import troubling_blocker_links
from ..models.content import active_language
from ..rules import CLOSED_STATUSES


class ReadByTemplates:
    """Attributes a template reads as `row.name`, found at the first try: Django's template engine
    tries `row["name"]` before `row.name`, and the exception a dataclass raises there, caught, cost
    about 0.4 ms a table of 25 rows (some 40 lookups a row)."""

    __slots__ = ()

    def __getitem__(self, name: str):
        return getattr(self, name)


@dataclass(frozen=True, slots=True)
class Shown(ReadByTemplates):
    """A name or title as the row shows it, with the language to mark it in (`lang`) when that is
    not the page's (see tracker/models/content.py), else "" (nothing to mark)."""

    text: str
    lang: str


@dataclass(slots=True)
class CommitmentRow(ReadByTemplates):
    url: str
    title: Shown
    progress_label: str  # the progress bar's name for screen readers: "Progress of <title>"
    dialogue: Shown
    status: str
    status_label: str
    overdue: bool
    stale: bool
    blocked: bool
    progress: int
    progress_shown: str
    due: str  # "" when it has no due date
    next_review: str  # "" for a finished commitment, which has none
    review_late: bool
    last_update: str  # "" when it has none yet
    themes: list[Shown] = field(default_factory=list)
    leads: list[Shown] = field(default_factory=list)


def commitment_rows(
    commitments,
    day: datetime.date | None,
    *,
    themes: bool = False,
    leads: bool = False,
    blocked: bool = False,
) -> list[CommitmentRow]:
    """Rows for `commitments` (read with `Commitment.objects.as_of(day)`, their dialogue joined, and
    `.with_blocked(day)` for the blocked flag unless `blocked`), with each one's themes and lead
    agencies when asked, and with `blocked` whether each is blocked on `day` (one query for all
    three, however many rows)."""
    commitments = list(commitments)
    ids = [c.pk for c in commitments]
    page_language = active_language()

    def shown(value) -> Shown:
        return Shown(value.text, value.lang if value.text and value.lang != page_language else "")

    wanted = themes or leads or blocked
    names = _names_of(ids, day, themes, leads, blocked, shown, page_language) if ids and wanted else {}
    link = links.id_reverser("tracker:commitment_detail")
    status_labels = {value: str(label) for value, label in Status.choices}
    today = timezone.localdate()
    dated = formatting.date_writer("SHORT_DATE_FORMAT")  # the reader's language's, parsed once
    progress_of = gettext("Progress of %(title)s")

    percents: dict[int, str] = {}  # rows share a few percentages: each written once
    cutoffs: dict[datetime.date, datetime.date] = {}  # and the day they are judged on

    def stale_cutoff(judged_on: datetime.date) -> datetime.date:
        if judged_on not in cutoffs:
            cutoffs[judged_on] = rules.stale_cutoff(judged_on)
        return cutoffs[judged_on]

    def percent(progress: int) -> str:
        if progress not in percents:
            percents[progress] = formatting.percent(progress)
        return percents[progress]

    def row(c: Commitment) -> CommitmentRow:
        title = shown(c.localized("title", page_language))
        judged_on = c.judged_on or today
        closed = c.status in CLOSED_STATUSES
        review = None if closed else c.next_review_on
        return CommitmentRow(
            url=links.dated(link(c.pk), day),
            title=title,
            progress_label=progress_of % {"title": title.text},
            dialogue=shown(c.dialogue.localized("name", page_language)),
            status=c.status,
            status_label=status_labels.get(c.status, c.status),
            # The rules themselves, given the day judged on: the model's is_overdue and is_stale
            # look today's date up again for each (twice a row), and the stale cutoff's setting.
            overdue=rules.is_overdue(c.status, c.due_on, judged_on),
            stale=rules.is_stale_before(c.status, c.last_update_on, c.announced_on, stale_cutoff(judged_on)),
            blocked=("blocked", c.pk) in names if blocked else getattr(c, "is_blocked", False),
            progress=c.progress,
            progress_shown=percent(c.progress),
            due=dated(c.due_on),
            next_review=dated(review),
            review_late=review is not None and review < judged_on,
            last_update=dated(c.last_update_on),
            themes=names.get(("theme", c.pk), []),
            leads=names.get(("lead", c.pk), []),
        )

    return [row(c) for c in commitments]


def _names_query(ids: list[int], day: datetime.date | None, themes: bool, leads: bool, blocked: bool):
    """_names_of's query: (kind, commitment id, order, name, French name, acronym, country) rows."""
    no_text = Value("")
    parts = []
    if blocked:
        # Asked of these rows' links alone: as a subquery of a page's query, PostgreSQL answered it by
        # reading every commitment's state to hash the troubling ones (5-20 ms on a shared machine).
        parts.append(
            troubling_blocker_links(day)
            .filter(from_commitment_id__in=ids)
            .values_list(Value("blocked"), "from_commitment_id", Value(0), no_text, no_text, no_text, no_text)
        )
    if themes:
        parts.append(
            Commitment.themes.through.objects.filter(commitment_id__in=ids).values_list(
                Value("theme"),
                "commitment_id",
                "theme__order",
                "theme__name",
                "theme__name_fr",
                no_text,
                no_text,
            )
        )
    if leads:
        parts.append(
            Participation.objects.filter(commitment_id__in=ids, role=Role.LEAD).values_list(
                Value("lead"),
                "commitment_id",
                Value(0),
                "agency__name",
                "agency__name_fr",
                "agency__acronym",
                "agency__country",
            )
        )
    return parts[0].order_by().union(*(part.order_by() for part in parts[1:]), all=True)


# A page of rows (the list's 25) is compiled once per count of rows; a longer table (an objective's
# every commitment) is built by the ORM, rather than compiled once for each length it comes in.
COMPILED_ROWS = 100


@functools.lru_cache(maxsize=256)
def _compiled_names_query(vendor: str, rows: int, themes: bool, leads: bool, blocked: bool) -> CompiledQuery:
    """_names_query of today for `rows` commitments, compiled once (tracker/compiled.py): its values
    are the ids, then (for the blocked flag) today's date. Building it took about 1.8 ms a page,
    ten times what the database took to answer it."""
    kinds = [int] * rows + ([datetime.date] if blocked else [])

    def build(values):
        judged_on = values[rows] if blocked else None
        return _names_query(values[:rows], judged_on, themes, leads, blocked)

    return compile_once(build, kinds)


def _names_rows(ids: list[int], day: datetime.date | None, themes: bool, leads: bool, blocked: bool):
    """_names_query's rows: today, from its SQL compiled once for so many rows (up to COMPILED_ROWS); a
    past day's (whose state is read from the trail), or a longer table's, through the ORM."""
    if is_past(day) or len(ids) > COMPILED_ROWS:
        return list(_names_query(ids, day, themes, leads, blocked))
    compiled = _compiled_names_query(connection.vendor, len(ids), themes, leads, blocked)
    return compiled.rows([*ids, timezone.localdate()] if blocked else ids)


def _names_of(
    ids: list[int], day: datetime.date | None, themes: bool, leads: bool, blocked: bool, shown, language: str
) -> dict[tuple, list[Shown]]:
    """Each commitment's themes' names, in the themes' display order, and its lead agencies, by
    country and name (the acronym, or the name in the reader's language), keyed by ("theme" or
    "lead", commitment id); and with `blocked`, ("blocked", id) for each one blocked on `day`: 1 query."""
    rows = _names_rows(ids, day, themes, leads, blocked)
    # Themes by their order, then name; agencies by country, then name.
    ordered = sorted(rows, key=lambda row: (row[2], row[6], row[3]))
    names: dict[tuple, list[Shown]] = {}
    for kind, pk, _order, name, name_fr, acronym, country in ordered:
        if kind == "blocked":
            names[kind, pk] = []
            continue
        if kind == "lead":
            text = (
                Shown(acronym, "")
                if acronym
                else shown(
                    localized_text(name, name_fr, base_language=name_language(country), language=language)
                )
            )
        else:
            text = shown(localized_text(name, name_fr, language=language))
        names.setdefault((kind, pk), []).append(text)
    return names

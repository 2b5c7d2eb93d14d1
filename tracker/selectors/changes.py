"""What changed between two days: each commitment's state at the start and at the end of a window,
classified once (rules.movement), grouped by objective.

Built for 100,000 commitments: the page has the database classify and count them (classified_sql,
the rules of `classify` in SQL) and reads back only the counts, each objective's size and the first
rows of the objectives it shows, with their titles and latest updates. The CSV and the API, which
have every row, read both ends' states in one query (common.state_then, as states_on reads a day)
and classify each commitment in Python from plain tuples.
"""

import datetime
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connection, models
from django.db.models import Count, Exists, F, OuterRef, Q
from django.db.models.functions import RowNumber
from django.utils.functional import cached_property
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from .. import caching, rules
from ..counts import theme_status_counts
from ..filters import ActiveFilter, CommitmentFilter
from ..formatting import date_writer, percent, person_name
from ..models import Commitment, Status, StatusUpdate
from ..models.content import active_language, localized_text
from ..rules import FORWARD, SLIPPED, UNCHANGED
from ..timeframe import Window
from .commitment_list import facet_labels, filter_choices
from .common import state_on, state_then
from .scorecard import commitment_link_maker

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
NO_OBJECTIVE = _("No objective")


class State(NamedTuple):
    """A commitment's state at one end of the window (a tuple: ten thousand are made per page)."""

    status: str
    progress: int
    last_update_on: datetime.date | None

    @property
    def label(self) -> str:
        return Status(self.status).label


NOT_YET_REPORTED = State(Status.NOT_STARTED, 0, None)


class Change(NamedTuple):
    """One commitment over the window, classified: all a page needs to count and order it."""

    announced_on: datetime.date
    due_on: datetime.date | None
    start: State | None  # None: not yet announced at the start
    end: State
    reported: bool  # whether any update was reported inside the window
    kinds: list[str]


class WindowUpdate(NamedTuple):
    """An update a row lists: reported inside the window, among its latest few."""

    reported_on: datetime.date
    status: str
    progress: int
    text: str
    author: str  # the full name, else the login


@dataclass
class ChangeRow:
    """One commitment over the window: where it stood at each end, how it moved, what was reported.
    `title`, `dialogue`, `updates` and `n_updates` are filled in only for the rows that are shown."""

    pk: int
    announced_on: datetime.date
    due_on: datetime.date | None
    start: State | None  # None: not yet announced at the start
    end: State
    n_updates: int = 0
    kinds: list[str] = field(default_factory=list)
    title: str = ""
    title_fr: str = ""
    dialogue: str = ""
    dialogue_fr: str = ""
    updates: list[WindowUpdate] = field(default_factory=list)

    @property
    def main_kind(self) -> str:
        return self.kinds[0]

    @property
    def earlier_updates(self) -> int:
        """How many updates in the window are not listed (the row lists the latest few)."""
        return self.n_updates - len(self.updates)

    @property
    def progress_delta(self) -> int:
        return self.end.progress - (self.start.progress if self.start else 0)


class Days(NamedTuple):
    """The window's two days and the stale cutoff of each, worked out once for every commitment."""

    start: datetime.date
    end: datetime.date
    start_cutoff: datetime.date
    end_cutoff: datetime.date

    @classmethod
    def of(cls, window: Window) -> "Days":
        return cls(window.start, window.end, rules.stale_cutoff(window.start), rules.stale_cutoff(window.end))


def classify(announced_on, due_on, start: State | None, end: State, reported: bool, days: Days) -> list[str]:
    """A commitment's kinds: first its main kind (new, or how it moved), then any of became overdue,
    became stale and silent that apply."""
    kinds = [NEW if start is None else rules.movement(start.status, start.progress, end.status, end.progress)]
    if rules.is_overdue(end.status, due_on, days.end) and not (
        start and rules.is_overdue(start.status, due_on, days.start)
    ):
        kinds.append("became_overdue")
    if rules.is_stale_before(end.status, end.last_update_on, announced_on, days.end_cutoff) and not (
        start and rules.is_stale_before(start.status, start.last_update_on, announced_on, days.start_cutoff)
    ):
        kinds.append("became_stale")
    if end.status not in rules.CLOSED_STATUSES and not reported:
        kinds.append("silent")
    return kinds


def change_between(days: Days, announced_on, due_on, at_start: State, at_end: State) -> Change:
    """A commitment's Change from its states on the window's two days. With nothing reported inside
    the window it ends as it started (or, announced inside it, as not yet reported on)."""
    start = at_start if announced_on <= days.start else None
    reported = at_end.last_update_on is not None and at_end.last_update_on > days.start
    end = at_end if reported else (start or NOT_YET_REPORTED)
    return Change(
        announced_on, due_on, start, end, reported, classify(announced_on, due_on, start, end, reported, days)
    )


# --- the same classification in SQL ------------------------------------------------------------
# The page counts every kind over every matching commitment and lists the first rows of a few
# objectives: at 100,000 commitments, reading each into Python to classify it costs seconds, so the
# database classifies them by the rules `classify` applies (tests/test_changes.py holds the two to the
# same answers) and only counts, and the rows a page shows, come back. Every value written into the
# SQL below is a date or one of the tracker's own words, never what a reader typed: the filters
# reach it through the ORM's parameters.


def _literal(value) -> str:
    """A date or one of the tracker's words as an SQL literal (see above: never a reader's text)."""
    text = value.isoformat() if isinstance(value, datetime.date) else str(value)
    if not re.fullmatch(r"[a-z_]+|\d{4}-\d{2}-\d{2}", text):
        raise ValueError(f"not a word or a date: {text!r}")
    return f"'{text}'"


def _in_sql(values) -> str:
    return f"({', '.join(_literal(v) for v in values)})"


def _latest_update_join(alias: str, day: datetime.date) -> str:
    """A LEFT JOIN naming `alias` the latest counting update (StatusUpdate.objects.counting(), in the
    trail's order) of commitment `c` on `day`: looked up, one index seek, only where the trail moved
    after `day` (for the others the stored columns already say their state then, as in state_then);
    otherwise `alias` is all NULL.

    Written for each database: PostgreSQL, given the update's id to join on, hashes every update in
    the table (100,000 at 10,000 commitments) once for each end rather than fetch the few it needs;
    its LATERAL subquery fetches them, and read the page's classification in 30 ms instead of 75.
    SQLite has no LATERAL and always joins by seeking the id, which is what it is given."""
    table, on = StatusUpdate._meta.db_table, _literal(day)
    moved = f"c.last_update_on > {on}"
    counting = f"u.commitment_id = c.pk AND u.withdrawn_at IS NULL AND u.reported_on <= {on}"
    latest_first = "ORDER BY u.reported_on DESC, u.created_at DESC, u.id DESC LIMIT 1"
    if connection.vendor == "postgresql":
        columns = "u.id, u.status, u.progress, u.reported_on"
        lateral = f"SELECT {columns} FROM {table} u WHERE {moved} AND {counting} {latest_first}"  # noqa: S608 - a date only
        return f"LEFT JOIN LATERAL ({lateral}) {alias} ON TRUE"
    latest = f"SELECT u.id FROM {table} u WHERE {counting} {latest_first}"  # noqa: S608 - a date only
    return f"LEFT JOIN {table} {alias} ON {alias}.id = CASE WHEN {moved} THEN ({latest}) END"


def _state_sql(day: datetime.date, update: str, column: str, stored: str, missing: str) -> str:
    """One column of a commitment's state on `day`, as state_on reads it: the stored column when
    nothing was reported after `day`, else the update _latest_update_join found (`missing` when
    none)."""
    return (
        f"CASE WHEN c.last_update_on IS NULL OR c.last_update_on <= {_literal(day)} THEN c.{stored} "
        f"WHEN {update}.id IS NULL THEN {missing} ELSE {update}.{column} END"
    )


def _rank_sql(status: str) -> str:
    """rules.STATUS_RANK of the status in column `status`."""
    ranks = " ".join(f"WHEN {_literal(s)} THEN {rank}" for s, rank in rules.STATUS_RANK.items())
    return f"CASE {status} {ranks} END"


def classified_sql(commitments, days: Days) -> tuple[str, list]:
    """SQL (and its parameters) giving each of `commitments` (a queryset) as CLASSIFIED's columns:
    `kind` the place of its main kind in KINDS; `overdue`, `stale` and `silent` 1 where it became
    overdue, became stale or fell silent; the state at each end. `change_between` and `classify`, in
    the database."""
    columns = ("pk", "announced_on", "due_on", "status", "progress", "last_update_on")
    try:
        sql, params = commitments.order_by().values(*columns).query.sql_with_params()
    except EmptyResultSet:
        # Filters that match nothing (a search with no word in it): the same columns, no row. The ORM
        # answers such a query without asking the database, which SQL written out cannot.
        nothing = Commitment.objects.filter(pk__isnull=True)
        sql, params = nothing.order_by().values(*columns).query.sql_with_params()
    start, end = _literal(days.start), _literal(days.end)
    not_started = _literal(Status.NOT_STARTED)
    closed = _in_sql(rules.CLOSED_STATUSES)
    order = {kind: i for i, kind in enumerate(KINDS)}
    at_ends = f"""
        SELECT c.pk, c.announced_on, c.due_on,
            CASE WHEN c.announced_on > {start} THEN 1 ELSE 0 END AS is_new,
            {_state_sql(days.start, "su", "status", "status", not_started)} AS s_status,
            {_state_sql(days.start, "su", "progress", "progress", "0")} AS s_progress,
            {_state_sql(days.start, "su", "reported_on", "last_update_on", "NULL")} AS s_last,
            {_state_sql(days.end, "eu", "status", "status", not_started)} AS a_status,
            {_state_sql(days.end, "eu", "progress", "progress", "0")} AS a_progress,
            {_state_sql(days.end, "eu", "reported_on", "last_update_on", "NULL")} AS a_last
        FROM ({sql}) c
        {_latest_update_join("su", days.start)}
        {_latest_update_join("eu", days.end)}"""  # noqa: S608 - dates and words only
    # `at_ends` is read once, into a table of its own (MATERIALIZED): left inline, the database
    # folds the subqueries below into one and copies each state's CASE into every place that reads
    # it (the end's status alone is read six times): counting 10,000 commitments over two years took
    # 34 ms of SQLite's time that way, 30 ms this way.
    # The end as change_between takes it: the state at the end if anything was reported inside the
    # window, else the start's (or, announced inside it, not yet reported on).
    ends = f"""
        SELECT pk, announced_on, due_on, is_new, s_status, s_progress, s_last, reported,
            CASE WHEN reported = 1 THEN a_status WHEN is_new = 0 THEN s_status ELSE {not_started} END AS e_status,
            CASE WHEN reported = 1 THEN a_progress WHEN is_new = 0 THEN s_progress ELSE 0 END AS e_progress,
            CASE WHEN reported = 1 THEN a_last WHEN is_new = 0 THEN s_last ELSE NULL END AS e_last
        FROM (
            SELECT at_ends.*, CASE WHEN a_last IS NOT NULL AND a_last > {start} THEN 1 ELSE 0 END AS reported
            FROM at_ends
        ) reported"""  # noqa: S608 - dates and words only
    judged = f"""
        SELECT ends.*, {_rank_sql("s_status")} AS s_rank, {_rank_sql("e_status")} AS e_rank,
            CASE WHEN s_status IN {closed} THEN 0 ELSE 1 END AS s_open,
            CASE WHEN e_status IN {closed} THEN 0 ELSE 1 END AS e_open
        FROM ({ends}) ends"""  # noqa: S608 - words only
    # rules.movement: the status's rank decides, then progress (0 to 100).
    kind = f"""CASE WHEN is_new = 1 THEN {order[NEW]}
        WHEN e_rank * 1000 + e_progress > s_rank * 1000 + s_progress THEN {order[FORWARD]}
        WHEN e_rank * 1000 + e_progress < s_rank * 1000 + s_progress THEN {order[SLIPPED]}
        ELSE {order[UNCHANGED]} END"""
    overdue = f"""CASE WHEN e_open = 1 AND due_on < {end}
        AND NOT (is_new = 0 AND s_open = 1 AND due_on < {start}) THEN 1 ELSE 0 END"""
    stale = f"""CASE WHEN e_open = 1 AND COALESCE(e_last, announced_on) < {_literal(days.end_cutoff)}
        AND NOT (is_new = 0 AND s_open = 1 AND COALESCE(s_last, announced_on) < {_literal(days.start_cutoff)})
        THEN 1 ELSE 0 END"""
    silent = "CASE WHEN e_open = 1 AND reported = 0 THEN 1 ELSE 0 END"
    return (
        f"WITH at_ends AS MATERIALIZED ({at_ends}) "  # noqa: S608 - dates and words only
        f"SELECT pk, {kind} AS kind, {overdue} AS overdue, {stale} AS stale, {silent} AS silent, "
        f"is_new, announced_on, due_on, s_status, s_progress, s_last, e_status, e_progress, e_last "
        f"FROM ({judged}) judged",
        list(params),
    )


CLASSIFIED = (
    "pk kind overdue stale silent is_new announced_on due_on "
    "s_status s_progress s_last e_status e_progress e_last"
).split()


def _date(value) -> datetime.date | None:
    """A date read by raw SQL: SQLite gives its text, PostgreSQL a date."""
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


def change_row(classified: tuple) -> ChangeRow:
    """A ChangeRow from one row of classified_sql."""
    row = dict(zip(CLASSIFIED, classified, strict=False))
    flags = [("became_overdue", row["overdue"]), ("became_stale", row["stale"]), ("silent", row["silent"])]
    start = None if row["is_new"] else State(row["s_status"], row["s_progress"], _date(row["s_last"]))
    return ChangeRow(
        row["pk"],
        _date(row["announced_on"]),
        _date(row["due_on"]),
        start,
        State(row["e_status"], row["e_progress"], _date(row["e_last"])),
        kinds=[list(KINDS)[row["kind"]], *(kind for kind, flag in flags if flag)],
    )


def _query(sql: str, params) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@dataclass
class ObjectiveGroup:
    """An objective's rows: on the page only those it shows (`rows` is `shown`); in the CSV all."""

    name: str
    slug: str
    rows: list[ChangeRow]
    shown: list[ChangeRow]
    size: int  # how many rows it has in all
    lines: list[dict] = field(default_factory=list)  # on the page: what it prints of `shown` (RowWriter)


# Characters of an update's text a row shows.
UPDATE_TEXT_LENGTH = 160


class RowWriter:
    """What the page prints of its rows (_changes.html), as plain text in dicts, each word written
    once per page: 150 rows share one link pattern, a few dozen statuses, percentages and authors,
    and a few hundred days. Printed through the template's own lookups, filters and tags ({% url %}
    twice, |date, |percent, {% localized %}), the 150 rows of the two-year page cost about 30 ms
    more of its 140 at 10,000 commitments. All of it is text: the template escapes it and writes
    the markup."""

    def __init__(self, window: Window):
        self.link = commitment_link_maker(window.end)
        self.language = active_language()
        self._day = date_writer("SHORT_DATE_FORMAT")
        self._written: dict[tuple, str] = {}

    def _once(self, key: tuple, write) -> str:
        written = self._written.get(key)
        if written is None:
            written = self._written[key] = write()
        return written

    def status(self, value: str) -> str:
        return self._once(("status", value), lambda: str(Status(value).label))

    def percent(self, value: int) -> str:
        return self._once(("percent", value), lambda: percent(value))

    def kind(self, kind: str) -> str:
        return self._once(("kind", kind), lambda: str(KINDS[kind]))

    def text(self, english: str, french: str) -> tuple[str, str]:
        """The text for the reader and, when it is not in the page's language, the language it is in
        (as {% localized %} marks it)."""
        shown = localized_text(english, french, language=self.language)
        return shown.text, shown.lang if shown.foreign else ""

    def line(self, row: ChangeRow) -> dict:
        start, end = row.start, row.end
        title, title_lang = self.text(row.title, row.title_fr)
        dialogue, dialogue_lang = self.text(row.dialogue, row.dialogue_fr)
        progress = self.percent(end.progress)
        return {
            "url": self.link(row.pk),
            "title": title,
            "title_lang": title_lang,
            "dialogue": dialogue,
            "dialogue_lang": dialogue_lang,
            "kinds": [(kind, self.kind(kind)) for kind in row.kinds],
            "start_status": start.status if start else "",
            "start_label": self.status(start.status) if start else "",
            "end_status": end.status,
            "end_label": self.status(end.status),
            "progress": f"{self.percent(start.progress)} → {progress}" if start else progress,
            "delta": f"{row.progress_delta:+d}",
            "updates": [self.update(update) for update in row.updates],
            "earlier_updates": row.earlier_updates,
        }

    def update(self, update: WindowUpdate) -> dict:
        return {
            "iso": update.reported_on.isoformat(),
            "day": self._once(("day", update.reported_on), lambda: self._day(update.reported_on)),
            "author": update.author,
            "status": update.status,
            "status_label": self.status(update.status),
            "progress": self.percent(update.progress),
            "text": shortened(update.text, UPDATE_TEXT_LENGTH),
        }


def shortened(text: str, length: int) -> str:
    """`text` as |truncatechars:`length` gives it. Most updates are short: those, already in the
    normal form Truncator puts text in (NFC), come back as they are without walking through their
    characters one by one (about 14 µs an update)."""
    if len(text) <= length and unicodedata.is_normalized("NFC", text):
        return text
    return Truncator(text).chars(length)


class Changes(caching.CachedPage):
    """The changes page's data: the list's filters applied to the commitments as they stood at the
    window's end. Cached like the list: by the data token, the window and the whole query string."""

    # Rows listed per objective on the page (the CSV has them all); one objective shows more.
    ROWS_PER_GROUP, ROWS_ONE_GROUP = 25, 500
    # Objectives per page: a dialogue's objectives fit on one (the U.S.-France dialogue has six
    # themes); every dialogue at once (120 objectives at 10,000 commitments) would be 3,000 rows,
    # seconds to draw and more than anyone reads. The counts above the groups cover every page.
    OBJECTIVES_PER_PAGE = 6
    # Updates listed per row, the latest in the window (the count says how many there were): over two
    # years a commitment has ten or more, and a page of 150 rows would list over a thousand.
    UPDATES_PER_ROW = 3

    def __init__(self, query_dict, window: Window):
        self.query_dict = query_dict
        self.window = window

    # Built on first use, as the list's (CommitmentBrowser.filterset): a page served from the cache
    # never needs them.
    @cached_property
    def filterset(self) -> CommitmentFilter:
        filterset = CommitmentFilter(
            self.query_dict, queryset=Commitment.objects.as_of(self.window.end), day=self.window.end
        )
        filterset.is_valid()  # validated at once: everything after reads its cleaned data
        return filterset

    @property
    def valid(self) -> bool:
        return self.filterset.is_valid()  # the form keeps its errors: validated once

    def cache_parts(self) -> tuple:
        return (self.window, tuple(sorted(self.query_dict.lists())))

    @property
    def problems(self) -> list[str]:
        return self.filterset.problems()

    @cached_property
    def _matching(self):
        """The ids of the commitments the filters match, as a subquery."""
        return self.filterset.qs.order_by().values("pk")

    @cached_property
    def _changes(self) -> dict[int, Change]:
        """Every matching commitment announced by the window's end, classified, by id (1 query):
        both ends' states read at once, as states_on reads one day."""
        if not self.valid:
            return {}
        start, end = self.window.start, self.window.end
        read = (
            Commitment.objects.filter(pk__in=self._matching, announced_on__lte=end)
            .annotate(at_start=state_then(start), at_end=state_then(end))
            .order_by()
            .values_list(
                "pk",
                "announced_on",
                "due_on",
                "status",
                "progress",
                "last_update_on",
                "slip_reason",
                "at_start",
                "at_end",
            )
        )
        days = Days.of(self.window)
        changes = {}
        for pk, announced_on, due_on, *stored, at_start, at_end in read:
            changes[pk] = change_between(
                days,
                announced_on,
                due_on,
                State(*state_on(start, *stored, at_start)[:3]),
                State(*state_on(end, *stored, at_end)[:3]),
            )
        return changes

    def _row(self, pk: int) -> "ChangeRow":
        """The ChangeRow of commitment `pk`, made once: the page's groups and `rows` share it."""
        row = self._row_objects.get(pk)
        if row is None:
            change = self._changes[pk]
            row = self._row_objects[pk] = ChangeRow(
                pk, change.announced_on, change.due_on, change.start, change.end, kinds=change.kinds
            )
        return row

    @cached_property
    def _row_objects(self) -> dict[int, "ChangeRow"]:
        return {}

    @property
    def rows(self) -> list[ChangeRow]:
        """Every matching commitment announced by the window's end, as a ChangeRow."""
        return [self._row(pk) for pk in self._changes]

    @cached_property
    def _announced(self):
        """The matching commitments announced by the window's end."""
        return Commitment.objects.filter(pk__in=self._matching, announced_on__lte=self.window.end)

    @cached_property
    def counts(self) -> list[tuple[str, str, int]]:
        """(kind, heading, how many commitments) for every kind, in page order: counted by the
        database (1 query, whatever the number of commitments)."""
        tally = defaultdict(int)
        if self.valid:
            sql, params = classified_sql(self._announced, Days.of(self.window))
            counted = (
                f"SELECT kind, COUNT(*), SUM(overdue), SUM(stale), SUM(silent) FROM ({sql}) k GROUP BY kind"  # noqa: S608
            )
            names = list(KINDS)
            for kind, n, overdue, stale, silent in _query(counted, params):
                tally[names[kind]] += n
                tally["became_overdue"] += overdue
                tally["became_stale"] += stale
                tally["silent"] += silent
        return [(kind, label, tally[kind]) for kind, label in KINDS.items()]

    @cached_property
    def _labels(self) -> dict[str, list]:
        """Every dialogue, theme and agency by name (one query), themes in their display order: for
        grouping by objective, and for naming the filters in force."""
        return facet_labels()

    @property
    def filter_choices(self) -> dict[str, list[tuple[str, str]]]:
        """The filter form's options, from the labels the page reads anyway (no query of its own)."""
        return filter_choices(self._labels)

    @property
    def active_filters(self) -> list[ActiveFilter]:
        """The filters in force, in words, worded as the page's form words them."""
        names = {
            kind: {row.slug: row.label for row in self._labels[kind]}
            for kind in ("dialogue", "theme", "agency")
        }
        return self.filterset.described(
            names, labels={"theme": _("Objective"), "status": _("Status at the end")}
        )

    @cached_property
    def _by_objective(self) -> list[tuple[str, str, list[int]]]:
        """(name, slug, commitment ids) for each objective the rows belong to, in the objectives'
        order (1 query). A commitment under two objectives is under both; one under none, in a last
        group."""
        changes = self._changes
        links: dict[int, list[int]] = defaultdict(list)
        linked = set()
        for commitment_id, theme_id in Commitment.themes.through.objects.filter(
            commitment__in=self._matching
        ).values_list("commitment_id", "theme_id"):
            if commitment_id in changes:
                links[theme_id].append(commitment_id)
                linked.add(commitment_id)
        objectives = [(t.label, t.slug, links[t.pk]) for t in self._labels["theme"] if t.pk in links]
        unlinked = [pk for pk in changes if pk not in linked]
        if unlinked:
            objectives.append((str(NO_OBJECTIVE), "", unlinked))
        return objectives

    def all_groups(self) -> list[ObjectiveGroup]:
        """Every row of every objective, classified in Python (classify) and described, ordered by
        kind, then title: for the CSV and the API (4 queries)."""
        order = {kind: i for i, kind in enumerate(KINDS)}
        groups = []
        for name, slug, pks in self._by_objective:
            rows = [self._row(pk) for pk in pks]
            groups.append(ObjectiveGroup(name, slug, rows, rows, len(rows)))
        # Every row: name them by the filters' subquery, not by a list of thousands of ids.
        self._describe({row.pk: row for group in groups for row in group.shown}, everyone=True)
        for group in groups:
            group.shown.sort(key=lambda r: (order[r.main_kind], r.title, r.pk))
        return groups

    def _describe(self, rows: dict[int, ChangeRow], everyone: bool = False) -> None:
        """Titles, dialogues, the latest UPDATES_PER_ROW updates in the window and how many there
        were, for `rows` only (2 queries)."""
        ids = self._matching if everyone else list(rows)
        for row in rows.values():
            row.updates = []
        described = Commitment.objects.filter(pk__in=ids).values_list(
            "pk", "title", "title_fr", "dialogue__name", "dialogue__name_fr"
        )
        for pk, title, title_fr, dialogue, dialogue_fr in described:
            if pk in rows:
                row = rows[pk]
                row.title, row.title_fr, row.dialogue, row.dialogue_fr = (
                    title,
                    title_fr,
                    dialogue,
                    dialogue_fr,
                )
        latest_first = [F("reported_on").desc(), F("created_at").desc(), F("id").desc()]
        updates = (
            StatusUpdate.objects.counting()
            .filter(commitment__in=ids, reported_on__gt=self.window.start, reported_on__lte=self.window.end)
            .annotate(
                place=models.Window(RowNumber(), partition_by=F("commitment_id"), order_by=latest_first),
                in_window=models.Window(Count("id"), partition_by=F("commitment_id")),
            )
            .filter(place__lte=self.UPDATES_PER_ROW)
            .order_by("reported_on", "created_at", "id")
        )
        # As plain tuples, not StatusUpdate and User objects: making those was half the cost.
        read = updates.values_list(
            "commitment_id",
            "reported_on",
            "status",
            "progress",
            "text",
            "author__first_name",
            "author__last_name",
            "author__username",
            "in_window",
        )
        for commitment_id, reported_on, status, progress, text, first, last, username, in_window in read:
            if commitment_id in rows:
                row = rows[commitment_id]
                author = person_name(first, last, username)
                row.updates.append(WindowUpdate(reported_on, status, progress, text, author))
                row.n_updates = in_window

    @cached_property
    def _objectives(self) -> list[tuple[str, str, int | None, int]]:
        """(name, slug, theme id, how many rows) of each objective the rows belong to, in the
        objectives' order, the commitments under none last (theme id None): with a filter in force
        counted by the database (1 query), with none read from the maintained counts (3 queries)."""
        if not self.valid:
            return []
        sizes = self._sizes_of_every_objective() if not self.filterset.active() else self._sizes_counted()
        objectives = [(t.label, t.slug, t.pk, sizes[t.pk]) for t in self._labels["theme"] if t.pk in sizes]
        if None in sizes:
            objectives.append((str(NO_OBJECTIVE), "", None, sizes[None]))
        return objectives

    def _sizes_counted(self) -> dict[int | None, int]:
        """How many matching commitments announced by the window's end each objective has, by theme
        id (None: under none), counted afresh (1 query)."""
        return dict(self._announced.order_by().values_list("themes").annotate(n=Count("pk")))

    def _sizes_of_every_objective(self) -> dict[int | None, int]:
        """_sizes_counted when no filter is in force, without a count over every commitment and link
        (70 ms and more at 100,000 commitments): each theme's links from the maintained counts
        (tracker/counts.py), less those of the commitments announced after the window's end (read
        from the announcement date's index: as a rule there are none); the commitments under no
        objective counted on the links' index (3 queries)."""
        sizes: dict[int | None, int] = defaultdict(int)
        for code, _status, n, _progress in theme_status_counts():
            sizes[int(code)] += n
        later = Commitment.objects.filter(announced_on__gt=self.window.end)
        for theme, n in later.order_by().values_list("themes").annotate(n=Count("pk")):
            sizes[theme] -= n  # a later commitment under no objective, from those counted below
        linked = Commitment.themes.through.objects.filter(commitment_id=OuterRef("pk"))
        sizes[None] += Commitment.objects.filter(~Exists(linked)).count()
        return {theme: n for theme, n in sizes.items() if n}

    @cached_property
    def objective_page(self):
        """The page of objectives asked for (`page`; the last one when past the end)."""
        return Paginator(self._objectives, self.OBJECTIVES_PER_PAGE).get_page(self.query_dict.get("page"))

    def _first_rows(self, themes: list[int | None], limit: int) -> dict[int | None, list[ChangeRow]]:
        """The first `limit` rows of each of `themes` (None: the commitments under no objective) in
        the page's order of kinds, then by id: only their commitments are classified (1 query)."""
        through = Commitment.themes.through
        linked = [theme for theme in themes if theme is not None]
        wanted = Q(pk__in=through.objects.filter(theme_id__in=linked).values("commitment_id"))
        where = [f"theme_id IN ({', '.join(str(int(theme)) for theme in linked)})"] if linked else []
        if None in themes:
            wanted |= ~Q(pk__in=through.objects.values("commitment_id"))
            where.append("theme_id IS NULL")
        # The objectives first: the database then starts from their few links, not from every match
        # (nor, with no filter in force, from a list of every commitment's id).
        candidates = Commitment.objects.filter(wanted).filter(announced_on__lte=self.window.end)
        if self.filterset.active():
            candidates = candidates.filter(pk__in=self._matching)
        sql, params = classified_sql(candidates, Days.of(self.window))
        placed = f"""
            SELECT {", ".join(CLASSIFIED)}, theme_id FROM (
                SELECT k.*, l.theme_id,
                    ROW_NUMBER() OVER (PARTITION BY l.theme_id ORDER BY k.kind, k.pk) AS place
                FROM ({sql}) k LEFT JOIN {through._meta.db_table} l ON l.commitment_id = k.pk
            ) placed
            WHERE place <= {int(limit)} AND ({" OR ".join(where)})
            ORDER BY kind, pk"""  # noqa: S608 - ids and words only
        rows = defaultdict(list)
        for *classified, theme in _query(placed, params):
            pk = classified[0]
            if pk not in self._row_objects:
                self._row_objects[pk] = change_row(classified)
            rows[theme].append(self._row_objects[pk])
        return rows

    @cached_property
    def groups(self) -> list[ObjectiveGroup]:
        """The groups of this page of objectives as the page shows them: their first rows, read,
        classified and described alone (3 queries); the counts cover all of them."""
        several = len(self._objectives) > 1
        objectives = self.objective_page.object_list
        if not objectives:
            return []
        rows = self._first_rows(
            [theme for _name, _slug, theme, _size in objectives],
            self.ROWS_PER_GROUP if several else self.ROWS_ONE_GROUP,
        )
        groups = [
            ObjectiveGroup(name, slug, rows[theme], rows[theme], size)
            for name, slug, theme, size in objectives
        ]
        self._describe({row.pk: row for group in groups for row in group.shown})
        order = {kind: i for i, kind in enumerate(KINDS)}
        writer = RowWriter(self.window)
        for group in groups:
            group.shown.sort(key=lambda r: (order[r.main_kind], r.title, r.pk))
            group.lines = [writer.line(row) for row in group.shown]
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
    """Every row of every objective (no limit), one per objective and commitment, in the page's
    order; the last cell is the commitment's id, for the caller to turn into a link. Words are
    translated once, not once per cell: an export has tens of thousands of cells."""
    yes, no = str(_("yes")), str(_("no"))
    kinds = {kind: str(label) for kind, label in KINDS.items()}
    labels = {value: str(label) for value, label in Status.choices}
    for group in changes.all_groups():
        for row in group.shown:
            yield [
                group.name,
                row.pk,
                row.dialogue,
                row.title,
                kinds[row.main_kind],
                yes if "became_overdue" in row.kinds else no,
                yes if "became_stale" in row.kinds else no,
                yes if "silent" in row.kinds else no,
                labels[row.start.status] if row.start else "",
                labels[row.end.status],
                row.start.progress if row.start else "",
                row.end.progress,
                row.progress_delta,
                row.n_updates,
                row.pk,
            ]

"""Maintained counts: the commitments counted by dialogue and status, overall and per theme, agency,
country and reason for slippage, kept in step by the writes instead of recounted by every page.

The list's facets and the overview's cards count today's commitments by their stored state (status,
progress, slip reason). Counting them afresh costs GROUP BYs over every commitment and every link
(30–60 ms at 10,000 commitments); reading counts kept up to date costs one small query. The table,
`tracker_commitmentcount` (models.CommitmentCount), holds one row per (dimension, code, dialogue,
status) with the number of commitments and the sum of their progress:

- `all`: every commitment (code "");
- `theme` and `agency`: one per link (code: the theme's or agency's id; a commitment links a theme
  or an agency once, by unique constraints, so links are commitments);
- `country`: distinct commitments with at least one agency of that country (code: the country);
- `reason`: the commitments whose latest update gives that reason for slipping (code: the reason).

A row's dialogue and status are its commitment's, so a facet with a status or dialogue filter in
force sums the rows of the chosen ones: commitments have one of each, so the sums never count one
twice. Every count is also kept under ANY_DIALOGUE (0), so that a list or overview of every
dialogue reads a few rows per theme or agency (2,000 at 10,000 commitments) rather than one per
dialogue as well (18,000). With one theme, agency, country or reason chosen besides them (and no
role), the status and dialogue facets read that one code's rows, one per dialogue and status
(`counts_of_one`), and that facet's own counts are read as above; every other facet, any other
filter (several themes, a role, text, due, stale…), and a past day still count from the commitments.

Why database triggers and not the services or signals: every write then keeps the counts whatever
makes it — the pages, the admin, the spreadsheet import, the API, `QuerySet.update()`, bulk
inserts, Django's cascades — and in the writer's own transaction, so a rolled-back write leaves
no trace and two writers never race on a count (each adds its difference in place). Triggers on:

- tracker_commitment: an insert adds its contribution (to all, reason, and to the theme, agency and
  country rows of any links it already has), a delete subtracts it, and an update of the status,
  progress, dialogue or slip reason subtracts the old contribution and adds the new one — in one
  statement per part, summed and written in the order of the counts' key, so that two writers lock
  the count rows they share in the same order (one moving a commitment from on track to at risk
  while another moves one back would otherwise deadlock on PostgreSQL);
- the theme links and the participations: an insert adds the link's contribution with its
  commitment's current state, a delete subtracts it (nothing when the commitment is already gone:
  its own delete took its links' share with it), an update does both.

A country counts a commitment once: a participation adds to its country only when no *other*
participation of the same commitment has that country, and removes from it on the same condition.
On PostgreSQL that test runs in a BEFORE trigger, which sees the rows its statement has written so
far; an AFTER trigger there would see the whole statement's rows (a bulk insert of two agencies of
one country would then add nothing). SQLite runs row triggers one row at a time either way.
(A BEFORE trigger runs even for a row that `bulk_create(ignore_conflicts=True)` then skips: nothing
inserts participations that way; do not start to without revisiting this.)

What it costs a write: a status update rewrites about ten count rows (five parts, two grains), each
an upsert by the unique key. Writers that change commitments concurrently queue on the count rows
they share (on SQLite, writers queue anyway).

Rows are never deleted: one that falls to zero stays (readers skip zeros); `flush` empties them. The migration that
creates the table (0019) calls `install`, which also fills it from the data there. Django remakes a
table on SQLite for some later changes (altering a column, some constraints), which drops its
triggers: a migration that does that to tracker_commitment, its theme links or tracker_participation
must call `install` again (tests/test_counts.py fails otherwise: it checks the triggers are there).
"""

import functools

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import IntegerField, Sum, Value
from django.db.models.signals import post_migrate

from . import rules
from .compiled import CompiledQuery, compile_once
from .models import ANY_DIALOGUE, Commitment, CommitmentCount, CountDimension, SlipReason

TABLE = "tracker_commitmentcount"
THEME_LINKS = "tracker_commitment_themes"
PARTICIPATIONS = "tracker_participation"
# The commitment's columns its contribution depends on: an update of any other leaves the counts alone.
COUNTED_COLUMNS = ("status", "progress", "dialogue_id", "slip_reason")
# The triggers install() creates, by table: what the test checks is still there after migrations.
TRIGGERS = {
    "tracker_commitment": "tracker_count_commitment",
    THEME_LINKS: "tracker_count_theme_link",
    PARTICIPATIONS: "tracker_count_participation",
}


# --- reading

# Every dimension but ALL: the links' and reasons' counts.
LINKED_DIMENSIONS = [dimension for dimension in CountDimension.values if dimension != CountDimension.ALL]


def facet_counts(statuses: list[str], dialogue_ids: list[int] | None) -> dict[str, dict]:
    """Today's counts for the list's facets when only status and dialogue filters are in force (1 query).

    `statuses`: the chosen statuses (none: all); `dialogue_ids`: the chosen dialogues' ids (None: all).
    Returns counts by kind: "status" (with the dialogue filter applied), "dialogue" (keyed by id, with
    the status filter), and "theme", "agency" (keyed by id), "country", "reason" (by code), with both.
    """
    if dialogue_ids == []:  # chosen dialogues that do not exist: the query has no part for the links
        rows = list(facet_counts_query(statuses, dialogue_ids))
    else:
        compiled = _compiled_facet_counts(
            connection.vendor, len(statuses), None if dialogue_ids is None else len(dialogue_ids)
        )
        rows = compiled.rows([*statuses, *(dialogue_ids or [])])
    counts: dict[str, dict] = {
        "status": {},
        "dialogue": {},
        "theme": {},
        "agency": {},
        "country": {},
        "reason": {},
    }
    for dimension, code, dialogue_id, status, n in rows:
        if dimension != CountDimension.ALL:
            by_id = dimension in (CountDimension.THEME, CountDimension.AGENCY)
            counts[dimension][int(code) if by_id else code] = n
            continue
        if dialogue_ids is None or dialogue_id in dialogue_ids:
            counts["status"][status] = counts["status"].get(status, 0) + n
        if not statuses or status in statuses:
            counts["dialogue"][dialogue_id] = counts["dialogue"].get(dialogue_id, 0) + n
    return counts


def facet_counts_query(statuses: list[str], dialogue_ids: list[int] | None):
    """facet_counts' query: (dimension, code, dialogue id or None, status or "", commitments) rows."""
    everything = (
        CommitmentCount.objects.filter(dimension=CountDimension.ALL)
        .exclude(dialogue_id=ANY_DIALOGUE)
        .exclude(n=0)
    )
    # Without a dialogue filter, the rows for any dialogue: a few per theme or agency, not one per dialogue too.
    # The dimensions named (not "all but ALL"), so that their rows are read by the index that keeps
    # each dimension's rows of a dialogue in the order of their codes.
    linked = CommitmentCount.objects.filter(
        dimension__in=LINKED_DIMENSIONS,
        dialogue_id__in=[ANY_DIALOGUE] if dialogue_ids is None else dialogue_ids,
    )
    if statuses:
        linked = linked.filter(status__in=statuses)
    no_dialogue, no_status = Value(None, IntegerField()), Value("")
    return (
        everything.order_by()
        .values_list("dimension", "code", "dialogue_id", "status", "n")
        .union(
            linked.order_by()
            .values("dimension", "code")
            .annotate(dialogue=no_dialogue, no_status=no_status, total=Sum("n"))
            .filter(total__gt=0)
            .values_list("dimension", "code", "dialogue", "no_status", "total"),
            all=True,
        )
    )


@functools.lru_cache(maxsize=64)
def _compiled_facet_counts(vendor: str, statuses: int, dialogues: int | None) -> CompiledQuery:
    """facet_counts_query for so many statuses and dialogues (None: every dialogue), compiled once
    (tracker/compiled.py): its values are the statuses, then the dialogues' ids. Building it took
    about 1 ms a request, as long as the database took to answer it."""

    def build(values):
        return facet_counts_query(values[:statuses], None if dialogues is None else values[statuses:])

    return compile_once(build, [str] * statuses + [int] * (dialogues or 0))


def counts_of_one(dimension: str, code: str):
    """Today's count rows of one theme, agency, country or reason (`code`: the theme's or agency's id,
    the country or reason code), one per dialogue and status: the commitments under it by dialogue
    and status, for the list's status and dialogue facets when that is the one other filter."""
    return CommitmentCount.objects.filter(dimension=dimension, code=code).exclude(dialogue_id=ANY_DIALOGUE)


def maintained_counts(dimension: str, statuses: list[str], dialogue_ids: list[int] | None):
    """Today's count rows of one dimension (theme, agency, country or reason) in the chosen statuses
    (none: all) and dialogues (None: all), to be summed by code: one part of the list's facet query
    when a filter other than status and dialogue is in force, but not one that narrows this facet."""
    rows = CommitmentCount.objects.filter(
        dimension=dimension, dialogue_id__in=[ANY_DIALOGUE] if dialogue_ids is None else dialogue_ids
    )
    return rows.filter(status__in=statuses) if statuses else rows


def theme_status_counts(dialogue_id: int | None = None, theme_ids: list[int] | None = None):
    """Today's (theme id, status, commitments, summed progress) rows, of one dialogue's commitments
    when given, of the themes `theme_ids` when given (1 query, a few rows per theme)."""
    rows = CommitmentCount.objects.filter(
        dimension=CountDimension.THEME, dialogue_id=ANY_DIALOGUE if dialogue_id is None else dialogue_id
    ).exclude(n=0)
    if theme_ids is not None:
        rows = rows.filter(code__in=[str(theme_id) for theme_id in theme_ids])
    return (
        rows.values("code", "status")
        .annotate(commitments=Sum("n"), progress=Sum("progress_sum"))
        .order_by()
        .values_list("code", "status", "commitments", "progress")
    )


def open_status_and_reason_counts(dialogue_id: int | None = None):
    """Today's open commitments (of one dialogue when given) counted by status (dimension `all`) and
    by reason for slipping and status (`reason`): (dimension, code, status, commitments) rows (a
    query to run or to take into a UNION; a few dozen rows)."""
    # Every code named, so that the rows are found by the counts' key (dimension, code, dialogue,
    # status), not among every dimension's rows of the dialogue (thousands: one per theme and agency).
    rows = CommitmentCount.objects.filter(
        dimension__in=[CountDimension.ALL, CountDimension.REASON],
        code__in=["", *SlipReason.values],
        dialogue_id=ANY_DIALOGUE if dialogue_id is None else dialogue_id,
    ).exclude(n=0)
    return (
        rows.exclude(status__in=rules.CLOSED_STATUSES)
        .values("dimension", "code", "status")
        .annotate(commitments=Sum("n"))
        .order_by()
        .values_list("dimension", "code", "status", "commitments")
    )


# --- an emptied database


def connect_signals() -> None:
    post_migrate.connect(forget_the_counts_of_an_empty_database, dispatch_uid="tracker_counts_emptied")


def forget_the_counts_of_an_empty_database(sender, using=DEFAULT_DB_ALIAS, **kwargs) -> None:
    """After `flush` (and so after every transactional test) no commitment is left, but on SQLite the
    tables are emptied one by one in no set order: a commitment's delete trigger may write into counts
    already emptied. No commitments, no counts."""
    if sender.name != "tracker":
        return
    connection = connections[using]
    tables = connection.introspection.table_names()
    if TABLE in tables and "tracker_commitment" in tables and not Commitment.objects.using(using).exists():
        CommitmentCount.objects.using(using).all().delete()


# --- the schema (called by migrations)


def _add(select: str) -> str:
    """Add the rows `select` gives (dimension, code, dialogue, status, n, progress) to the counts.

    `WHERE` in every select: SQLite reads an upsert's `ON CONFLICT` as a join's `ON` without one.
    """
    return (
        f"INSERT INTO {TABLE} (dimension, code, dialogue_id, status, n, progress_sum) {select} "
        "ON CONFLICT (dimension, code, dialogue_id, status) DO UPDATE SET "
        f"n = {TABLE}.n + excluded.n, progress_sum = {TABLE}.progress_sum + excluded.progress_sum"
    )


def _columns(dimension: str, code: str, dialogue: str, status: str, sign: int, progress: str) -> str:
    """A contribution's select list, named (so that an update can sum the old and new ones)."""
    return (
        f"{dimension} AS dimension, {code} AS code, {dialogue} AS dialogue_id, {status} AS status, "
        f"{sign} AS n, {sign} * {progress} AS progress"
    )


def _each_grain(contribution):
    """`contribution(row, sign, dialogue)` made for the row's own dialogue and for ANY_DIALOGUE."""

    def selects(row: str, sign: int) -> list[str]:
        return [
            *contribution(row, sign, dialogue=None),
            *contribution(row, sign, dialogue=str(ANY_DIALOGUE)),
        ]

    return selects


@_each_grain
def _commitment_contribution(row: str, sign: int, dialogue: str | None) -> list[str]:
    """Selects of what the commitment `row` (new or old) adds (sign 1) or takes away (-1) where it counts."""

    def counted(dimension, code):
        return _columns(
            dimension, code, dialogue or f"{row}.dialogue_id", f"{row}.status", sign, f"{row}.progress"
        )

    return [
        f"SELECT {counted(repr('all'), repr(''))} WHERE 1 = 1",
        f"SELECT {counted(repr('reason'), f'{row}.slip_reason')} WHERE {row}.slip_reason <> ''",
        f"SELECT {counted(repr('theme'), 'CAST(l.theme_id AS TEXT)')} FROM {THEME_LINKS} l "
        f"WHERE l.commitment_id = {row}.id",
        f"SELECT {counted(repr('agency'), 'CAST(p.agency_id AS TEXT)')} FROM {PARTICIPATIONS} p "
        f"WHERE p.commitment_id = {row}.id",
        f"SELECT DISTINCT {counted(repr('country'), 'p.country')} FROM {PARTICIPATIONS} p "
        f"WHERE p.commitment_id = {row}.id",
    ]


@_each_grain
def _theme_link_contribution(row: str, sign: int, dialogue: str | None) -> list[str]:
    counted = _columns(
        "'theme'",
        f"CAST({row}.theme_id AS TEXT)",
        dialogue or "c.dialogue_id",
        "c.status",
        sign,
        "c.progress",
    )
    return [f"SELECT {counted} FROM tracker_commitment c WHERE c.id = {row}.commitment_id"]


@_each_grain
def _participation_contribution(row: str, sign: int, dialogue: str | None) -> list[str]:
    """The agency's share, and the country's when no other participation of the commitment has it."""

    def counted(dimension, code):
        return _columns(dimension, code, dialogue or "c.dialogue_id", "c.status", sign, "c.progress")

    return [
        f"SELECT {counted(repr('agency'), f'CAST({row}.agency_id AS TEXT)')} FROM tracker_commitment c "
        f"WHERE c.id = {row}.commitment_id",
        f"SELECT {counted(repr('country'), f'{row}.country')} FROM tracker_commitment c "
        f"WHERE c.id = {row}.commitment_id AND NOT EXISTS "
        f"(SELECT 1 FROM {PARTICIPATIONS} o WHERE o.commitment_id = {row}.commitment_id "
        f"AND o.country = {row}.country AND o.id <> {row}.id)",
    ]


def _added(contribution, row: str, sign: int) -> list[str]:
    return [_add(select) for select in contribution(row, sign)]


def _moved(contribution) -> list[str]:
    """An update: the old row's contribution taken away and the new one's added, in one statement per
    part, in the order of the counts' key. Two writers then lock the count rows in the same order
    (two separate statements could deadlock on PostgreSQL: one moving a commitment from on track to
    at risk, the other from at risk to on track); what does not change is not written."""
    key = "dimension, code, dialogue_id, status"
    return [
        _add(
            f"SELECT {key}, SUM(n) AS n, SUM(progress) AS progress FROM ({old} UNION ALL {new}) moved "
            f"WHERE 1 = 1 GROUP BY {key} HAVING SUM(n) <> 0 OR SUM(progress) <> 0 ORDER BY {key}"
        )
        for old, new in zip(contribution("old", -1), contribution("new", 1), strict=True)
    ]


# (table, its contribution, the columns an update must touch to change the counts)
_COUNTED_TABLES = [
    ("tracker_commitment", _commitment_contribution, COUNTED_COLUMNS),
    (THEME_LINKS, _theme_link_contribution, ("commitment_id", "theme_id")),
    (PARTICIPATIONS, _participation_contribution, ("commitment_id", "agency_id", "country")),
]


def _fill() -> list[str]:
    """Empty the counts and count every commitment afresh, by dialogue and for any dialogue."""
    return [f"DELETE FROM {TABLE}", *_fill_grain("c.dialogue_id"), *_fill_grain(str(ANY_DIALOGUE))]


def _fill_grain(dialogue: str) -> list[str]:
    counted = f"{dialogue}, c.status, COUNT(*), SUM(c.progress)"
    grouping = "c.status" if dialogue == str(ANY_DIALOGUE) else "c.dialogue_id, c.status"
    commitments = "tracker_commitment c"
    return [
        _add(f"SELECT 'all', '', {counted} FROM {commitments} WHERE 1 = 1 GROUP BY {grouping}"),
        _add(
            f"SELECT 'reason', c.slip_reason, {counted} FROM {commitments} WHERE c.slip_reason <> '' "
            f"GROUP BY c.slip_reason, {grouping}"
        ),
        _add(
            f"SELECT 'theme', CAST(l.theme_id AS TEXT), {counted} FROM {THEME_LINKS} l "
            f"JOIN {commitments} ON c.id = l.commitment_id WHERE 1 = 1 GROUP BY l.theme_id, {grouping}"
        ),
        _add(
            f"SELECT 'agency', CAST(p.agency_id AS TEXT), {counted} FROM {PARTICIPATIONS} p "
            f"JOIN {commitments} ON c.id = p.commitment_id WHERE 1 = 1 GROUP BY p.agency_id, {grouping}"
        ),
        _add(
            f"SELECT 'country', p.country, {counted} FROM "
            f"(SELECT DISTINCT commitment_id, country FROM {PARTICIPATIONS}) p "
            f"JOIN {commitments} ON c.id = p.commitment_id WHERE 1 = 1 GROUP BY p.country, {grouping}"
        ),
    ]


def install(schema_editor) -> None:
    """Create (or re-create) the triggers for the database in use, and fill the counts from the rows there."""
    for statement in install_statements(schema_editor.connection.vendor == "postgresql"):
        schema_editor.execute(statement)


def install_statements(postgresql: bool) -> list[str]:
    return [*uninstall_statements(postgresql), *_triggers(postgresql), *_fill()]


def uninstall(schema_editor) -> None:
    for statement in uninstall_statements(schema_editor.connection.vendor == "postgresql"):
        schema_editor.execute(statement)


def uninstall_statements(postgresql: bool) -> list[str]:
    if postgresql:
        return [
            statement
            for table, name in TRIGGERS.items()
            for statement in (
                f"DROP TRIGGER IF EXISTS {name} ON {table}",
                f"DROP TRIGGER IF EXISTS {name}_update ON {table}",
                f"DROP FUNCTION IF EXISTS {name}()",
            )
        ]
    return [
        f"DROP TRIGGER IF EXISTS {name}_{when}" for name in TRIGGERS.values() for when in ("ai", "ad", "au")
    ]


def _changed(columns) -> str:
    return " OR ".join(f"old.{column} <> new.{column}" for column in columns)


def _triggers(postgresql: bool) -> list[str]:
    return [
        statement
        for table, contribution, columns in _COUNTED_TABLES
        for statement in (
            _postgresql_triggers(table, contribution, columns)
            if postgresql
            else _sqlite_triggers(table, contribution, columns)
        )
    ]


def _sqlite_triggers(table, contribution, columns) -> list[str]:
    name = TRIGGERS[table]

    def body(*statements):
        return "BEGIN " + " ".join(f"{statement};" for statement in statements) + " END"

    return [
        f"CREATE TRIGGER {name}_ai AFTER INSERT ON {table} {body(*_added(contribution, 'new', 1))}",
        f"CREATE TRIGGER {name}_ad AFTER DELETE ON {table} {body(*_added(contribution, 'old', -1))}",
        f"CREATE TRIGGER {name}_au AFTER UPDATE OF {', '.join(columns)} ON {table} WHEN {_changed(columns)} "
        f"{body(*_moved(contribution))}",
    ]


def _postgresql_triggers(table, contribution, columns) -> list[str]:
    name = TRIGGERS[table]
    # Participations: BEFORE, so that the country test sees only the rows written before this one
    # (see the module's docstring). The others: AFTER, which fires only for rows really written.
    before = table == PARTICIPATIONS
    when = "BEFORE" if before else "AFTER"
    # A BEFORE trigger returns the row to write (OLD lets a delete go ahead); an AFTER one, nothing.
    returned = "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW;" if before else "RETURN NULL;"

    def block(statements):
        return " ".join(f"{statement};" for statement in statements)

    return [
        f"CREATE FUNCTION {name}() RETURNS trigger AS $$ BEGIN "
        f"IF TG_OP = 'UPDATE' THEN {block(_moved(contribution))} END IF; "
        f"IF TG_OP = 'DELETE' THEN {block(_added(contribution, 'old', -1))} END IF; "
        f"IF TG_OP = 'INSERT' THEN {block(_added(contribution, 'new', 1))} END IF; "
        f"{returned} END $$ LANGUAGE plpgsql",
        f"CREATE TRIGGER {name} {when} INSERT OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()",
        f"CREATE TRIGGER {name}_update {when} UPDATE OF {', '.join(columns)} ON {table} FOR EACH ROW "
        f"WHEN ({_changed(columns).replace('old.', 'OLD.').replace('new.', 'NEW.')}) EXECUTE FUNCTION {name}()",
    ]


def triggers_named(connection, prefix: str) -> set[str]:
    """The names of the database's triggers that start with `prefix` (what a lost trigger shows up
    in; the countries' triggers, tracker/commitment_countries.py, are read here too)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return {name for (name,) in cursor.fetchall() if name.startswith(prefix)}


def installed_triggers(connection) -> set[str]:
    """The names of the counting triggers present in the database."""
    return triggers_named(connection, "tracker_count_")


def expected_triggers(connection) -> set[str]:
    if connection.vendor == "postgresql":
        return {trigger for name in TRIGGERS.values() for trigger in (name, f"{name}_update")}
    return {f"{name}_{when}" for name in TRIGGERS.values() for when in ("ai", "ad", "au")}

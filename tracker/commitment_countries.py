"""Each commitment's distinct countries (models.CommitmentCountry): a table kept by database triggers
on the participations, which the list's country facet counts instead of the participations.

A commitment's countries are those of its agencies; Participation.country keeps a copy of its
agency's (Agency.save writes it when an agency moves), so every change of a commitment's countries
is a write to its participations: an insert, a delete, or an update of the commitment or the
country. The triggers keep the table equal to `SELECT DISTINCT commitment_id, country FROM
tracker_participation`, whatever makes the write (the pages, the admin, the spreadsheet import,
`QuerySet.update()`, bulk inserts, Django's cascades), in the writer's transaction:

- a participation added: its (commitment, country) added, if not there already;
- one removed: its (commitment, country) removed, unless another participation still has it;
- one changed: both.

Each step makes the table agree with the participations as they are when it runs, so the order
rows are written in does not matter: on PostgreSQL the (AFTER) triggers run once the statement has
written every row, on SQLite after each row. A commitment's delete takes its participations first
(Django deletes them, by their foreign key's CASCADE), and with them its countries.

What it does not guard against, as the maintained counts' country test does not (tracker/counts.py):
on PostgreSQL, two transactions at once, one adding a participation of a commitment and country
and the other removing the last one of the same pair, each blind to the other's uncommitted row,
can leave the pair out. Locking the commitment's row in the triggers would serialize them, but
the counts' triggers on the same writes lock count rows first, in another order: a deadlock.
Participations are written by editors, one commitment at a time; `install` recounts the table.

The migration that creates the table (0027) calls `install`, which also fills it from the data there.
Django remakes a table on SQLite for some later changes (altering a column, some constraints),
which drops its triggers: a migration that does that to tracker_participation must call `install`
again, as it must `counts.install` (tests/test_counts.py fails otherwise: it checks the triggers
are there, and the table against a recount after random writes).
"""

from .counts import triggers_named

TABLE = "tracker_commitmentcountry"
PARTICIPATIONS = "tracker_participation"
TRIGGER = "tracker_commitment_countries"
# The participation's columns a commitment's countries depend on.
COLUMNS = ("commitment_id", "country")


def _added(row: str) -> str:
    return (
        f"INSERT INTO {TABLE} (commitment_id, country) VALUES ({row}.commitment_id, {row}.country) "
        "ON CONFLICT (commitment_id, country) DO NOTHING"
    )


def _removed(row: str) -> str:
    return (
        f"DELETE FROM {TABLE} WHERE commitment_id = {row}.commitment_id AND country = {row}.country "
        f"AND NOT EXISTS (SELECT 1 FROM {PARTICIPATIONS} p "
        f"WHERE p.commitment_id = {row}.commitment_id AND p.country = {row}.country)"
    )


def _fill() -> list[str]:
    return [
        f"DELETE FROM {TABLE}",
        f"INSERT INTO {TABLE} (commitment_id, country) "
        f"SELECT DISTINCT commitment_id, country FROM {PARTICIPATIONS}",
    ]


def install(schema_editor) -> None:
    """Create (or re-create) the triggers for the database in use, and fill the table from the rows there."""
    for statement in install_statements(schema_editor.connection.vendor == "postgresql"):
        schema_editor.execute(statement)


def install_statements(postgresql: bool) -> list[str]:
    triggers = _postgresql_triggers() if postgresql else _sqlite_triggers()
    return [*uninstall_statements(postgresql), *triggers, *_fill()]


def uninstall(schema_editor) -> None:
    for statement in uninstall_statements(schema_editor.connection.vendor == "postgresql"):
        schema_editor.execute(statement)


def uninstall_statements(postgresql: bool) -> list[str]:
    if postgresql:
        return [
            f"DROP TRIGGER IF EXISTS {TRIGGER} ON {PARTICIPATIONS}",
            f"DROP TRIGGER IF EXISTS {TRIGGER}_update ON {PARTICIPATIONS}",
            f"DROP FUNCTION IF EXISTS {TRIGGER}()",
        ]
    return [f"DROP TRIGGER IF EXISTS {TRIGGER}_{when}" for when in ("ai", "ad", "au")]


def _changed(old: str, new: str) -> str:
    return " OR ".join(f"{old}.{column} <> {new}.{column}" for column in COLUMNS)


def _sqlite_triggers() -> list[str]:
    return [
        f"CREATE TRIGGER {TRIGGER}_ai AFTER INSERT ON {PARTICIPATIONS} BEGIN {_added('new')}; END",
        f"CREATE TRIGGER {TRIGGER}_ad AFTER DELETE ON {PARTICIPATIONS} BEGIN {_removed('old')}; END",
        f"CREATE TRIGGER {TRIGGER}_au AFTER UPDATE OF {', '.join(COLUMNS)} ON {PARTICIPATIONS} "
        f"WHEN {_changed('old', 'new')} BEGIN {_removed('old')}; {_added('new')}; END",
    ]


def _postgresql_triggers() -> list[str]:
    return [
        f"CREATE FUNCTION {TRIGGER}() RETURNS trigger AS $$ BEGIN "
        f"IF TG_OP IN ('UPDATE', 'DELETE') THEN {_removed('OLD')}; END IF; "
        f"IF TG_OP IN ('UPDATE', 'INSERT') THEN {_added('NEW')}; END IF; "
        "RETURN NULL; END $$ LANGUAGE plpgsql",
        f"CREATE TRIGGER {TRIGGER} AFTER INSERT OR DELETE ON {PARTICIPATIONS} "
        f"FOR EACH ROW EXECUTE FUNCTION {TRIGGER}()",
        f"CREATE TRIGGER {TRIGGER}_update AFTER UPDATE OF {', '.join(COLUMNS)} ON {PARTICIPATIONS} "
        f"FOR EACH ROW WHEN ({_changed('OLD', 'NEW')}) EXECUTE FUNCTION {TRIGGER}()",
    ]


def installed_triggers(connection) -> set[str]:
    """The names of this table's triggers present in the database (what a lost trigger shows up in)."""
    return triggers_named(connection, TRIGGER)


def expected_triggers(connection) -> set[str]:
    if connection.vendor == "postgresql":
        return {TRIGGER, f"{TRIGGER}_update"}
    return {f"{TRIGGER}_{when}" for when in ("ai", "ad", "au")}

"""Each commitment's set review cadence (`Commitment.set_review_every_days`): its own, else its
dialogue's, None when neither sets one and the site's (TRACKER_REVIEW_EVERY_DAYS) applies; a 0 reads
as none, as in rules.review_cadence_expression.

A copy of two fields, kept by database triggers so that every write keeps it, whatever makes it
(the pages, the admin, the spreadsheet import, the API, the loader, `QuerySet.update()`, bulk
inserts), in the writer's transaction: counting what is due for review (rules.due_or_review_soon_q)
then reads one column of the commitment instead of joining every open commitment to its dialogue,
and tells the commitments reviewed at the site's cadence (most) by it being empty. The site's
cadence is a setting, which may change with no write at all: that is why it is not copied.

Triggers on:
- tracker_commitment: an insert, and an update of its cadence or dialogue (on PostgreSQL any
  update, in a BEFORE trigger that sets the row's value; on SQLite, an AFTER trigger that writes it);
- tracker_dialogue: an update of its cadence writes its commitments' values.

The migration that adds the column (0025) calls `install`, which also fills it. A migration that
makes Django remake tracker_commitment or tracker_dialogue on SQLite drops their triggers: it must
call `install` again (tests/test_review_dates.py checks the values after every kind of write).
"""

# The cadence set for a commitment's row `row` (NEW on an insert or update).
SET_CADENCE = (
    "coalesce(nullif({row}.review_every_days, 0), "
    "(SELECT nullif(d.review_every_days, 0) FROM tracker_dialogue d WHERE d.id = {row}.dialogue_id))"
)
SQLITE_TRIGGERS = ("commitment_cadence_ai", "commitment_cadence_au")


def install(schema_editor) -> None:
    postgresql = schema_editor.connection.vendor == "postgresql"
    for statement in _postgresql_install() if postgresql else _sqlite_install():
        schema_editor.execute(statement)
    schema_editor.execute(
        f"UPDATE tracker_commitment SET set_review_every_days = {SET_CADENCE.format(row='tracker_commitment')}"
    )


def uninstall(schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        statements = [
            "DROP TRIGGER IF EXISTS commitment_cadence ON tracker_commitment",
            "DROP FUNCTION IF EXISTS commitment_cadence()",
            "DROP TRIGGER IF EXISTS dialogue_cadence ON tracker_dialogue",
            "DROP FUNCTION IF EXISTS dialogue_cadence()",
        ]
    else:
        statements = [f"DROP TRIGGER IF EXISTS {name}" for name in (*SQLITE_TRIGGERS, "dialogue_cadence_au")]
    for statement in statements:
        schema_editor.execute(statement)


def _dialogues_commitments(new: str) -> str:
    """Write the cadence set for each commitment of the dialogue `new` (its row after an update)."""
    return (
        "UPDATE tracker_commitment SET set_review_every_days = "
        f"coalesce(nullif(review_every_days, 0), nullif({new}.review_every_days, 0)) "
        f"WHERE dialogue_id = {new}.id;"
    )


def _sqlite_install() -> list[str]:
    # Writing the column does not fire these again: they watch the cadence and the dialogue only.
    write = (
        f"UPDATE tracker_commitment SET set_review_every_days = {SET_CADENCE.format(row='new')} "
        "WHERE id = new.id;"
    )
    return [
        *[f"DROP TRIGGER IF EXISTS {name}" for name in (*SQLITE_TRIGGERS, "dialogue_cadence_au")],
        f"CREATE TRIGGER commitment_cadence_ai AFTER INSERT ON tracker_commitment BEGIN {write} END",
        "CREATE TRIGGER commitment_cadence_au AFTER UPDATE OF review_every_days, dialogue_id, "
        f"set_review_every_days ON tracker_commitment BEGIN {write} END",
        "CREATE TRIGGER dialogue_cadence_au AFTER UPDATE OF review_every_days ON tracker_dialogue "
        f"BEGIN {_dialogues_commitments('new')} END",
    ]


def _postgresql_install() -> list[str]:
    return [
        "CREATE OR REPLACE FUNCTION commitment_cadence() RETURNS trigger AS $$ "
        f"BEGIN NEW.set_review_every_days := {SET_CADENCE.format(row='NEW')}; RETURN NEW; END "
        "$$ LANGUAGE plpgsql",
        "DROP TRIGGER IF EXISTS commitment_cadence ON tracker_commitment",
        # Any update: Django's save() writes every column, this one with the value it read.
        "CREATE TRIGGER commitment_cadence BEFORE INSERT OR UPDATE ON tracker_commitment "
        "FOR EACH ROW EXECUTE FUNCTION commitment_cadence()",
        "CREATE OR REPLACE FUNCTION dialogue_cadence() RETURNS trigger AS $$ "
        f"BEGIN {_dialogues_commitments('NEW')} RETURN NULL; END $$ LANGUAGE plpgsql",
        "DROP TRIGGER IF EXISTS dialogue_cadence ON tracker_dialogue",
        "CREATE TRIGGER dialogue_cadence AFTER UPDATE OF review_every_days ON tracker_dialogue "
        "FOR EACH ROW EXECUTE FUNCTION dialogue_cadence()",
    ]

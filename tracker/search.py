"""Full-text search of commitments: the list's `q`, on SQLite and on PostgreSQL, behind one function.

What a search means, on both databases alike: the words typed, in any order, each matching the
start of a word of the commitment's searched text (its titles, description and quote), letters
compared without case or accents ("Économie" finds "economie", "observ" finds "observation").

- SQLite: an FTS5 table, `tracker_commitment_fts`, over the commitments' own rows (external
  content), kept in step by triggers and folding accents with its `unicode61 remove_diacritics 2`
  tokenizer.
- PostgreSQL: a `tsvector` column, `search_document`, filled by a trigger with the `simple`
  configuration over `unaccent()`ed text, under a GIN index.

Neither is a model field: the migration that creates them (0018) calls `install` below. Django
remakes a table on SQLite for some later changes (altering a column, some constraints), which drops
its triggers: a migration that does that to tracker_commitment must call `install` again (the
search tests fail otherwise: an edited title is no longer found), and `counts.install` too, for the
maintained counts' triggers (tracker/counts.py; tests/test_counts.py fails otherwise).
"""

import re
import unicodedata

from django.db import connection
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import Expression, RawSQL

# The columns searched, in both databases: a change here needs a migration that calls install().
COLUMNS = ("title", "title_fr", "description", "description_fr", "quote")
MAX_TERMS = 12  # a pasted paragraph is not a search; its first words are

FTS_TABLE = "tracker_commitment_fts"


def search_terms(text: str) -> list[str]:
    """The words of `text`, lower-case and without accents, as both databases compare them."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(char for char in folded if not unicodedata.combining(char))
    return re.findall(r"\w+", plain)[:MAX_TERMS]


def commitments_matching(queryset: QuerySet, text: str) -> QuerySet:
    """`queryset` narrowed to the commitments whose text holds every word of `text` (as the start of
    one of its words). A text with no word in it matches nothing.

    On PostgreSQL the condition is on each commitment's own row: as `id IN (the matches)`, the
    planner, which cannot tell how many a word matches, joined the table to itself and sorted the
    matches to group them (a word in 4,300 of 10,000 commitments: their statuses and reasons
    counted in 12–17 ms; on the row itself, 2–3 ms). On SQLite the index is a table of its own."""
    terms = search_terms(text)
    if not terms:
        return queryset.none()
    if connection.vendor == "postgresql":
        return queryset.filter(DocumentMatches(_query(terms)))
    return queryset.filter(pk__in=matching_ids(text))


class DocumentMatches(Expression):
    """`search_document @@ query` on the commitment row of the query it is in (PostgreSQL): the
    table's alias is the query's own, which a subquery renames (U0), so it is not written out."""

    def __init__(self, query: str):
        super().__init__(output_field=BooleanField())
        self.query = query

    def as_sql(self, compiler, connection):
        table = compiler.quote_name_unless_alias(compiler.query.base_table)
        return f"{table}.search_document @@ to_tsquery('simple', %s)", [self.query]


def matching_ids(text: str) -> RawSQL | None:
    """The ids of the commitments matching `text`, as a subquery (None: no word in it, so nothing
    matches). Rows that point at a commitment (theme links, participations) can be narrowed by it
    directly, without a join to the commitments that would only repeat it."""
    terms = search_terms(text)
    if not terms:
        return None
    if connection.vendor == "postgresql":
        sql = "SELECT id FROM tracker_commitment WHERE search_document @@ to_tsquery('simple', %s)"
    else:
        sql = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"
    return RawSQL(sql, [_query(terms)])


def relevance(text: str) -> RawSQL | None:
    """An expression that orders the matches of `text`, most relevant first (ascending), or None."""
    terms = search_terms(text)
    if not terms:
        return None
    if connection.vendor == "postgresql":
        sql = "-ts_rank(tracker_commitment.search_document, to_tsquery('simple', %s))"
    else:
        # bm25() is negative, lower for a better match. It exists only within a MATCH query, so each
        # row reads its score from the matches' scores, materialized once per query: FTS5 runs a
        # query that also asks for one rowid as a whole new search, which took 0.3 ms a row (1.2 s
        # for a word in 4,300 of 10,000 commitments). MATERIALIZED needs SQLite 3.35 (2021).
        sql = (
            f"(WITH scores AS MATERIALIZED (SELECT rowid AS id, bm25({FTS_TABLE}) AS score "
            f"FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s) "
            "SELECT score FROM scores WHERE scores.id = tracker_commitment.id)"
        )
    return RawSQL(sql, [_query(terms)])


def database_query(text: str) -> str:
    """What the database is asked to match for `text`: its words in the database's query language,
    the one parameter a search adds to a query wherever it narrows it (a query compiled once works
    it out from each request's text: see selectors.commitment_list._compiled_facet_query)."""
    return _query(search_terms(text))


def _query(terms: list[str]) -> str:
    """Every term as a prefix, all required, in the database's query language. The terms are words
    (`\\w+`), so nothing in them is an operator."""
    if connection.vendor == "postgresql":
        return " & ".join(f"{term}:*" for term in terms)
    return " ".join(f'"{term}"*' for term in terms)


# --- the schema (called by migrations)


def install(schema_editor) -> None:
    """Create (or re-create) the search index for the database in use, filled from the rows there."""
    statements = (
        _postgresql_install() if schema_editor.connection.vendor == "postgresql" else _sqlite_install()
    )
    for statement in statements:
        schema_editor.execute(statement)


def uninstall(schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        statements = [
            "DROP TRIGGER IF EXISTS tracker_commitment_search ON tracker_commitment",
            "DROP FUNCTION IF EXISTS tracker_commitment_search_document()",
            "DROP INDEX IF EXISTS tracker_commitment_search_gin",
            "ALTER TABLE tracker_commitment DROP COLUMN IF EXISTS search_document",
        ]
    else:
        statements = [f"DROP TRIGGER IF EXISTS {FTS_TABLE}_{when}" for when in ("ai", "ad", "au")]
        statements.append(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    for statement in statements:
        schema_editor.execute(statement)


def _sqlite_install() -> list[str]:
    columns = ", ".join(COLUMNS)
    new = ", ".join(f"new.{column}" for column in COLUMNS)
    old = ", ".join(f"old.{column}" for column in COLUMNS)
    remove = f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {columns}) VALUES ('delete', old.id, {old});"
    add = f"INSERT INTO {FTS_TABLE}(rowid, {columns}) VALUES (new.id, {new});"
    return [
        *[f"DROP TRIGGER IF EXISTS {FTS_TABLE}_{when}" for when in ("ai", "ad", "au")],
        f"DROP TABLE IF EXISTS {FTS_TABLE}",
        f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5({columns}, content='tracker_commitment', "
        "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
        f"CREATE TRIGGER {FTS_TABLE}_ai AFTER INSERT ON tracker_commitment BEGIN {add} END",
        f"CREATE TRIGGER {FTS_TABLE}_ad AFTER DELETE ON tracker_commitment BEGIN {remove} END",
        # Only when a searched column changes: a status update rewrites the commitment's current
        # status, and need not touch the index.
        f"CREATE TRIGGER {FTS_TABLE}_au AFTER UPDATE OF {columns} ON tracker_commitment "
        f"BEGIN {remove} {add} END",
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')",
    ]


def _postgresql_install() -> list[str]:
    document = " || ' ' || ".join(f"coalesce(NEW.{column}, '')" for column in COLUMNS)
    return [
        # unaccent is a trusted extension: the database's owner may create it (PostgreSQL 13+).
        "CREATE EXTENSION IF NOT EXISTS unaccent",
        "ALTER TABLE tracker_commitment ADD COLUMN IF NOT EXISTS search_document tsvector",
        "CREATE OR REPLACE FUNCTION tracker_commitment_search_document() RETURNS trigger AS $$ "
        f"BEGIN NEW.search_document := to_tsvector('simple', unaccent({document})); RETURN NEW; END "
        "$$ LANGUAGE plpgsql",
        "DROP TRIGGER IF EXISTS tracker_commitment_search ON tracker_commitment",
        "CREATE TRIGGER tracker_commitment_search BEFORE INSERT OR UPDATE OF "
        f"{', '.join(COLUMNS)} ON tracker_commitment FOR EACH ROW "
        "EXECUTE FUNCTION tracker_commitment_search_document()",
        # Fill it for the rows already there (the trigger fires on this update).
        "UPDATE tracker_commitment SET title = title",
        "CREATE INDEX IF NOT EXISTS tracker_commitment_search_gin ON tracker_commitment "
        "USING gin (search_document)",
    ]

"""The PostgreSQL cursor (settings: OPTIONS["cursor_factory"]): Django's, with the query's values sent
apart from its SQL, keeping a query run five times on a connection as a prepared statement
(psycopg's prepare_threshold), except a text search.

A prepared statement is planned for its first five runs with their values, then, if PostgreSQL
judges it no dearer, once for any values (a generic plan). Every page runs the same few shapes, and
planning them again for each request was most of the database's time. But a generic plan cannot
know how many commitments the searched words match, and guesses few: for a word in 43 % of
the bench's commitments it joined row by row where a plan for the word hashes, and the list by
text took 45 ms instead of 32. A search's statements are planned for its own words each time.
"""

from django.db.backends.postgresql.base import ServerBindingCursor

# Every text search on PostgreSQL goes through tracker/search.py, which writes this call.
TEXT_SEARCH = "to_tsquery("


class Cursor(ServerBindingCursor):
    def execute(self, query, params=None, *, prepare=None, binary=None):
        if prepare is None and isinstance(query, str) and TEXT_SEARCH in query:
            prepare = False
        return super().execute(query, params, prepare=prepare, binary=binary)

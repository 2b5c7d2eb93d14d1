"""config/settings.py: how the app's database connections are set up."""

import pytest
from django.db import connection

from tests.factories import make_commitment


@pytest.mark.django_db
def test_postgresql_connections_do_not_compile_queries_just_in_time():
    """JIT compilation costs more than our short queries save: the overview and a commitment's page
    as of a past day took 20-25 ms longer with it (see the settings' comment)."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no JIT")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def _prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db
def test_postgresql_keeps_repeated_queries_prepared_but_plans_each_text_search(viewer_client):
    """A page's queries, run five times on a connection, become prepared statements (planned once
    for any values); a text search's never do, so that each is planned for its own words
    (config/postgresql.py)."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no prepared statements to keep")
    from django.core.cache import cache

    make_commitment(title="Exchange Earth observation data")
    for word in ["earth", "data", "exchange", "observation", "earth", "data", "exchange"]:
        cache.clear()  # computed each time, so its queries run each time
        response = viewer_client.get(f"/commitments/?q={word}")
        assert response.status_code == 200 and b"Exchange Earth observation data" in response.content
    prepared = _prepared_statements()
    assert any("tracker_datastamp" in statement for statement in prepared)
    assert not [statement for statement in prepared if "to_tsquery(" in statement]

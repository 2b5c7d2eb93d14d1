"""config/settings.py: how the app's database connections are set up."""

import pytest
from django.db import connection


@pytest.mark.django_db
def test_postgresql_connections_do_not_compile_queries_just_in_time():
    """JIT compilation costs more than our short queries save: the overview and a commitment's page
    as of a past day took 20-25 ms longer with it (see the settings' comment)."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no JIT")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"

"""Full-text search of commitments (tracker/search.py): an FTS5 table kept in step by triggers on
SQLite, a tsvector column kept by a trigger under a GIN index on PostgreSQL. Neither is a model
field, so the models' state does not change."""

from django.db import migrations

from tracker import search


def install(apps, schema_editor):
    search.install(schema_editor)


def uninstall(apps, schema_editor):
    search.uninstall(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("tracker", "0017_french_content_source_language")]

    operations = [migrations.RunPython(install, uninstall, elidable=False)]

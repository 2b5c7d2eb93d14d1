"""Each commitment's distinct countries (tracker/commitment_countries.py): the table, its triggers on
the participations, and its first filling from the data there. The list's country facet counts it."""

import django.db.models.deletion
from django.db import migrations, models

from tracker import commitment_countries


def install(apps, schema_editor):
    commitment_countries.install(schema_editor)


def uninstall(apps, schema_editor):
    commitment_countries.uninstall(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0025_commitment_set_review_every_days"),
    ]

    operations = [
        migrations.CreateModel(
            name="CommitmentCountry",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("country", models.CharField(max_length=2)),
                (
                    "commitment",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="tracker.commitment",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("commitment", "country"), name="commitmentcountry_unique")
                ],
            },
        ),
        migrations.RunPython(install, uninstall),
    ]

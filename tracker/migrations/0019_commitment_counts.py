"""Maintained counts (tracker/counts.py): the table of commitments counted by dialogue, status,
theme, agency, country and reason, its triggers on the commitments, their theme links and the
participations, and its first filling from the data there."""

from django.db import migrations, models

from tracker import counts


def install(apps, schema_editor):
    counts.install(schema_editor)


def uninstall(apps, schema_editor):
    counts.uninstall(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0018_commitment_search"),
    ]

    operations = [
        migrations.CreateModel(
            name="CommitmentCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "dimension",
                    models.CharField(
                        choices=[
                            ("all", "all"),
                            ("theme", "theme"),
                            ("agency", "agency"),
                            ("country", "country"),
                            ("reason", "reason"),
                        ],
                        max_length=10,
                    ),
                ),
                ("code", models.CharField(blank=True, max_length=20)),
                ("dialogue_id", models.BigIntegerField()),
                ("status", models.CharField(max_length=20)),
                ("n", models.IntegerField(default=0)),
                ("progress_sum", models.BigIntegerField(default=0)),
            ],
            options={
                "indexes": [models.Index(fields=["dialogue_id", "status"], name="commitmentcount_dialogue")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("dimension", "code", "dialogue_id", "status"), name="commitmentcount_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(install, uninstall, elidable=False),
    ]

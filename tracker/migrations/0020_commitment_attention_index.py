"""An index of the columns the overview's "needs attention" reads (see Commitment.Meta)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0019_commitment_counts"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="commitment",
            index=models.Index(
                fields=[
                    "due_on",
                    "last_update_on",
                    "announced_on",
                    "status",
                    "review_every_days",
                    "dialogue",
                ],
                name="commitment_attention",
            ),
        ),
    ]

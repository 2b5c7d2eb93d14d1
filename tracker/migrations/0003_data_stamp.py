import uuid

from django.db import migrations, models
from django.utils import timezone


def create_stamp(apps, schema_editor):
    # The one row tracker.caching updates on every write.
    apps.get_model("tracker", "DataStamp").objects.get_or_create(
        pk=1, defaults={"token": uuid.uuid4().hex, "changed_at": timezone.now()}
    )


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0002_roles"),
    ]

    operations = [
        migrations.CreateModel(
            name="DataStamp",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("token", models.CharField(max_length=32)),
                ("changed_at", models.DateTimeField()),
            ],
        ),
        migrations.RunPython(create_stamp, migrations.RunPython.noop),
    ]

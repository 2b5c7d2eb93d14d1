"""Give the Viewers and Editors groups their permissions on rounds and assessments (tracker/roles.py)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from tracker.roles import sync_roles


def resync_roles(apps, schema_editor):
    # Permissions are normally made after all migrations run; make them now so the groups can hold them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    sync_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


class Migration(migrations.Migration):
    dependencies = [("tracker", "0007_rounds_assessments_reasons_blockers")]

    operations = [migrations.RunPython(resync_roles, migrations.RunPython.noop)]

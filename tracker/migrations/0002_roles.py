"""Create the Viewers and Editors groups with their model permissions (see README, "Roles")."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

TRACKER_MODELS = ["dialogue", "sourcedocument", "theme", "agency", "commitment", "participation", "statusupdate"]
# Editors edit every tracker record but the trail: status updates are added, never changed.
EDITOR_ACTIONS = {model: ["view", "add", "change"] for model in TRACKER_MODELS} | {"statusupdate": ["view", "add"]}


def create_roles(apps, schema_editor):
    # Permissions are normally made after all migrations run; make them now so the groups can hold them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def perms(codenames):
        return Permission.objects.filter(content_type__app_label="tracker", codename__in=codenames)

    viewers, _ = Group.objects.get_or_create(name="Viewers")
    viewers.permissions.set(perms([f"view_{model}" for model in TRACKER_MODELS]))
    editors, _ = Group.objects.get_or_create(name="Editors")
    editors.permissions.set(
        perms([f"{action}_{model}" for model, actions in EDITOR_ACTIONS.items() for action in actions])
    )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Viewers", "Editors"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]

"""The Viewers and Editors groups and their model permissions: one definition, used by the data
migration that creates them and by anything that must restore them (tests that flush the database)."""

TRACKER_MODELS = [
    "dialogue",
    "sourcedocument",
    "theme",
    "agency",
    "commitment",
    "participation",
    "statusupdate",
    "round",
    "assessment",
    "evidencefile",
]
# Append-only records: added, never changed (a correction is a new one).
APPEND_ONLY_MODELS = {"statusupdate", "assessment", "evidencefile"}
# Editors edit every tracker record but the trail and the assessments: those are added, never changed.
# Nobody but an administrator deletes anything, an evidence file included. Editors may withdraw (and
# restore) the updates they posted, which comes with add_statusupdate; withdrawing anyone's
# (withdraw_any_statusupdate) is kept for administrators or a group given it on purpose: taking back
# a colleague's report is a bigger call.
ROLE_PERMISSIONS = {
    "Viewers": [f"view_{model}" for model in TRACKER_MODELS],
    "Editors": [
        f"{action}_{model}"
        for model in TRACKER_MODELS
        for action in ("view", "add", "change")
        if not (model in APPEND_ONLY_MODELS and action == "change")
    ],
}


def sync_roles(group_model, permission_model) -> None:
    """Create the groups if missing and give them exactly their permissions.

    Takes the model classes so a migration can pass its historical models.
    """
    for name, codenames in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=name)
        group.permissions.set(
            permission_model.objects.filter(content_type__app_label="tracker", codename__in=codenames)
        )


def prime_permissions(user, own: set[str], by_group: set[str]) -> None:
    """Give `user` the permissions a view read itself (selectors.reader_state), kept where Django's
    ModelBackend keeps those it reads (its per-user caches), so has_perm() asks the database nothing
    more. Not a permission backend of our own: logins stay with ModelBackend. An inactive user or an
    active superuser is left alone: has_perm() reads no permission for either."""
    if not user.is_active or user.is_superuser:
        return
    user._user_perm_cache, user._group_perm_cache = set(own), set(by_group)
    user._perm_cache = {*own, *by_group}

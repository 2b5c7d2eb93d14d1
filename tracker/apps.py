from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = "Dialogue commitments"

    def ready(self):
        from . import caching, counts, language

        caching.connect_signals()
        counts.connect_signals()
        language.connect_signals()


class TrackerAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the tracker's own site (tracker/admin_site.py), named in
    INSTALLED_APPS in its place."""

    # Not the tracker app's own configuration: TrackerConfig above stays the one Django picks.
    default = False
    default_site = "tracker.admin_site.TrackerAdminSite"

from django.apps import AppConfig


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = "Dialogue commitments"

    def ready(self):
        from .caching import connect_signals

        connect_signals()

"""The admin site: its titles, and the tracker's records listed in the order a new dialogue is
entered, with a line on the index saying so."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

# A dialogue first (with its themes and rounds), then what its commitments point at, then the
# commitments, then what is recorded about them as time goes by.
ENTRY_ORDER = [
    "Dialogue",
    "SourceDocument",
    "Agency",
    "Theme",
    "Round",
    "Commitment",
    "Participation",
    "StatusUpdate",
    "Assessment",
]


class TrackerAdminSite(admin.AdminSite):
    site_header = _("Dialogue Commitments Tracker — administration")
    site_title = _("Tracker admin")
    index_title = _("Records")
    index_template = "admin/tracker_index.html"

    def get_app_list(self, request, app_label=None):
        app_list = super().get_app_list(request, app_label)
        for app in app_list:
            if app["app_label"] == "tracker":
                app["models"].sort(key=entry_position)
        return app_list


def entry_position(model: dict) -> int:
    name = model["object_name"]
    return ENTRY_ORDER.index(name) if name in ENTRY_ORDER else len(ENTRY_ORDER)

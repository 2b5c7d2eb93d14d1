"""Who may write through the API: the same permission the pages check, whatever the way in."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

# The commitment page's "post an update" form checks this one (tracker/views statusupdate_create).
POST_UPDATE = "tracker.add_statusupdate"


class MayPostStatusUpdates(BasePermission):
    message = _("Only editors can post status updates.")

    def has_permission(self, request, view):
        return bool(request.user and request.user.has_perm(POST_UPDATE))

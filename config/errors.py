"""The site's error handlers: Django's own pages, except on /api/ URLs, which answer problem
details (tracker/api/errors.py) so a client never has to read an HTML error page."""

from django.utils.translation import gettext as _
from django.views import defaults

from tracker.api.errors import api_error_response, is_api_request


def not_found(request, exception):
    if is_api_request(request):
        return api_error_response(404, _("There is nothing at this address."))
    return defaults.page_not_found(request, exception)


def server_error(request):
    if is_api_request(request):
        return api_error_response(500, _("The server failed to answer. The error has been logged."))
    return defaults.server_error(request)


def bad_request(request, exception):
    if is_api_request(request):
        return api_error_response(400, _("The request could not be read."))
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if is_api_request(request):
        return api_error_response(403, _("You do not have permission to do this."))
    return defaults.permission_denied(request, exception)

from urllib.parse import urlencode

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.shortcuts import resolve_url
from django_htmx.http import HttpResponseClientRedirect

from .api.errors import is_api_request


class HtmxAwareLoginRequiredMiddleware(LoginRequiredMiddleware):
    """Django's deny-by-default login check, plus a whole-page redirect for htmx requests.

    A plain redirect would make htmx swap the login form into a fragment; HX-Redirect makes the
    browser leave the page instead, and `next` points at the page the user was looking at (not
    the fragment URL) so they come back to it after logging in.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        # The JSON API authenticates for itself (a session or a token, tracker/api/) and answers a
        # missing login with a 401 in JSON, which a script can read; a redirect to the login page
        # would not be.
        if is_api_request(request):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)

    def handle_no_permission(self, request, view_func):
        if not getattr(request, "htmx", False):
            return super().handle_no_permission(request, view_func)
        back_to = request.htmx.current_url_abs_path or request.get_full_path()
        login_url = resolve_url(self.get_login_url(view_func))
        return HttpResponseClientRedirect(f"{login_url}?{urlencode({REDIRECT_FIELD_NAME: back_to})}")

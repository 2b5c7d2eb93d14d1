"""The header's language switch: Django's set_language, open to anyone (the login page has the
switch too), and remembering the choice for a logged-in person."""

from django.contrib.auth.decorators import login_not_required
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from ..language import language_remember


@login_not_required
@require_POST
def set_language(request):
    # Django's view sets the cookie only for a language we offer and otherwise just redirects to
    # `next`: an unknown code posted changes nothing and raises nothing.
    response = django_set_language(request)
    language_remember(user=request.user, language=request.POST.get("language", ""))
    return response

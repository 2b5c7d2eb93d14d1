"""Each person's personal API tokens: list them, make one (its text shown once), revoke one.

The text of a new token is never put in a URL: the POST keeps it in the (server-side) session and
redirects, and the next GET of the list takes it out and shows it, once.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from ..forms import APITokenForm
from ..models import APIToken
from ..services.api_tokens import api_token_create, api_token_revoke

NEW_TOKEN_SESSION_KEY = "tracker_new_api_token"  # noqa: S105 (a session key name)


@never_cache
@require_http_methods(["GET", "POST"])
def api_token_list(request):
    if request.method == "POST":
        form = APITokenForm(request.POST)
        if form.is_valid():
            token, text = api_token_create(user=request.user, **form.cleaned_data)
            request.session[NEW_TOKEN_SESSION_KEY] = {"id": token.pk, "text": text}
            return redirect("tracker:api_token_list")
        status = 422
    else:
        form, status = APITokenForm(), 200
    context = {
        "form": form,
        "tokens": APIToken.objects.filter(user=request.user).select_related("revoked_by"),
        "new_token": request.session.pop(NEW_TOKEN_SESSION_KEY, None),
    }
    return render(request, "tracker/api_tokens.html", context, status=status)


@require_POST
def api_token_revoke_view(request, pk):
    # Only one's own: someone else's token is "not found", not "forbidden", so ids reveal nothing.
    token = get_object_or_404(APIToken, pk=pk, user=request.user)
    try:
        api_token_revoke(token=token, by=request.user)
    except ValidationError as error:
        messages.info(request, " ".join(error.messages))
    else:
        messages.success(request, _("Token “%(name)s” revoked: it no longer works.") % {"name": token.name})
    return redirect("tracker:api_token_list")

"""The weekly digest's unsubscribe link, which works without logging in.

GET shows what the link would do and a button; only the POST (the page's own form, with its CSRF
token like every form here) changes anything. Mail scanners and link previews follow every link in
an email with GET, and must not unsubscribe anyone. The page then offers to subscribe again.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ..models import DigestSubscription
from ..services.digests import digest_subscription_set, user_id_from_unsubscribe_token


@login_not_required
@require_http_methods(["GET", "POST"])
def digest_unsubscribe(request, token):
    user_id = user_id_from_unsubscribe_token(token)
    if user_id is None:
        # The 400 page, with no word about whose link it might have been.
        return render(request, "tracker/digest_unsubscribe_invalid.html", status=400)
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        raise Http404(_("This unsubscribe link's account no longer exists."))
    if request.method == "POST":
        # Anything but an explicit "subscribe" unsubscribes: the safe reading of a stray POST.
        enabled = request.POST.get("action") == "subscribe"
        digest_subscription_set(user=user, enabled=enabled)
    else:
        enabled = not DigestSubscription.objects.filter(user=user, digest_enabled=False).exists()
    return render(
        request,
        "tracker/digest_unsubscribe.html",
        {"enabled": enabled, "changed": request.method == "POST", "email": user.email},
    )

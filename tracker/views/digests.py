"""The weekly digest's unsubscribe link, which works without logging in.

GET shows what the link would do and a button; only the POST changes anything. Mail scanners and
link previews (which follow every link in an email, with GET) must not unsubscribe anyone. The
POST also answers the one-click unsubscribe of mail clients (RFC 8058: `List-Unsubscribe=One-Click`
POSTed to the same address), which carries no CSRF token: the signed token in the address is what
authorises it, so the view is exempt from the CSRF check. The page then offers to subscribe again.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from ..models import DigestSubscription
from ..services.digests import digest_subscription_set, user_id_from_unsubscribe_token


@login_not_required
@csrf_exempt
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
        # A mail client's one-click POST has no "action": it means unsubscribe.
        enabled = request.POST.get("action") == "subscribe"
        digest_subscription_set(user=user, enabled=enabled)
    else:
        enabled = not DigestSubscription.objects.filter(user=user, digest_enabled=False).exists()
    return render(
        request,
        "tracker/digest_unsubscribe.html",
        {"enabled": enabled, "changed": request.method == "POST", "email": user.email},
    )

"""Following: the Follow / Unfollow button on the dialogue, theme, agency and commitment pages, and
the "What I follow" page.

Any logged-in user may follow (viewers too): a follow changes only what the tracker tells them.
The button is a POST form: without JavaScript it redirects back to the page it was on; with htmx the
answer is the button alone, swapped in place, with a line for screen readers saying what changed.
"""

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from .. import services
from ..context_processors import request_follow_state
from ..selectors.following import FollowingPage
from ..selectors.follows import followable_model
from ..services.digests import digest_subscription_set
from . import wants_fragment

# Whole sentences per kind (not "Follow this %s"): other languages agree the words with the thing.
FOLLOW_LABELS = {
    "dialogue": _("Follow this dialogue"),
    "theme": _("Follow this objective"),
    "agency": _("Follow this agency"),
    "commitment": _("Follow this commitment"),
}
FOLLOWING_LABELS = {
    "dialogue": _("Following this dialogue — unfollow"),
    "theme": _("Following this objective — unfollow"),
    "agency": _("Following this agency — unfollow"),
    "commitment": _("Following this commitment — unfollow"),
}
FOLLOWED_NOTICES = {
    "dialogue": _("You now follow this dialogue."),
    "theme": _("You now follow this objective."),
    "agency": _("You now follow this agency."),
    "commitment": _("You now follow this commitment."),
}
UNFOLLOWED_NOTICES = {
    "dialogue": _("You no longer follow this dialogue."),
    "theme": _("You no longer follow this objective."),
    "agency": _("You no longer follow this agency."),
    "commitment": _("You no longer follow this commitment."),
}
# The headings of "What I follow", one per kind.
GROUP_TITLES = {
    "dialogue": _("Dialogues"),
    "theme": _("Objectives"),
    "agency": _("Agencies"),
    "commitment": _("Commitments"),
}


def follow_button_context(request, kind: str, pk: int, following: bool, next_url: str, **extra) -> dict:
    """What templates/tracker/partials/_follow_button.html needs, for a page and for htmx's answer."""
    return {
        "kind": kind,
        "pk": pk,
        "following": following,
        "label": (FOLLOWING_LABELS if following else FOLLOW_LABELS)[kind],
        "action": reverse("tracker:unfollow" if following else "tracker:follow", args=[kind, pk]),
        "next": next_url,
        "csrf_token": get_token(request),
        **extra,
    }


def _target_or_404(kind: str, pk: int):
    model = followable_model(kind)
    if model is None:
        raise Http404(_("Nothing of this kind can be followed."))
    return get_object_or_404(model, pk=pk)


def _next_url(request, target) -> str:
    """Where to go back to: the page the form was on, if it is one of ours, else the thing's page."""
    next_url = request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return target.get_absolute_url()


@require_POST
def follow(request, kind, pk):
    return _set_following(request, kind, pk, following=True)


@require_POST
def unfollow(request, kind, pk):
    return _set_following(request, kind, pk, following=False)


def _set_following(request, kind, pk, *, following: bool):
    target = _target_or_404(kind, pk)
    if following:
        services.follow_create(user=request.user, target=target)
    else:
        services.follow_delete(user=request.user, target=target)
    notice = (FOLLOWED_NOTICES if following else UNFOLLOWED_NOTICES)[kind]
    if not wants_fragment(request):
        messages.success(request, notice)
        return redirect(_next_url(request, target))
    context = follow_button_context(
        request,
        kind,
        target.pk,
        following,
        request.POST.get("next", ""),
        notice=notice,
        describedby=request.POST.get("describedby", ""),
    )
    return render(request, "tracker/partials/_follow_response.html", context)


@require_GET
def following(request):
    """What the user follows, and what is new in it since their last visit (which this one becomes)."""
    page = FollowingPage(request.user.pk, request.GET.get("page"), settings.TRACKER_PAGE_SIZE)
    services.follow_visit_record(user=request.user)
    # Seen now: the header counts nothing new, and the buttons know their state without a query.
    request_follow_state(request).prime(page.keys, 0)
    groups = [(kind, GROUP_TITLES[kind], items) for kind, items in page.groups]
    return render(request, "tracker/following.html", {"page": page, "groups": groups})


@require_GET
@never_cache  # per person, and stale the moment someone posts an update
def following_news(request):
    """The header's count of news beside "What I follow" (one query), which every page asks for with
    htmx once it has loaded, so that no page pays for it: see base.html."""
    state = request_follow_state(request)
    return render(
        request, "tracker/partials/_news_count.html", {"news": state.news, "shown": state.news_shown}
    )


@require_POST
def following_digest(request):
    """The "Send me the weekly digest" form on "What I follow": a plain POST (no JavaScript needed),
    then back to the page with a message. An unchecked box is not sent at all, so its absence
    means off."""
    enabled = request.POST.get("digest_enabled") == "on"
    digest_subscription_set(user=request.user, enabled=enabled)
    if enabled:
        messages.success(request, _("The weekly digest is on: you will receive it every week you have news."))
    else:
        messages.success(request, _("The weekly digest is off: you will not receive it any more."))
    return redirect("tracker:following")

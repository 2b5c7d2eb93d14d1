"""Calendar feeds: the page where a person finds their feed addresses (and resets them), and the
feeds themselves, which calendar programs fetch without logging in.

A feed address carries the person's secret token instead (selectors/calendar.py): wrong, replaced
by a reset, or belonging to a deactivated account, the answer is the same 404, so nobody learns
which. The feeds hold titles, dates and links only.
"""

import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, HttpResponseNotFound
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import get_conditional_response, quote_etag
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST, require_safe

from ..exports.ical import feed_bytes
from ..models import Dialogue
from ..selectors.calendar import (
    absolute_url,
    calendar_token_owner,
    dialogue_feed_events,
    following_feed_events,
)
from ..services.calendar import calendar_token_get_or_create, calendar_token_reset, calendar_token_string


def feed_urls(token: str, dialogues) -> dict:
    """The addresses of a person's feeds: theirs, and one per dialogue (as http(s) and as webcal, which offers to subscribe)."""

    def both(path):
        url = absolute_url(path)
        return {"address": url, "webcal": "webcal://" + url.split("://", 1)[1]}

    return {
        "following": both(reverse("tracker:calendar_following", args=[token])),
        "dialogues": [
            (dialogue, both(reverse("tracker:calendar_dialogue", args=[token, dialogue.slug])))
            for dialogue in dialogues
        ],
    }


@require_GET
def calendar_feeds(request):
    """The person's feed addresses, how to subscribe, and the reset button."""
    token = calendar_token_get_or_create(user=request.user)
    dialogues = Dialogue.objects.only("name", "name_fr", "slug").order_by("name")
    return render(
        request,
        "tracker/calendar_feeds.html",
        {"token": token, "urls": feed_urls(calendar_token_string(token), dialogues)},
    )


@require_POST
def calendar_token_reset_view(request):
    calendar_token_reset(user=request.user)
    messages.success(
        request,
        _(
            "Your calendar addresses have changed: the old ones no longer work. Subscribe again with the "
            "new ones below."
        ),
    )
    return redirect("tracker:calendar_feeds")


class NoFeed(Exception):
    """No feed at this address: a bad token (of any kind) or an unknown dialogue."""


def no_feed_response() -> HttpResponse:
    """The one answer for every kind of bad token, and for an unknown dialogue: the same short text,
    not the site's 404 page, which would set a CSRF cookie and differ from one request to the next."""
    return HttpResponseNotFound(
        _("There is no calendar feed at this address.") + "\n", content_type="text/plain; charset=utf-8"
    )


def feed_owner(token: str):
    owner = calendar_token_owner(token)
    if owner is None:
        raise NoFeed
    return owner


def feed_response(request, name: str, filename: str, events) -> HttpResponse:
    """The events as an iCalendar file for a calendar program: named, never kept by a shared cache
    (its address is a secret), and answered with 304 when the program already has this version."""
    body = feed_bytes(name, events)
    etag = quote_etag(hashlib.sha256(body).hexdigest()[:32])
    not_modified = get_conditional_response(request, etag=etag)
    response = not_modified or HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["ETag"] = etag
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    # Private: only the person's own calendar program may keep a copy, for a few minutes.
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


# GET or HEAD: some calendar programs ask whether a feed changed with a HEAD first.
@login_not_required
@require_safe
def calendar_following(request, token):
    try:
        owner = feed_owner(token)
    except NoFeed:
        return no_feed_response()
    return feed_response(
        request, _("Tracker: what I follow"), "tracker-following.ics", following_feed_events(owner.pk)
    )


@login_not_required
@require_safe
def calendar_dialogue(request, token, slug):
    try:
        feed_owner(token)
        dialogue = Dialogue.objects.filter(slug=slug).first()
        if dialogue is None:
            raise NoFeed
    except NoFeed:
        return no_feed_response()
    return feed_response(
        request,
        _("Tracker: %(dialogue)s") % {"dialogue": dialogue.name},
        f"tracker-{dialogue.slug}.ics",
        dialogue_feed_events(dialogue),
    )

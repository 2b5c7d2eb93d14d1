"""What a calendar feed holds: one event for each commitment's due date and one for its next
review, for the commitments a person follows or those of one dialogue.

Titles, dates and links only: nothing else is read from the database, so no rationale, update text,
quote or description can reach a calendar (a feed address is a secret, but it is not a login).
Everything comes from one query (plus the token's), whatever the number of events.
"""

import datetime
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.db.models import Count, F, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext as _

from .. import rules
from ..models import CalendarToken, Commitment, Dialogue
from ..services.calendar import SIGNER
from .follows import followed_commitments

DUE, REVIEW = "due", "review"


def absolute_url(path: str) -> str:
    """`path` on the site as people reach it (TRACKER_SITE_URL): for links read outside the site."""
    return f"{settings.TRACKER_SITE_URL}{path}"


def calendar_token_owner(token: str):
    """The active user whose feed addresses carry `token`, or None: for a token that is not signed
    by this site, that was replaced by a reset, or whose owner is deactivated alike, so the answer
    reveals nothing about which it was. The signature is checked (in constant time) before the
    database is asked."""
    try:
        key = SIGNER.unsign(token)
    except signing.BadSignature:
        return None
    found = CalendarToken.objects.select_related("user").filter(key=key, user__is_active=True).first()
    return found.user if found else None


@dataclass(frozen=True)
class FeedEvent:
    uid: str
    kind: str  # DUE or REVIEW
    day: datetime.date
    title: str
    url: str
    cancelled: bool
    # Grows with every change to the commitment or its dialogue (their history rows), so calendar
    # programs that compare it take a moved date or a cancellation as an update of the same event.
    sequence: int
    changed_at: datetime.datetime

    @property
    def summary(self) -> str:
        if self.kind == DUE:
            return _("Due: %(title)s") % {"title": self.title}
        return _("Review: %(title)s") % {"title": self.title}


def _revisions(model, outer: str) -> dict:
    """How many history rows the outer query's `model` row has, and when the latest was made."""
    history = model.history.model.objects.filter(id=OuterRef(outer)).order_by().values("id")
    return {
        "count": Subquery(history.annotate(n=Count("history_id")).values("n")[:1]),
        "latest": Subquery(history.annotate(at=Max("history_date")).values("at")[:1]),
    }


FEED_FIELDS = (
    "pk",
    "title",
    "status",
    "due_on",
    "announced_on",
    "last_update_on",
    "review_every_days",
    "created_at",
)


def _feed_rows(commitments):
    own, dialogue = _revisions(Commitment, "pk"), _revisions(Dialogue, "dialogue_id")
    return (
        commitments.order_by()
        .annotate(
            dialogue_review_days=F("dialogue__review_every_days"),
            revisions=Coalesce(own["count"], 0) + Coalesce(dialogue["count"], 0),
            changed_at=Coalesce(own["latest"], F("created_at")),
            dialogue_changed_at=dialogue["latest"],
        )
        .values(*FEED_FIELDS, "dialogue_review_days", "revisions", "changed_at", "dialogue_changed_at")
    )


def feed_events(commitments) -> list[FeedEvent]:
    """The events of `commitments` (a Commitment queryset), by day: a due date when there is one,
    and the next review (rules.next_review_on); both marked cancelled once the commitment is closed
    (completed or discontinued), so a calendar shows the event struck out rather than losing it."""
    host = urlsplit(settings.TRACKER_SITE_URL).hostname or "localhost"
    # The commitment page's address, for any id: one reverse() instead of one per event.
    link = absolute_url(reverse("tracker:commitment_detail", args=[0])).replace("/0/", "/{}/")
    events = []
    for row in _feed_rows(commitments):
        changed_at = max(filter(None, (row["changed_at"], row["dialogue_changed_at"])))
        common = {
            "title": row["title"],
            "url": link.format(row["pk"]),
            "cancelled": row["status"] in rules.CLOSED_STATUSES,
            "sequence": row["revisions"],
            "changed_at": changed_at,
        }
        if row["due_on"] is not None:
            events.append(
                FeedEvent(uid=f"commitment-{row['pk']}-due@{host}", kind=DUE, day=row["due_on"], **common)
            )
        cadence = rules.review_cadence_days(row["review_every_days"], row["dialogue_review_days"])
        review_on = rules.next_review_on(row["last_update_on"], row["announced_on"], cadence)
        events.append(
            FeedEvent(uid=f"commitment-{row['pk']}-review@{host}", kind=REVIEW, day=review_on, **common)
        )
    events.sort(key=lambda event: (event.day, event.uid))
    return events


def following_feed_events(user_id: int) -> list[FeedEvent]:
    """The events of everything `user_id` follows (selectors/follows.py), each commitment once."""
    return feed_events(followed_commitments(Commitment.objects.all(), user_id))


def dialogue_feed_events(dialogue: Dialogue) -> list[FeedEvent]:
    return feed_events(Commitment.objects.filter(dialogue=dialogue))

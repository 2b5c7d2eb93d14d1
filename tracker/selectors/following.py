"""The "What I follow" page: a person's follows grouped by kind, each with its state today, what is
new since their last visit, and the commitments their follows cover.

A fixed number of queries whatever the number of follows: the follows with their targets (1), the
counts by status of the dialogues, themes and agencies followed (1 per kind present, at most 3),
the newest updates (1) and a page of the covered commitments (2: count and rows).
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.paginator import Paginator
from django.db.models import Count, Exists, F, OuterRef, Subquery
from django.utils import timezone
from django.utils.functional import cached_property

from ..models import FOLLOWABLE, Commitment, DigestSubscription, Status, StatusUpdate
from ..rules import STATE_STATUS, overdue_q
from .common import StatusCount
from .follows import followed_commitments, followed_q, follows_with_news, news_shown

# How many of the newest updates the page lists (the header counts them all).
NEWEST_SHOWN = 20

# Per kind, the path from a commitment to the followed thing: the counts group by it.
COVERING_PATH = {"dialogue": "dialogue_id", "theme": "themes", "agency": "participations__agency_id"}


@dataclass
class Followed:
    """One follow on the page: the thing, and for a dialogue, a theme or an agency the commitments it
    covers counted by status, with how many are overdue."""

    follow: object
    target: object
    counts: list = field(default_factory=list)
    total: int = 0
    overdue: int = 0

    @property
    def name_id(self) -> str:
        """The id of the element naming it on the page, which its Unfollow button is described by."""
        return f"followed-{self.follow.kind}-{self.target.pk}"


def status_counts(kind: str, ids, day: datetime.date) -> dict:
    """{id: (counts by status, overdue)} for the `kind` things `ids` (one query)."""
    path = COVERING_PATH[kind]
    rows = (
        Commitment.objects.as_of(None)
        .filter(**{f"{path}__in": ids})
        .annotate(key=F(path))
        .values("key", STATE_STATUS)
        .annotate(n=Count("pk"), overdue=Count("pk", filter=overdue_q(day)))
        .order_by()
    )
    by_key = defaultdict(dict)
    overdue = defaultdict(int)
    for row in rows:
        by_key[row["key"]][row[STATE_STATUS]] = row["n"]
        overdue[row["key"]] += row["overdue"]
    return {
        key: (
            [StatusCount(value, label, by_key[key].get(value, 0)) for value, label in Status.choices],
            overdue[key],
        )
        for key in ids
    }


class FollowingPage:
    def __init__(self, user_id: int, page_number, page_size: int):
        self.user_id = user_id
        self.page_number = page_number
        self.page_size = page_size
        self.today = timezone.localdate()
        self.follows = list(
            follows_with_news(user_id)
            # The digest's toggle rides along (None: no choice made, so it is on).
            .annotate(digest_choice=Subquery(self._digest_choice().values("digest_enabled")[:1]))
            .select_related(*FOLLOWABLE, "commitment__dialogue")
            .order_by("id")
        )

    def _digest_choice(self):
        return DigestSubscription.objects.filter(user_id=self.user_id)

    @cached_property
    def digest_enabled(self) -> bool:
        """Whether the weekly digest goes to this person (the default, with no choice recorded)."""
        if self.follows:
            choice = self.follows[0].digest_choice
        else:  # nothing followed: no row carried it (1 query, on a page that reads little else)
            choice = self._digest_choice().values_list("digest_enabled", flat=True).first()
        return choice is not False

    @property
    def news(self) -> int:
        """How many updates are new since the last visit (the header's count before this one)."""
        return self.follows[0].news or 0 if self.follows else 0

    @property
    def news_shown(self) -> str:
        return news_shown(self.news)

    @property
    def since(self) -> datetime.datetime | None:
        """When "new" starts: the last visit, or before any, the first follow (see news_since)."""
        if not self.follows:
            return None
        return self.follows[0].last_seen or min(f.created_at for f in self.follows)

    @property
    def keys(self) -> set:
        return {(f.kind, getattr(f, f"{f.kind}_id")) for f in self.follows}

    @cached_property
    def groups(self) -> list:
        """(kind, [Followed]) for each kind followed, in FOLLOWABLE's order."""
        by_kind = defaultdict(list)
        for follow in self.follows:
            by_kind[follow.kind].append(follow)
        groups = []
        for kind in FOLLOWABLE:
            if not by_kind[kind]:
                continue
            if kind == "commitment":
                items = [Followed(f, f.commitment) for f in by_kind[kind]]
            else:
                counts = status_counts(kind, [getattr(f, f"{kind}_id") for f in by_kind[kind]], self.today)
                items = []
                for f in by_kind[kind]:
                    statuses, overdue = counts[getattr(f, f"{kind}_id")]
                    items.append(Followed(f, f.target, statuses, sum(s.count for s in statuses), overdue))
            groups.append((kind, sorted(items, key=lambda item: str(item.target).casefold())))
        return groups

    @cached_property
    def newest(self) -> list:
        """The newest updates recorded on what is followed since the last visit (at most NEWEST_SHOWN)."""
        if self.since is None or not self.news:
            return []
        # From the newest update backwards (the index on created_at), keeping those on a followed
        # commitment, as the header's count does: not every followed commitment's trail.
        covered = Commitment.objects.filter(followed_q(self.user_id), pk=OuterRef("commitment_id"))
        return list(
            StatusUpdate.objects.counting()
            .filter(Exists(covered), created_at__gt=self.since)
            .select_related("commitment", "author")
            .order_by("-created_at", "-id")[:NEWEST_SHOWN]
        )

    @cached_property
    def commitments(self):
        """A page of the commitments the follows cover, the latest updated first, each marked
        `is_new` when an update was recorded on it since the last visit."""
        rows = Commitment.objects.none()
        if self.follows:
            news = StatusUpdate.objects.counting().filter(
                commitment=OuterRef("pk"), created_at__gt=self.since
            )
            rows = (
                followed_commitments(Commitment.objects.all(), self.user_id)
                .select_related("dialogue")
                .annotate(is_new=Exists(news))
                .order_by(F("last_update_on").desc(nulls_last=True), "id")
            )
        return Paginator(rows, self.page_size).get_page(self.page_number)

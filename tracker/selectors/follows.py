"""Which commitments a person's follows cover. One definition, used by "What I follow", the weekly
digest, the personal calendar feed and the header's count of news.

Following a dialogue, a theme or an agency covers every commitment of it (an agency: every one it
takes part in, in any role); following a commitment covers that one. Each is one subquery, so the
whole is a single WHERE clause whatever the number of follows.
"""

import functools

from django.db import connection
from django.db.models import Exists, F, Func, Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from ..compiled import CompiledQuery, compile_once
from ..models import FOLLOWABLE, Commitment, Follow, FollowVisit, Participation, StatusUpdate


def followed_q(user_id: int) -> Q:
    """A filter on Commitment: the commitments `user_id`'s follows cover."""
    follows = Follow.objects.filter(user_id=user_id)
    return (
        Q(pk__in=follows.filter(commitment__isnull=False).values("commitment_id"))
        | Q(dialogue_id__in=follows.filter(dialogue__isnull=False).values("dialogue_id"))
        # Through the link table's own subquery, not a join of it: a join in an OR reads every
        # commitment's every theme (measured at 10,000 commitments: half the time of the whole).
        | Q(
            pk__in=Commitment.themes.through.objects.filter(
                theme_id__in=follows.filter(theme__isnull=False).values("theme_id")
            ).values("commitment_id")
        )
        | Q(
            pk__in=Participation.objects.filter(
                agency_id__in=follows.filter(agency__isnull=False).values("agency_id")
            ).values("commitment_id")
        )
    )


def followed_commitments(queryset, user_id: int):
    """`queryset` (of Commitment) narrowed to what `user_id` follows, each commitment once."""
    # The themes join can repeat a commitment; a pk__in over the same filter keeps the outer query
    # free of joins (and of DISTINCT), so it orders and paginates like any other.
    return queryset.filter(pk__in=Commitment.objects.filter(followed_q(user_id)).values("pk"))


def followed_commitment_ids(user_id: int) -> set[int]:
    """The ids of the commitments `user_id` follows: `followed_q`'s answer, read as one UNION of
    four index lookups (a commitment, a dialogue's, a theme's, an agency's) instead of a scan of
    every commitment. For reports that meet many people's follows with a set of commitments they
    already hold (the weekly digest); tests check that both always agree."""
    # Unordered parts: a compound statement takes no ORDER BY inside it.
    follows = Follow.objects.filter(user_id=user_id).order_by()
    parts = [
        Commitment.objects.filter(dialogue_id__in=follows.values("dialogue_id")).values_list("pk"),
        Commitment.themes.through.objects.filter(theme_id__in=follows.values("theme_id")).values_list(
            "commitment_id"
        ),
        Participation.objects.filter(agency_id__in=follows.values("agency_id")).values_list("commitment_id"),
    ]
    ids = (
        follows.filter(commitment__isnull=False)
        .values_list("commitment_id")
        .union(*(part.order_by() for part in parts))
    )
    return {pk for (pk,) in ids}


# --- what a person follows, and what is new in it -----------------------------------------------


def followable_model(kind: str):
    """The model a follow of `kind` points at (a Dialogue for "dialogue"…), or None for an unknown
    kind: URLs name the kind, so anything may arrive here."""
    if kind not in FOLLOWABLE:
        return None
    return Follow._meta.get_field(kind).related_model


def news_since(user_id: int):
    """When "new" starts for `user_id`: their last visit to "What I follow", or before any visit,
    their first follow (what happened before they followed anything is not news to them)."""
    last_visit = FollowVisit.objects.filter(user_id=user_id).values("seen_at")[:1]
    first_follow = (
        Follow.objects.filter(user_id=user_id).order_by().values("user_id").annotate(first=Min("created_at"))
    )
    return Coalesce(Subquery(last_visit), Subquery(first_follow.values("first")))


# The header shows "99+" beyond this: counting further would read every update since a visit long ago.
NEWS_CAP = 100


def news_count(user_id: int) -> Subquery:
    """How many status updates (withdrawn ones left out) were recorded on what `user_id` follows
    since their last visit, up to NEWS_CAP: a scalar subquery, so it rides along another query.

    It starts from the updates recorded since then (the index on created_at: none, when nothing is
    new) and keeps those on a followed commitment, rather than reading every followed commitment's
    trail: measured on the benchmark's data (10,000 commitments, 100,000 updates, 10 follows
    covering 1,471 commitments), 0.05 ms with nothing new instead of 35-50 ms."""
    covered = Commitment.objects.filter(followed_q(user_id), pk=OuterRef("commitment_id"))
    new = (
        StatusUpdate.objects.counting()
        .filter(created_at__gt=news_since(user_id))
        .filter(Exists(covered))
        # In the order recorded: the planner then walks the index from the last visit on and stops
        # at the cap. Unordered, PostgreSQL cannot tell how many are new (the start is a subquery)
        # and read the whole trail commitment by commitment (10-18 ms at 100,000 updates).
        .order_by("created_at", "id")
        .values("pk")[:NEWS_CAP]
    )
    # COUNT as a plain function: no GROUP BY, one row whatever matches.
    counted = StatusUpdate.objects.filter(pk__in=new).order_by().annotate(n=Func(F("pk"), function="COUNT"))
    return Subquery(counted.values("n"))


def follows_with_news(user_id: int):
    """`user_id`'s follows, each carrying `news` (the same total on every row, see news_count) and
    `last_seen` (their last visit, None before the first)."""
    last_visit = FollowVisit.objects.filter(user_id=user_id).values("seen_at")[:1]
    return Follow.objects.filter(user_id=user_id).annotate(
        news=news_count(user_id), last_seen=Subquery(last_visit)
    )


@functools.cache
def _follow_state_query(vendor: str) -> CompiledQuery:
    return compile_once(lambda values: follows_with_news(values[0]).values_list(*FOLLOWABLE, "news"), [int])


def follow_state_rows(user_id: int) -> list:
    """`user_id`'s follows as (dialogue_id, theme_id, agency_id, commitment_id, news) rows.

    Every page's header runs this, and building its nested subqueries through the ORM costs several
    milliseconds a time (5-12 ms measured) against well under a millisecond to run it: so its SQL is
    compiled once per process and database vendor (tracker/compiled.py), and only the user's id
    changes between runs."""
    return _follow_state_query(connection.vendor).rows([user_id])


class FollowState:
    """What the person making a request follows and how many updates are new to them: read lazily,
    in one query, the first time a page asks (the header's count, a Follow button), and never by a
    fragment that shows neither. Nothing here is ever cached: it is per person."""

    def __init__(self, user_id: int | None):
        self.user_id = user_id
        self._keys = None
        self._news = 0
        self._known = {}  # single answers a view primed (prime_one)

    def _load(self):
        if self._keys is not None:
            return
        if self.user_id is None:
            self.prime(set(), 0)
            return
        rows = follow_state_rows(self.user_id)
        self.prime(
            {(kind, pk) for row in rows for kind, pk in zip(FOLLOWABLE, row[:-1], strict=True) if pk},
            rows[0][-1] if rows else 0,
        )

    def prime(self, keys: set, news: int) -> None:
        """Set what a view already read (the "What I follow" page), sparing the query."""
        self._keys, self._news = keys, news or 0

    def prime_one(self, kind: str, pk: int, following: bool) -> None:
        """Set whether the person follows one thing, which a view read with a query of its own (the
        commitment page's Follow button): any other question still reads the whole state."""
        self._known[(kind, pk)] = following

    def follows(self, kind: str, pk: int) -> bool:
        if (kind, pk) in self._known:
            return self._known[(kind, pk)]
        self._load()
        return (kind, pk) in self._keys

    @property
    def news(self) -> int:
        self._load()
        return self._news

    @property
    def news_shown(self) -> str:
        """The count as the header shows it: "99+" once it reaches NEWS_CAP."""
        return news_shown(self.news)


def news_shown(news: int) -> str:
    return f"{NEWS_CAP - 1}+" if news >= NEWS_CAP else str(news)

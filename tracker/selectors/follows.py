"""Which commitments a person's follows cover. One definition, used by "What I follow", the weekly
digest, the personal calendar feed and the header's count of news.

Following a dialogue, a theme or an agency covers every commitment of it (an agency: every one it
takes part in, in any role); following a commitment covers that one. Each is one subquery, so the
whole is a single WHERE clause whatever the number of follows.
"""

from django.db.models import Q

from ..models import Commitment, Follow, Participation


def followed_q(user_id: int) -> Q:
    """A filter on Commitment: the commitments `user_id`'s follows cover."""
    follows = Follow.objects.filter(user_id=user_id)
    return (
        Q(pk__in=follows.filter(commitment__isnull=False).values("commitment_id"))
        | Q(dialogue_id__in=follows.filter(dialogue__isnull=False).values("dialogue_id"))
        | Q(themes__in=follows.filter(theme__isnull=False).values("theme_id"))
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

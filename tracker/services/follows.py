"""Follows: a person choosing what the tracker tells them about (the header's count of news, "What
I follow", the weekly digest and their calendar feed), and their visits to "What I follow".

A follow is a preference, not part of the record: it keeps no history. Following twice leaves one
follow; unfollowing what is not followed does nothing.
"""

import logging

from django.db import transaction
from django.utils import timezone

from ..models import FOLLOWABLE, Follow, FollowVisit

logger = logging.getLogger(__name__)


def follow_kind(target) -> str:
    """The kind of follow `target` takes ("dialogue", "theme", "agency" or "commitment")."""
    for kind in FOLLOWABLE:
        if isinstance(target, Follow._meta.get_field(kind).related_model):
            return kind
    raise TypeError(f"{type(target).__name__} cannot be followed")


def follow_create(*, user, target) -> tuple[Follow, bool]:
    """`user` follows `target`; the follow, and whether it is new (False: it already was followed)."""
    # get_or_create reads again after losing a race on the unique constraint: two clicks at once
    # still leave one follow, and neither fails.
    return Follow.objects.get_or_create(user=user, **{follow_kind(target): target})


def follow_delete(*, user, target) -> bool:
    """`user` stops following `target`; whether they were following it."""
    deleted, _ = Follow.objects.filter(user=user, **{follow_kind(target): target}).delete()
    return bool(deleted)


@transaction.atomic
def follows_create_for_users(*, target, users, by=None) -> list:
    """Every one of `users` follows `target` (an administrator's doing); the users who were not
    following it before, in the order given. Those already following it are left as they are."""
    kind = follow_kind(target)
    users = list(users)
    already = set(Follow.objects.filter(**{kind: target}, user__in=users).values_list("user_id", flat=True))
    added = [user for user in users if user.pk not in already]
    # ignore_conflicts: one made meanwhile (the user clicking Follow) is not an error either.
    Follow.objects.bulk_create([Follow(user=user, **{kind: target}) for user in added], ignore_conflicts=True)
    logger.info(
        "%s made %d user(s) follow %s %s: %s",
        by or "someone",
        len(added),
        kind,
        target.pk,
        ", ".join(user.get_username() for user in added) or "none new",
    )
    return added


def follow_visit_record(*, user, at=None) -> None:
    """Remember that `user` opened "What I follow" (now, or `at`): their news count starts again."""
    # One statement whether or not they visited before (an upsert on the unique user).
    FollowVisit.objects.bulk_create(
        [FollowVisit(user=user, seen_at=at or timezone.now())],
        update_conflicts=True,
        unique_fields=["user"],
        update_fields=["seen_at"],
    )

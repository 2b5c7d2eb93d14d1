"""Which commitments block which: set in the admin (or a loader), never in a cycle."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..models import Commitment

BlockedBy = Commitment.blocked_by.through


def blocking_chain(commitment_id: int, blocker_ids: Iterable[int], edges: Iterable[tuple[int, int]]):
    """The chain of ids [commitment, blocker, …, commitment] that making `commitment` blocked by
    `blocker_ids` would close, or None when it closes none. `edges` are the (blocked, blocker) pairs
    that exist now; those from `commitment` itself are replaced by the new ones."""
    blockers_of: dict[int, list[int]] = {}
    for blocked, blocker in edges:
        if blocked != commitment_id:
            blockers_of.setdefault(blocked, []).append(blocker)
    blockers_of[commitment_id] = list(blocker_ids)
    # Depth-first from the commitment, following "is blocked by"; a path back to it is the cycle.
    stack = [(commitment_id, [commitment_id])]
    seen: set[int] = set()
    while stack:
        node, path = stack.pop()
        for blocker in blockers_of.get(node, []):
            if blocker == commitment_id:
                return [*path, blocker]
            if blocker not in seen:
                seen.add(blocker)
                stack.append((blocker, [*path, blocker]))
    return None


def check_no_blocking_cycle(commitment: Commitment, blockers: Iterable[Commitment]) -> None:
    """Raise ValidationError naming the chain when `commitment` blocked by `blockers` would make
    one wait on itself, directly or through others."""
    blocker_ids = [blocker.pk for blocker in blockers]
    edges = BlockedBy.objects.values_list("from_commitment_id", "to_commitment_id")
    chain = blocking_chain(commitment.pk, blocker_ids, edges)
    if chain is None:
        return
    titles = dict(Commitment.objects.filter(pk__in=set(chain)).values_list("pk", "title"))
    titles[commitment.pk] = commitment.title
    named = " → ".join(f"“{titles[pk]}”" for pk in chain)
    raise ValidationError(
        _("That would make a commitment wait on itself: %(chain)s (each is blocked by the next).")
        % {"chain": named},
        code="cycle",
    )


@transaction.atomic
def commitment_set_blockers(*, commitment: Commitment, blockers: Iterable[Commitment], by=None) -> None:
    """Make `commitment` blocked by exactly `blockers`, refusing a cycle (ValidationError)."""
    blockers = list(blockers)
    # Serialise changes to dependencies so two editors cannot close a cycle between them.
    Commitment.objects.select_for_update().filter(pk=commitment.pk).first()
    check_no_blocking_cycle(commitment, blockers)
    if by is not None:
        commitment._history_user = by
    commitment.blocked_by.set(blockers)

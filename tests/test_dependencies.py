"""Blocked by: a commitment may wait on others, never on itself, however long the chain; a blocker in
trouble flags what it holds up."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tracker import services
from tracker.models import Commitment, Status
from tracker.selectors.commitment import dependencies, dependencies_query
from tracker.services import blocking_chain


def test_no_chain_without_a_cycle():
    assert blocking_chain(1, [2], [(2, 3), (3, 4)]) is None


def test_a_commitment_blocked_by_itself_is_a_cycle():
    assert blocking_chain(1, [1], []) == [1, 1]


def test_the_chain_closing_a_three_long_cycle_is_named_in_order():
    # 2 is blocked by 3, 3 by 1: making 1 blocked by 2 closes 1 → 2 → 3 → 1.
    assert blocking_chain(1, [2], [(2, 3), (3, 1)]) == [1, 2, 3, 1]


def test_the_commitments_own_old_blockers_are_replaced_not_added():
    # 1 was blocked by 2, and 2 by nothing: setting 1's blockers to [3] while 3 is free is fine.
    assert blocking_chain(1, [3], [(1, 2), (2, 1)]) is None


@pytest.fixture
def three(make_commitments):
    return make_commitments(3)


def test_a_direct_cycle_is_refused_with_both_titles_named(three, editor):
    a, b, _ = three
    services.commitment_set_blockers(commitment=a, blockers=[b], by=editor)
    with pytest.raises(ValidationError) as refused:
        services.commitment_set_blockers(commitment=b, blockers=[a], by=editor)
    message = " ".join(refused.value.messages)
    assert f"“{b.title}” → “{a.title}” → “{b.title}”" in message
    assert list(b.blocked_by.all()) == []


def test_a_three_long_cycle_is_refused_and_nothing_changes(three, editor):
    a, b, c = three
    services.commitment_set_blockers(commitment=a, blockers=[b], by=editor)
    services.commitment_set_blockers(commitment=b, blockers=[c], by=editor)
    with pytest.raises(ValidationError, match="wait on itself"):
        services.commitment_set_blockers(commitment=c, blockers=[a], by=editor)
    assert list(c.blocked_by.all()) == []
    assert list(a.blocks.all()) == []


def _post(commitment, author, status, **extra):
    return services.status_update_create(
        commitment=commitment, author=author, status=status, progress=10, text="Report.", **extra
    )


@pytest.mark.parametrize(
    ("status", "due_in_days", "blocked"),
    [
        (Status.OFF_TRACK, None, True),
        (Status.AT_RISK, None, True),
        (Status.ON_TRACK, -1, True),  # overdue
        (Status.ON_TRACK, 30, False),
        (Status.COMPLETED, -1, False),  # finished: not overdue, holds nothing up
    ],
)
def test_a_commitment_is_blocked_when_its_blocker_is_in_trouble(three, editor, status, due_in_days, blocked):
    waiting, blocker, _ = three
    if due_in_days is not None:
        Commitment.objects.filter(pk=blocker.pk).update(
            due_on=timezone.localdate() + datetime.timedelta(days=due_in_days)
        )
    services.commitment_set_blockers(commitment=waiting, blockers=[blocker], by=editor)
    reason = {"reason": "funding"} if status in (Status.OFF_TRACK, Status.AT_RISK) else {}
    _post(blocker, editor, status, **reason)
    today = timezone.localdate()
    assert Commitment.objects.as_of(None).with_blocked(today).get(pk=waiting.pk).is_blocked is blocked
    assert Commitment.objects.blocked(today).filter(pk=waiting.pk).exists() is blocked


def test_blocked_is_judged_on_the_day_asked(three, editor):
    waiting, blocker, _ = three
    services.commitment_set_blockers(commitment=waiting, blockers=[blocker], by=editor)
    last_week = timezone.localdate() - datetime.timedelta(days=7)
    _post(blocker, editor, Status.OFF_TRACK, reason="technical", reported_on=timezone.localdate())
    assert Commitment.objects.blocked(timezone.localdate()).filter(pk=waiting.pk).exists()
    assert not Commitment.objects.blocked(last_week).filter(pk=waiting.pk).exists()


def test_setting_blockers_is_in_the_history_with_its_author(three, editor):
    a, b, _ = three
    services.commitment_set_blockers(commitment=a, blockers=[b], by=editor)
    assert a.history.first().history_user == editor


@pytest.mark.parametrize("days_ago", [None, 3])
def test_the_pages_dependencies_are_read_as_the_orm_reads_them(three, editor, days_ago):
    """The commitment page runs its dependencies' query compiled once for any commitment and day
    (selectors.commitment.compiled_dependencies): it reads the same commitments, in the same state, as the
    ORM running that query for this commitment and day (today, and a day whose states were others)."""
    waiting, blocker, waiter = three
    today = timezone.localdate()
    Commitment.objects.filter(pk__in=[c.pk for c in three]).update(
        announced_on=today - datetime.timedelta(days=30)
    )
    services.commitment_set_blockers(commitment=waiting, blockers=[blocker], by=editor)
    services.commitment_set_blockers(commitment=waiter, blockers=[waiting], by=editor)
    Commitment.objects.filter(pk=waiter.pk).update(parent=waiting)  # a child that also waits on it
    _post(
        blocker, editor, Status.OFF_TRACK, reason="technical", reported_on=today - datetime.timedelta(days=5)
    )
    _post(blocker, editor, Status.ON_TRACK, reported_on=today - datetime.timedelta(days=1))
    day = None if days_ago is None else today - datetime.timedelta(days=days_ago)

    def state(c):
        return (c.pk, c.title, c.status, c.progress, c.due_on, c.last_update_on, c.parent_id, c.judged_on)

    found = dependencies(waiting.pk, day)
    orm = list(dependencies_query(waiting.pk, day))
    assert [state(d.commitment) for d in found.blocked_by] == [state(c) for c in orm if c.is_blocker]
    assert [state(d.commitment) for d in found.blocks] == [state(c) for c in orm if c.waits_on_it]
    assert [state(c) for c in found.children] == [state(c) for c in orm if c.parent_id == waiting.pk]
    assert found.blocked_by[0].commitment.status == (Status.OFF_TRACK if days_ago else Status.ON_TRACK)
    assert found.is_blocked is bool(days_ago)

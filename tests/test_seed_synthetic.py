"""The benchmark's synthetic dataset: complete, and never mixed into real data."""

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from tests.test_counts import assert_counts_are_a_recount
from tracker import caching, counts, rules, services
from tracker.models import Commitment, Dialogue, Round, StatusUpdate, ThemeKind
from tracker.selectors.assessments import latest_assessments

SMALL = {"commitments": 30, "updates": 120, "agencies": 6, "themes": 3, "seed": 7}


def test_it_writes_what_was_asked_and_each_commitment_matches_its_latest_update(db):
    call_command("seed_synthetic", **SMALL)
    assert Commitment.objects.count() == 30
    assert StatusUpdate.objects.count() == 120
    for commitment in Commitment.objects.filter(updates__isnull=False).distinct():
        latest = commitment.updates.latest()
        assert (commitment.status, commitment.progress) == (latest.status, latest.progress)


def test_it_retires_cached_pages_although_bulk_inserts_send_no_signals(db, admin_client):
    User.objects.create(username="synthetic-reporter")  # so that the command saves no user either
    assert admin_client.get("/commitments/").context["browser"].total == 0
    before = caching.data_token()
    call_command("seed_synthetic", **SMALL)
    assert caching.data_token() != before
    assert admin_client.get("/commitments/").context["browser"].total == 30


def test_it_refuses_a_database_with_real_dialogues(seed):
    with pytest.raises(CommandError, match="real dialogues"):
        call_command("seed_synthetic", **SMALL)


def test_each_dialogue_has_its_own_themes_with_one_governance_theme(db):
    call_command("seed_synthetic", **SMALL)
    for dialogue in Dialogue.objects.all():
        kinds = list(dialogue.themes.values_list("kind", flat=True))
        assert len(kinds) == SMALL["themes"]
        assert kinds.count(ThemeKind.GOVERNANCE) == 1
    for commitment in Commitment.objects.prefetch_related("themes"):
        assert {t.dialogue_id for t in commitment.themes.all()} == {commitment.dialogue_id}


def test_each_dialogue_meets_in_four_rounds_held_in_the_past(db):
    call_command("seed_synthetic", **SMALL)
    for dialogue in Dialogue.objects.all():
        rounds = list(dialogue.rounds.order_by("number"))
        assert [r.number for r in rounds] == [1, 2, 3, 4]
        days = [r.held_on for r in rounds]
        assert days == sorted(days)
        assert dialogue.announced_on < days[0] and days[-1] < timezone.localdate()


def test_every_party_is_assessed_on_nearly_every_commitment_at_each_round(db):
    call_command("seed_synthetic", **SMALL)
    rounds = Round.objects.all()
    cells = latest_assessments(rounds=rounds)
    possible = {
        (c.pk, party, r.pk)
        for c in Commitment.objects.select_related("dialogue")
        for r in rounds
        if r.dialogue_id == c.dialogue_id
        for party in c.dialogue.party_codes
    }
    assert set(cells) <= possible
    assert 0.9 * len(possible) < len(cells) < len(possible)  # a few left unassessed
    scores = {a.score for a in cells.values()}
    assert scores == {1, 0, -1, None}  # None: "no evidence available"


def test_every_slip_gives_its_reason_and_commitments_carry_their_latest(db):
    call_command("seed_synthetic", **SMALL)
    slips = StatusUpdate.objects.filter(status__in=rules.SLIP_STATUSES)
    assert slips.exists()
    for update in slips:
        assert not rules.slip_reason_problems(update.status, update.reason, update.reason_note)
    for commitment in Commitment.objects.filter(updates__isnull=False).distinct():
        assert commitment.slip_reason == commitment.updates.latest().reason


def test_dependencies_stay_within_a_dialogue_and_never_form_a_cycle(db):
    call_command("seed_synthetic", **{**SMALL, "commitments": 600, "updates": 600})
    links = list(
        Commitment.blocked_by.through.objects.values_list(
            "from_commitment_id", "to_commitment_id", "from_commitment__dialogue", "to_commitment__dialogue"
        )
    )
    assert len(links) >= 15
    assert all(d1 == d2 for _, _, d1, d2 in links)
    edges = [(blocked, blocker) for blocked, blocker, _, _ in links]
    for blocked, blocker in edges:
        assert services.blocking_chain(blocked, [blocker], edges) is None


def test_the_counts_it_leaves_are_a_recount_and_the_counting_triggers_are_back(db):
    """It writes with the counting triggers off and counts once at the end (counted_once_at_the_end)."""
    call_command("seed_synthetic", **SMALL)
    assert_counts_are_a_recount()
    assert counts.installed_triggers(connection) == counts.expected_triggers(connection)
    Commitment.objects.filter(pk=Commitment.objects.first().pk).update(status=rules.Status.COMPLETED)
    assert_counts_are_a_recount()  # the triggers keep them again

"""The benchmark's synthetic dataset: complete, and never mixed into real data."""

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from tracker import caching
from tracker.models import Commitment, StatusUpdate

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

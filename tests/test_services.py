import datetime

import pytest
from django.core.exceptions import ValidationError

from tests.factories import reason_for
from tracker import services
from tracker.models import Commitment, Status, StatusUpdate


@pytest.fixture
def commitment(seed):
    return Commitment.objects.get(slug="earth-observation-data-exchange")


def post(commitment, author, status, progress, day):
    return services.status_update_create(
        commitment=commitment,
        author=author,
        status=status,
        **reason_for(status),
        progress=progress,
        text=f"{status} at {progress}%",
        reported_on=datetime.date(2022, 1, day),
    )


def test_an_update_moves_the_commitment_to_its_status_and_progress(commitment, editor):
    post(commitment, editor, Status.ON_TRACK, 30, 10)
    commitment.refresh_from_db()
    assert (commitment.status, commitment.progress) == (Status.ON_TRACK, 30)
    assert commitment.last_update_on == datetime.date(2022, 1, 10)


def test_a_back_dated_update_does_not_override_a_newer_one(commitment, editor):
    post(commitment, editor, Status.AT_RISK, 40, 20)
    post(commitment, editor, Status.ON_TRACK, 10, 5)
    commitment.refresh_from_db()
    assert (commitment.status, commitment.progress) == (Status.AT_RISK, 40)
    assert commitment.updates.count() == 2


def test_an_invalid_update_saves_nothing(commitment, editor):
    with pytest.raises(ValidationError):
        post(commitment, editor, Status.ON_TRACK, 150, 1)
    commitment.refresh_from_db()
    assert commitment.updates.count() == 0
    assert (commitment.status, commitment.progress) == (Status.NOT_STARTED, 0)


def test_deleting_the_latest_update_restores_the_previous_state(commitment, editor):
    post(commitment, editor, Status.ON_TRACK, 20, 1)
    latest = post(commitment, editor, Status.OFF_TRACK, 25, 2)
    services.status_update_delete(update=latest)
    commitment.refresh_from_db()
    assert (commitment.status, commitment.progress) == (Status.ON_TRACK, 20)
    assert StatusUpdate.objects.count() == 1


def test_an_update_is_in_its_own_history_with_its_author(commitment, editor):
    update = post(commitment, editor, Status.ON_TRACK, 10, 5)
    assert update.history.first().history_user == editor


def test_an_update_is_in_its_commitments_history_with_its_author_themes_and_blockers(commitment, editor):
    blocker = Commitment.objects.exclude(pk=commitment.pk).first()
    services.commitment_set_blockers(commitment=commitment, blockers=[blocker], by=editor)
    post(commitment, editor, Status.ON_TRACK, 10, 5)
    record = commitment.history.first()
    assert (record.history_user, record.status, record.progress) == (editor, Status.ON_TRACK, 10)
    assert {link.theme for link in record.themes.all()} == set(commitment.themes.all())
    assert commitment.themes.exists()
    assert [link.to_commitment for link in record.blocked_by.all()] == [blocker]

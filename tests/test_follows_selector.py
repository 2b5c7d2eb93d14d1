"""Which commitments a person's follows cover (selectors/follows.py)."""

import datetime

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError

from tracker.models import Agency, Commitment, Dialogue, Follow, Participation, Theme
from tracker.selectors.follows import followed_commitments

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    space = Dialogue.objects.create(name="Space", parties="US,FR", announced_on=datetime.date(2021, 11, 10))
    ocean = Dialogue.objects.create(name="Ocean", parties="US,FR", announced_on=datetime.date(2022, 1, 1))
    climate = Theme.objects.create(name="Climate", slug="climate")
    nasa = Agency.objects.create(name="NASA", slug="nasa", country="US")

    def commitment(title, dialogue):
        return Commitment.objects.create(title=title, dialogue=dialogue, announced_on=dialogue.announced_on)

    made = {
        "space-a": commitment("Space A", space),
        "space-b": commitment("Space B", space),
        "ocean-climate": commitment("Ocean climate", ocean),
        "ocean-nasa": commitment("Ocean NASA", ocean),
        "ocean-other": commitment("Ocean other", ocean),
    }
    made["ocean-climate"].themes.add(climate)
    made["space-a"].themes.add(climate)
    Participation.objects.create(commitment=made["ocean-nasa"], agency=nasa, role="lead")
    return {"space": space, "climate": climate, "nasa": nasa, **made}


def titles(user):
    return sorted(followed_commitments(Commitment.objects.all(), user.pk).values_list("title", flat=True))


def test_a_dialogue_a_theme_an_agency_and_a_commitment_each_cover_theirs_once(world):
    ann = User.objects.create(username="ann")
    assert titles(ann) == []
    Follow.objects.create(user=ann, theme=world["climate"])
    assert titles(ann) == ["Ocean climate", "Space A"]
    Follow.objects.create(user=ann, dialogue=world["space"])
    Follow.objects.create(user=ann, agency=world["nasa"])
    Follow.objects.create(user=ann, commitment=world["ocean-other"])
    assert titles(ann) == ["Ocean NASA", "Ocean climate", "Ocean other", "Space A", "Space B"]
    assert titles(User.objects.create(username="bob")) == []


def test_a_follow_names_exactly_one_thing_once(world):
    ann = User.objects.create(username="ann")
    Follow.objects.create(user=ann, dialogue=world["space"])
    with pytest.raises(IntegrityError):
        Follow.objects.create(user=ann, dialogue=world["space"])


def test_a_follow_of_nothing_or_of_two_things_is_refused(world):
    ann = User.objects.create(username="ann")
    with pytest.raises(IntegrityError):
        Follow.objects.create(user=ann, dialogue=world["space"], theme=world["climate"])


def test_the_ids_read_by_union_are_the_commitments_the_filter_covers(world):
    from tracker.selectors.follows import followed_commitment_ids

    ann = User.objects.create(username="ann")
    assert followed_commitment_ids(ann.pk) == set()
    for follow in [
        {"theme": world["climate"]},
        {"dialogue": world["space"]},
        {"agency": world["nasa"]},
        {"commitment": world["ocean-other"]},
    ]:
        Follow.objects.create(user=ann, **follow)
        covered = set(followed_commitments(Commitment.objects.all(), ann.pk).values_list("pk", flat=True))
        assert followed_commitment_ids(ann.pk) == covered

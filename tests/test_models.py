import pytest
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from tracker import services
from tracker.models import Agency, Commitment, Status


def test_progress_above_100_is_refused_by_the_database(seed):
    with pytest.raises(IntegrityError), transaction.atomic():
        Commitment.objects.filter(dialogue=seed).update(progress=101)


def test_unknown_status_is_refused_by_the_database(seed):
    with pytest.raises(IntegrityError), transaction.atomic():
        Commitment.objects.filter(dialogue=seed).update(status="maybe")


def test_deleting_an_agency_with_commitments_is_refused(seed):
    with pytest.raises(ProtectedError):
        Agency.objects.get(slug="nasa").delete()


def test_deleting_a_commitment_with_updates_is_refused(seed, editor):
    commitment = Commitment.objects.get(slug="joint-climate-risk-analysis")
    services.status_update_create(
        commitment=commitment, author=editor, status=Status.ON_TRACK, progress=10, text="Kick-off held."
    )
    with pytest.raises(ProtectedError):
        commitment.delete()


def test_two_commitments_of_one_dialogue_cannot_share_a_slug(seed):
    with pytest.raises(IntegrityError), transaction.atomic():
        Commitment.objects.create(
            dialogue=seed, slug="regular-bilateral-dialogue", title="x", announced_on="2021-11-10"
        )


def test_every_record_reads_well_as_text(seed):
    commitment = Commitment.objects.get(slug="earth-observation-data-exchange")
    participation = commitment.participations.select_related("agency").get(agency__slug="nasa")
    assert str(commitment) == "Discuss enhancing the exchange of Earth observation satellite data"
    assert str(participation.agency) == "National Aeronautics and Space Administration (NASA) · US"
    assert "lead on" in str(participation)
    assert str(seed) == "U.S.–France bilateral space dialogue"


def test_participations_follow_their_agencys_country(seed):
    agency = Agency.objects.get(slug="sgdsn")
    agency.country = "BE"
    agency.save()
    assert set(agency.participations.values_list("country", flat=True)) == {"BE"}

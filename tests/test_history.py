"""Every edit is attributable: django-simple-history records who changed what, wherever it happened."""

from django.urls import reverse

from tracker.models import Agency, Commitment, StatusUpdate

VALID = {
    "reported_on": "2024-02-01",
    "status": "at_risk",
    "progress": "20",
    "text": "Delayed.",
    "reason": "funding",
}


def test_an_update_posted_on_the_page_is_recorded_with_its_author(editor_client, seed, editor):
    commitment = Commitment.objects.get(slug="objective-stem-education")
    editor_client.post(reverse("tracker:statusupdate_create", args=[commitment.pk]), VALID)
    record = StatusUpdate.history.get()
    assert (record.history_type, record.history_user) == ("+", editor)


def test_an_admin_edit_is_recorded_with_who_and_what(admin_client, seed, superuser):
    agency = Agency.objects.get(slug="nasa")
    url = reverse("admin:tracker_agency_change", args=[agency.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    admin_client.post(url, data | {"acronym": "NASA HQ", "parent": ""})
    latest, previous = agency.history.all()[:2]
    assert latest.history_user == superuser
    assert [change.field for change in latest.diff_against(previous).changes] == ["acronym"]


def test_the_loader_records_what_it_changes(seed):
    assert Commitment.history.filter(history_type="+").count() == 9
    assert Agency.history.count() == Agency.objects.count()


def test_deleting_an_update_is_recorded(admin_client, seed, editor):
    commitment = Commitment.objects.get(slug="objective-stem-education")
    update = StatusUpdate.objects.create(
        commitment=commitment, author=editor, status="on_track", progress=5, text="x"
    )
    admin_client.post(reverse("admin:tracker_statusupdate_delete", args=[update.pk]), {"post": "yes"})
    assert not StatusUpdate.objects.filter(pk=update.pk).exists()
    assert StatusUpdate.history.filter(id=update.pk, history_type="-").exists()


def test_deleting_an_agency_that_commitments_depend_on_is_refused_with_a_message(admin_client, seed):
    agency = Agency.objects.get(slug="nasa")
    response = admin_client.post(reverse("admin:tracker_agency_delete", args=[agency.pk]), {"post": "yes"})
    assert Agency.objects.filter(pk=agency.pk).exists()
    assert "would require deleting the following protected related objects" in response.content.decode()

import pytest
from django.contrib import admin
from django.urls import reverse

from tracker.models import Commitment, Status, StatusUpdate, Theme

TRACKER_MODELS = [m for m in admin.site._registry if m._meta.app_label == "tracker"]


def admin_url(model, action, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


@pytest.mark.parametrize("model", TRACKER_MODELS, ids=lambda m: m.__name__)
def test_every_changelist_renders_for_a_superuser(admin_client, seed, model):
    response = admin_client.get(admin_url(model, "changelist"))
    assert response.status_code == 200


@pytest.mark.parametrize("model", TRACKER_MODELS, ids=lambda m: m.__name__)
def test_every_add_page_renders_for_a_superuser(admin_client, seed, model):
    assert admin_client.get(admin_url(model, "add")).status_code == 200


@pytest.mark.parametrize("model", TRACKER_MODELS, ids=lambda m: m.__name__)
def test_every_change_page_renders_for_a_superuser(admin_client, seed, editor, model):
    commitment = Commitment.objects.first()
    StatusUpdate.objects.create(commitment=commitment, author=editor, status="on_track", progress=5, text="x")
    obj = model.objects.first()
    assert admin_client.get(admin_url(model, "change", obj.pk)).status_code == 200


def test_commitment_changelist_filters_by_agency_country_and_theme(admin_client, seed):
    url = admin_url(Commitment, "changelist")
    climate = Theme.objects.get(slug="climate-crisis")
    response = admin_client.get(
        url, {"participations__agency__country": "FR", "themes__id__exact": climate.pk}
    )
    assert response.status_code == 200
    assert "Objective: address the climate crisis" in response.content.decode()


def test_seed_records_are_listed_in_the_admin(admin_client, seed):
    page = admin_client.get(admin_url(Commitment, "changelist")).content.decode()
    assert "Discuss joint analysis of climate change risks" in page
    assert "9 commitments" in page


def test_editor_adds_an_update_in_the_admin_and_the_commitment_follows(client, editor, seed):
    client.force_login(editor)
    commitment = Commitment.objects.get(slug="objective-stem-education")
    response = client.post(
        admin_url(StatusUpdate, "add"),
        {
            "commitment": commitment.pk,
            "reported_on": "2022-03-01",
            "status": "at_risk",
            "reason": "funding",
            "progress": "15",
            "text": "Funding delayed.",
            "evidence_url": "",
        },
    )
    assert response.status_code == 302
    update = StatusUpdate.objects.get()
    assert update.author == editor
    commitment.refresh_from_db()
    assert (commitment.status, commitment.progress) == (Status.AT_RISK, 15)


def test_nobody_can_edit_a_status_update_in_the_admin(admin_client, seed, editor):
    update = StatusUpdate.objects.create(
        commitment=Commitment.objects.first(), author=editor, status="on_track", progress=5, text="x"
    )
    response = admin_client.post(admin_url(StatusUpdate, "change", update.pk), {"progress": "90"})
    update.refresh_from_db()
    assert response.status_code == 403
    assert update.progress == 5


def test_an_editor_cannot_delete_a_status_update(client, editor, seed):
    client.force_login(editor)
    update = StatusUpdate.objects.create(
        commitment=Commitment.objects.first(), author=editor, status="on_track", progress=5, text="x"
    )
    response = client.post(admin_url(StatusUpdate, "delete", update.pk), {"post": "yes"})
    assert response.status_code == 403
    assert StatusUpdate.objects.filter(pk=update.pk).exists()


def test_an_update_added_inline_on_the_commitment_goes_through_the_service(admin_client, superuser, seed):
    commitment = Commitment.objects.get(slug="objective-space-economy")
    page = admin_client.get(admin_url(Commitment, "change", commitment.pk))
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data["themes"] = [t.pk for t in commitment.themes.all()]
    data["parent"] = commitment.parent_id
    data["source"] = commitment.source_id
    data["dialogue"] = commitment.dialogue_id
    data["seen_version"] = commitment.version
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        prefix = formset.formset.prefix
        for name, value in management.initial.items():
            data[f"{prefix}-{name}"] = value
        data[f"{prefix}-TOTAL_FORMS"] = management.initial["INITIAL_FORMS"]  # no blank extra rows
        for i, inline in enumerate(formset.formset.initial_forms):
            data[f"{prefix}-{i}-id"] = inline.instance.pk
            data[f"{prefix}-{i}-commitment"] = commitment.pk
            if prefix == "participations":
                data[f"{prefix}-{i}-agency"] = inline.instance.agency_id
                data[f"{prefix}-{i}-role"] = inline.instance.role
    n = data["updates-INITIAL_FORMS"]
    data.update(
        {
            f"updates-{n}-reported_on": "2023-05-01",
            f"updates-{n}-status": "on_track",
            f"updates-{n}-progress": "35",
            f"updates-{n}-text": "Roundtable held.",
        }
    )
    data["updates-TOTAL_FORMS"] = n + 1
    response = admin_client.post(admin_url(Commitment, "change", commitment.pk), data)
    assert response.status_code == 302
    commitment.refresh_from_db()
    assert (commitment.status, commitment.progress) == (Status.ON_TRACK, 35)
    assert commitment.updates.get().author == superuser


def commitment_form_data(client, commitment):
    """What the admin's change form would post back unchanged, read from the form it renders."""
    form = client.get(admin_url(Commitment, "change", commitment.pk)).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data["themes"] = [t.pk for t in commitment.themes.all()]
    for prefix in ("participations", "updates"):
        data |= {f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0}
    return data


def test_the_second_of_two_editors_saving_the_same_commitment_is_told_of_the_conflict(
    client, seed, superuser
):
    from django.test import Client

    commitment = Commitment.objects.get(slug="objective-frontiers-of-space")
    first, second = Client(), Client()
    first.force_login(superuser)
    second.force_login(superuser)
    first_form, second_form = (
        commitment_form_data(first, commitment),
        commitment_form_data(second, commitment),
    )

    assert (
        first.post(
            admin_url(Commitment, "change", commitment.pk), first_form | {"title": "First"}
        ).status_code
        == 302
    )
    response = second.post(admin_url(Commitment, "change", commitment.pk), second_form | {"title": "Second"})

    assert response.status_code == 200
    assert "Someone else saved this commitment after you opened it" in response.content.decode()
    commitment.refresh_from_db()
    assert commitment.title == "First"

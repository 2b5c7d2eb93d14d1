import datetime

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from tracker import services
from tracker.models import (
    APIToken,
    Assessment,
    Commitment,
    Dialogue,
    DigestSent,
    DigestSubscription,
    EvidenceFile,
    Follow,
    FollowVisit,
    Round,
    Status,
    StatusUpdate,
    Theme,
    TokenScope,
)
from tracker.rules import REASON_NEEDED
from tracker.services.api_tokens import api_token_create
from tracker.services.digests import digest_subscription_set

TRACKER_MODELS = [m for m in admin.site._registry if m._meta.app_label == "tracker"]
# API tokens are made by their owners on their own page (its text shown once), never in the admin;
# follows and visits by their owners on the pages (or the agency's action), digests sent by send_digests.
NOT_ADDED_HERE = {APIToken, Follow, FollowVisit, DigestSent}
ADDABLE_MODELS = [m for m in TRACKER_MODELS if m not in NOT_ADDED_HERE]
# The evidence files inline's management form, which the admin's add pages of updates and
# assessments always post (with no file chosen here).
NO_FILES = {"evidence_files-TOTAL_FORMS": "0", "evidence_files-INITIAL_FORMS": "0"}


def admin_url(model, action, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


@pytest.mark.parametrize("model", TRACKER_MODELS, ids=lambda m: m.__name__)
def test_every_changelist_renders_for_a_superuser(admin_client, seed, model):
    response = admin_client.get(admin_url(model, "changelist"))
    assert response.status_code == 200


@pytest.mark.parametrize("model", ADDABLE_MODELS, ids=lambda m: m.__name__)
def test_every_add_page_renders_for_a_superuser(admin_client, seed, model):
    assert admin_client.get(admin_url(model, "add")).status_code == 200


@pytest.mark.parametrize("model", TRACKER_MODELS, ids=lambda m: m.__name__)
def test_every_change_page_renders_for_a_superuser(admin_client, seed, editor, model):
    commitment = Commitment.objects.first()
    update = StatusUpdate.objects.create(
        commitment=commitment, author=editor, status="on_track", progress=5, text="x"
    )
    held = Round.objects.create(dialogue=commitment.dialogue, number=1, held_on="2023-01-01")
    services.assessment_create(
        commitment=commitment, round=held, party="US", score=0, rationale="Started.", assessor=editor
    )
    # A row only (its page links to the file, never reads it).
    EvidenceFile.objects.create(
        file="2026/01/0123.pdf",
        original_name="a.pdf",
        content_type="application/pdf",
        size=3,
        uploaded_by=editor,
        status_update=update,
    )
    api_token_create(
        user=editor,
        name="sync",
        scope=TokenScope.READ,
        expires_on=datetime.date.today() + datetime.timedelta(days=1),
    )
    services.follow_create(user=editor, target=commitment)
    services.follow_visit_record(user=editor)
    digest_subscription_set(user=editor, enabled=False)
    DigestSent.objects.create(user=editor, week="2026-W48", claimed_at=timezone.now())
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
        }
        | NO_FILES,
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


# --- reasons for slippage ---------------------------------------------------------------------------


def test_an_update_off_track_without_a_reason_is_refused_in_the_admin(client, editor, make_commitments):
    client.force_login(editor)
    commitment = make_commitments(1)[0]
    data = {"commitment": commitment.pk, "reported_on": "2024-03-01", "status": "off_track"}
    response = client.post(admin_url(StatusUpdate, "add"), data | {"progress": "15", "text": "Stuck."})

    assert response.status_code == 200
    assert str(REASON_NEEDED) in response.content.decode()
    assert not StatusUpdate.objects.exists()


def test_an_update_added_in_the_admin_keeps_its_reason(client, editor, make_commitments):
    client.force_login(editor)
    commitment = make_commitments(1)[0]
    data = {"commitment": commitment.pk, "reported_on": "2024-03-01", "status": "off_track", "progress": "5"}
    data |= {"text": "Stuck.", "reason": "other", "reason_note": "Strike at the plant"} | NO_FILES
    assert client.post(admin_url(StatusUpdate, "add"), data).status_code == 302
    assert StatusUpdate.objects.values_list("reason", "reason_note").get() == ("other", "Strike at the plant")
    commitment.refresh_from_db()
    assert commitment.slip_reason == "other"


def test_an_update_added_inline_without_a_reason_is_refused(admin_client, make_commitments):
    commitment = make_commitments(1)[0]
    data = commitment_form_data(admin_client, commitment)
    data |= {"updates-TOTAL_FORMS": 1, "updates-0-reported_on": "2024-03-01", "updates-0-status": "at_risk"}
    data |= {"updates-0-progress": "10", "updates-0-text": "Slow."}
    response = admin_client.post(admin_url(Commitment, "change", commitment.pk), data)

    assert response.status_code == 200
    assert str(REASON_NEEDED) in response.content.decode()
    assert not StatusUpdate.objects.exists()


# --- dependencies -----------------------------------------------------------------------------------


def save_blockers(client, commitment, blockers):
    data = commitment_form_data(client, commitment) | {"blocked_by": [b.pk for b in blockers]}
    return client.post(admin_url(Commitment, "change", commitment.pk), data)


def test_blockers_are_set_in_the_admin(admin_client, make_commitments):
    a, b = make_commitments(2)
    assert save_blockers(admin_client, a, [b]).status_code == 302
    assert list(a.blocked_by.all()) == [b]


def test_a_direct_cycle_is_refused_with_the_chain_named(admin_client, make_commitments):
    a, b = make_commitments(2)
    a.blocked_by.set([b])

    response = save_blockers(admin_client, b, [a])

    assert response.status_code == 200
    assert (
        "That would make a commitment wait on itself: “Commitment 1” → “Commitment 0” → “Commitment 1”"
        in (response.content.decode())
    )
    assert not b.blocked_by.exists()


def test_a_three_long_cycle_is_refused_with_the_chain_named(admin_client, make_commitments):
    a, b, c = make_commitments(3)
    a.blocked_by.set([b])
    b.blocked_by.set([c])

    response = save_blockers(admin_client, c, [a])

    assert response.status_code == 200
    chain = "“Commitment 2” → “Commitment 0” → “Commitment 1” → “Commitment 2”"
    assert chain in response.content.decode()
    assert not c.blocked_by.exists()


def test_a_commitment_cannot_block_itself(admin_client, make_commitments):
    (a,) = make_commitments(1)
    response = save_blockers(admin_client, a, [a])
    assert response.status_code == 200
    assert "wait on itself" in response.content.decode()


# --- rounds, themes ---------------------------------------------------------------------------------


def test_a_round_of_another_dialogue_is_refused_as_the_round_that_made_it(admin_client, make_commitments):
    (commitment,) = make_commitments(1)
    other = Dialogue.objects.create(name="Other", slug="other", parties="US,GB", announced_on="2024-01-01")
    elsewhere = Round.objects.create(dialogue=other, number=1, held_on="2024-02-01")
    data = commitment_form_data(admin_client, commitment) | {"made_in_round": elsewhere.pk}

    response = admin_client.post(admin_url(Commitment, "change", commitment.pk), data)

    assert response.status_code == 200
    assert "Choose a round of this commitment" in response.content.decode()
    commitment.refresh_from_db()
    assert commitment.made_in_round is None


def test_the_round_that_made_it_is_saved(admin_client, make_commitments):
    (commitment,) = make_commitments(1)
    own = Round.objects.create(dialogue=commitment.dialogue, number=1, held_on="2024-02-01")
    data = commitment_form_data(admin_client, commitment) | {"made_in_round": own.pk}
    assert admin_client.post(admin_url(Commitment, "change", commitment.pk), data).status_code == 302
    commitment.refresh_from_db()
    assert commitment.made_in_round == own


def test_the_theme_picker_offers_the_commitments_own_dialogues_themes_first(admin_client, make_commitments):
    (commitment,) = make_commitments(1)
    other = Dialogue.objects.create(
        name="Other talks", slug="other", parties="US,GB", announced_on="2024-01-01"
    )
    Theme.objects.create(dialogue=other, name="Aardvarks", slug="aardvarks")
    Theme.objects.create(dialogue=commitment.dialogue, name="Zebras", slug="zebras", order=9)
    Theme.objects.create(dialogue=commitment.dialogue, name="Oceans", slug="oceans", order=1)

    form = admin_client.get(admin_url(Commitment, "change", commitment.pk)).context["adminform"].form
    labels = [str(label) for _, label in form.fields["themes"].choices]

    assert labels[:2] == ["Oceans", "Zebras"]
    assert "Aardvarks (Other talks)" in labels
    assert "Theme 0 (no dialogue)" in labels


def test_rounds_are_listed_and_searched_by_dialogue(admin_client, make_commitments):
    (commitment,) = make_commitments(1)
    Round.objects.create(dialogue=commitment.dialogue, number=1, held_on="2024-02-01", place="Toulouse")
    response = admin_client.get(admin_url(Round, "changelist"), {"q": commitment.dialogue.name})
    assert "Toulouse" in response.content.decode()


# --- assessments ------------------------------------------------------------------------------------


@pytest.fixture
def assessable(make_commitments):
    (commitment,) = make_commitments(1)
    return commitment, Round.objects.create(dialogue=commitment.dialogue, number=1, held_on="2024-02-01")


def assessment_data(commitment, held, **changes):
    data = {"commitment": commitment.pk, "round": held.pk, "party": "fr", "score": "none"}
    data |= {"rationale": "Nothing published.", "evidence": "", "assessed_on": "2024-03-01"}
    return data | NO_FILES | changes


def test_an_editor_adds_an_assessment_in_the_admin_as_its_assessor(client, editor, assessable):
    client.force_login(editor)
    commitment, held = assessable

    response = client.post(admin_url(Assessment, "add"), assessment_data(commitment, held))

    assert response.status_code == 302
    assessment = Assessment.objects.get()
    assert (assessment.party, assessment.score, assessment.assessor) == ("FR", None, editor)
    assert assessment.history.first().history_user == editor


def test_an_assessment_for_a_party_not_of_the_dialogue_is_refused_in_the_admin(client, editor, assessable):
    client.force_login(editor)
    response = client.post(admin_url(Assessment, "add"), assessment_data(*assessable, party="GB"))
    assert response.status_code == 200
    assert "GB is not a party to this dialogue" in response.content.decode()
    assert not Assessment.objects.exists()


def test_a_score_off_the_scale_is_refused_in_the_admin(client, editor, assessable):
    client.force_login(editor)
    response = client.post(admin_url(Assessment, "add"), assessment_data(*assessable, score="2"))
    assert response.status_code == 200
    assert "Choose a score on the scale" in response.content.decode()
    assert not Assessment.objects.exists()


def test_nobody_edits_an_assessment_and_only_a_superuser_deletes_one(client, editor, superuser, assessable):
    commitment, held = assessable
    assessment = services.assessment_create(
        commitment=commitment, round=held, party="US", score=1, rationale="Done.", assessor=editor
    )
    client.force_login(editor)
    changed = client.post(admin_url(Assessment, "change", assessment.pk), {"score": "-1"})
    assert client.get(admin_url(Assessment, "change", assessment.pk)).status_code == 200  # to view
    assert changed.status_code == 403
    assert client.post(admin_url(Assessment, "delete", assessment.pk), {"post": "yes"}).status_code == 403
    client.force_login(superuser)
    assert client.post(admin_url(Assessment, "change", assessment.pk), {"score": "-1"}).status_code == 403
    assert client.post(admin_url(Assessment, "delete", assessment.pk), {"post": "yes"}).status_code == 302
    assert not Assessment.objects.exists()


def test_assessments_are_filtered_by_score_no_evidence_among_them(admin_client, editor, assessable):
    commitment, held = assessable
    for party, score in (("US", 1), ("FR", None)):
        services.assessment_create(
            commitment=commitment, round=held, party=party, score=score, rationale=party, assessor=editor
        )
    response = admin_client.get(admin_url(Assessment, "changelist"), {"score": "none"})
    assert [a.party for a in response.context["cl"].result_list] == ["FR"]
    assert admin_client.get(admin_url(Assessment, "changelist"), {"score": "x"}).status_code == 200


# --- follows and the weekly digest ----------------------------------------------------------------


def test_follows_are_listed_by_kind_and_searched_by_username(admin_client, world_of_follows):
    page = admin_client.get(admin_url(Follow, "changelist")).content.decode()
    assert ">ann<" in page and ">bob<" in page and ">agency<" in page and ">commitment<" in page
    page = admin_client.get(admin_url(Follow, "changelist"), {"kind": "agency"}).content.decode()
    assert ">ann<" in page and ">bob<" not in page
    page = admin_client.get(admin_url(Follow, "changelist"), {"q": "bob"}).content.decode()
    assert ">bob<" in page and ">ann<" not in page
    assert admin_client.get(admin_url(Follow, "add")).status_code == 403


def test_a_digest_subscription_is_toggled_in_the_admin_list(admin_client, world_of_follows):
    ann = world_of_follows["ann"]
    subscription = digest_subscription_set(user=ann, enabled=True)
    data = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-0-id": str(subscription.pk),
        "_save": "Save",
    }  # digest_enabled left out: unchecked
    response = admin_client.post(admin_url(DigestSubscription, "changelist"), data)
    assert response.status_code == 302
    assert not DigestSubscription.objects.get(user=ann).digest_enabled


def test_digests_sent_are_read_only(admin_client, world_of_follows):
    sent = DigestSent.objects.create(user=world_of_follows["ann"], week="2026-W48", claimed_at=timezone.now())
    assert admin_client.get(admin_url(DigestSent, "add")).status_code == 403
    page = admin_client.get(admin_url(DigestSent, "change", sent.pk)).content.decode()
    assert "2026-W48" in page and 'name="week"' not in page  # shown, not a field
    response = admin_client.post(admin_url(DigestSent, "change", sent.pk), {"week": "2026-W01"})
    assert response.status_code == 403
    sent.refresh_from_db()
    assert sent.week == "2026-W48"


@pytest.fixture
def world_of_follows(make_commitments, django_user_model):
    commitment = make_commitments(1)[0]
    ann = django_user_model.objects.create_user("ann", "ann@example.org", "x")
    bob = django_user_model.objects.create_user("bob", "bob@example.org", "x")
    agency = commitment.participations.first().agency
    services.follow_create(user=ann, target=agency)
    services.follow_create(user=bob, target=commitment)
    return {"ann": ann, "bob": bob}

"""The rules hold on every path, and the admin is kind: one verbatim-quote rule (model, admin, loader),
codes tidied rather than refused, slugs filled from names, and a small dialogue in few forms."""

import copy
import time

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from tests.test_loader import SEED, write
from tracker.admin import DialogueAdmin
from tracker.models import Agency, Assessment, Commitment, Dialogue, Round, SourceDocument, Theme
from tracker.quotes import nearest_passage, quote_not_verbatim
from tracker.slugs import slug_from_name

QUOTE = "will establish a regular bilateral dialogue to ensure a whole-of-government approach to space cooperation"
PARAPHRASE = (
    "will set up a regular bilateral dialogue to ensure a whole-of-government approach to space cooperation"
)


def admin_url(model, action, *args):
    return reverse(f"admin:tracker_{model._meta.model_name}_{action}", args=args)


# --- one verbatim rule ----------------------------------------------------------------------------


def test_a_verbatim_quote_passes_and_a_paraphrase_is_refused_with_the_nearest_passage(seed):
    source = SourceDocument.objects.get()
    assert quote_not_verbatim(QUOTE, source.text) is None
    refusal = quote_not_verbatim(PARAPHRASE, source.text)
    assert refusal is not None
    assert QUOTE in " ".join(refusal.messages)


def test_the_rule_is_exact_as_the_loader_always_was(seed):
    """Not whitespace- or case-normalised: the source page highlights with the same exact match."""
    source = SourceDocument.objects.get()
    assert quote_not_verbatim(QUOTE.replace(" a regular", "  a regular"), source.text) is not None
    assert quote_not_verbatim(QUOTE.capitalize(), source.text) is not None


def test_a_quote_like_nothing_in_the_source_says_so():
    refusal = quote_not_verbatim("We will go to Mars.", "The committee met. It agreed on a budget.")
    assert "no passage of the source resembles it" in " ".join(refusal.messages)


def test_the_nearest_passage_is_found_quickly_in_a_long_text():
    sentences = [
        f"Sentence {i} says the parties will discuss topic number {i} at length." for i in range(900)
    ]
    text = " ".join(sentences)  # about 60 KB
    assert len(text) > 60_000
    started = time.perf_counter()
    passage = nearest_passage("the parties will discuss topic number 777 in depth", text)
    assert time.perf_counter() - started < 0.5
    assert "topic number 777" in passage
    assert passage in text


def test_a_paraphrased_quote_is_refused_in_the_admin_with_the_nearest_passage(admin_client, seed):
    commitment = Commitment.objects.get(slug="regular-bilateral-dialogue")
    from tests.test_admin import commitment_form_data

    data = commitment_form_data(admin_client, commitment) | {"quote": PARAPHRASE}
    response = admin_client.post(admin_url(Commitment, "change", commitment.pk), data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["quote"]
    assert QUOTE in " ".join(errors)
    commitment.refresh_from_db()
    assert commitment.quote == QUOTE


def test_the_loader_refuses_a_paraphrase_with_the_models_message(seed, tmp_path):
    data = copy.deepcopy(SEED)
    data["commitments"][0]["quote"] = PARAPHRASE
    with pytest.raises(CommandError) as refused:
        call_command("load_dialogue", write(tmp_path, data))
    model_message = " ".join(quote_not_verbatim(PARAPHRASE, SEED["source"]["text"]).messages)
    assert f"quote: {model_message}" in str(refused.value)


def test_full_clean_refuses_a_quote_without_a_source(make_commitments):
    commitment = make_commitments(1)[0]
    commitment.quote = "Words from somewhere."
    with pytest.raises(ValidationError) as refused:
        commitment.full_clean()
    assert "source" in refused.value.message_dict


# --- codes tidied ---------------------------------------------------------------------------------


def test_party_codes_are_tidied_not_refused(db):
    dialogue = Dialogue(name="Ocean dialogue", parties=" us , fr", announced_on="2024-01-01")
    dialogue.full_clean()
    assert dialogue.parties == "US,FR"


def test_codes_set_in_code_are_tidied_on_save(db):
    dialogue = Dialogue.objects.create(name="Ocean dialogue", parties="us, fr ,", announced_on="2024-01-01")
    agency = Agency.objects.create(name="Ocean office", country=" fr")
    dialogue.refresh_from_db()
    agency.refresh_from_db()
    assert (dialogue.parties, agency.country) == ("US,FR", "FR")


def test_an_agency_added_in_the_admin_with_a_lower_case_country_is_saved(admin_client, db):
    response = admin_client.post(
        admin_url(Agency, "add"), {"name": "Centre national d'études spatiales", "slug": "", "country": " fr"}
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    agency = Agency.objects.get()
    assert (agency.country, agency.slug) == ("FR", "centre-national-d-etudes-spatiales")


def test_an_assessments_party_is_tidied(make_commitments, editor):
    commitment = make_commitments(1)[0]
    held = Round.objects.create(dialogue=commitment.dialogue, number=1, held_on="2024-02-01")
    assessment = Assessment(commitment=commitment, round=held, party=" fr", score=1, rationale="Done.")
    assessment.full_clean(exclude=["assessor"])
    assert assessment.party == "FR"


# --- slugs ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, slug",
    [
        ("U.S.–France bilateral space dialogue", "us-france-bilateral-space-dialogue"),
        ("Ministère de l'Économie", "ministere-de-l-economie"),
        (
            "Ministère de l’Europe et des Affaires étrangères",
            "ministere-de-l-europe-et-des-affaires-etrangeres",
        ),
        ("Œuvre — phase 2.0", "oeuvre-phase-2-0"),
        ("Straße", "strasse"),
        ("  NASA  ", "nasa"),
    ],
)
def test_slugs_are_made_from_names_with_accents_and_marks_transliterated(name, slug):
    assert slug_from_name(name) == slug


def test_a_long_name_is_cut_at_a_word():
    slug = slug_from_name("word " * 40, max_length=22)
    assert slug == "word-word-word-word"


def test_a_blank_slug_is_filled_from_the_name_on_clean_and_on_save(db):
    dialogue = Dialogue(
        name="U.S.–France bilateral space dialogue", parties="US,FR", announced_on="2024-01-01"
    )
    dialogue.full_clean()
    assert dialogue.slug == "us-france-bilateral-space-dialogue"
    dialogue.save()
    theme = Theme.objects.create(dialogue=dialogue, name="Océans")
    assert theme.slug == "oceans"


def test_a_filled_slug_already_taken_gets_a_number(db):
    Theme.objects.create(name="Climate", slug="climate")
    theme = Theme(name="Climate!")
    theme.full_clean(exclude=["dialogue"])
    assert theme.slug == "climate-2"


def test_a_commitments_blank_slug_is_filled_from_its_title_within_its_dialogue(make_commitments):
    dialogue = make_commitments(1)[0].dialogue
    commitment = Commitment(
        dialogue=dialogue, title="Launch the Ocean Observatory", announced_on="2024-01-01"
    )
    commitment.full_clean()
    assert commitment.slug == "launch-the-ocean-observatory"


def test_a_slug_given_is_kept(db):
    dialogue = Dialogue.objects.create(
        name="Ocean", slug="my-own", parties="US,FR", announced_on="2024-01-01"
    )
    assert dialogue.slug == "my-own"


def test_slug_fields_explain_themselves_in_plain_words():
    for model in (Dialogue, Theme, Agency, Commitment):
        help_text = str(model._meta.get_field("slug").help_text)
        assert help_text.startswith("The short name used in web addresses"), model


def test_the_admin_fills_slugs_by_the_servers_rule(admin_client, db):
    page = admin_client.get(admin_url(Dialogue, "add")).content.decode()
    assert "js/admin-slug.js" in page


# --- named_in_source ------------------------------------------------------------------------------


def test_an_agency_added_by_hand_is_not_named_in_the_source_unless_ticked(db):
    assert Agency.objects.create(name="Ocean office", country="US").named_in_source is False


# --- a small dialogue in few forms ----------------------------------------------------------------


def test_the_dialogue_page_takes_its_themes_and_rounds():
    inlines = {inline.model for inline in admin.site._registry[Dialogue].inlines}
    assert isinstance(admin.site._registry[Dialogue], DialogueAdmin)
    assert {Theme, Round} <= inlines


def test_a_dialogue_and_its_themes_are_added_in_one_form(admin_client, db):
    data = {
        "name": "U.S.–Japan ocean dialogue",
        "slug": "",
        "parties": "us, jp",
        "announced_on": "2024-05-01",
        "description": "",
        "themes-TOTAL_FORMS": 2,
        "themes-INITIAL_FORMS": 0,
        "themes-0-name": "Ocean observation",
        "themes-0-slug": "",
        "themes-0-kind": "objective",
        "themes-0-order": 0,
        "themes-1-name": "Dialogue governance",
        "themes-1-slug": "",
        "themes-1-kind": "governance",
        "themes-1-order": 1,
        "rounds-TOTAL_FORMS": 1,
        "rounds-INITIAL_FORMS": 0,
        "rounds-0-number": 1,
        "rounds-0-held_on": "2024-09-01",
        "rounds-0-place": "Tokyo",
    }
    response = admin_client.post(admin_url(Dialogue, "add"), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    dialogue = Dialogue.objects.get()
    assert (dialogue.slug, dialogue.parties) == ("us-japan-ocean-dialogue", "US,JP")
    assert list(dialogue.themes.values_list("slug", flat=True)) == [
        "ocean-observation",
        "dialogue-governance",
    ]
    assert dialogue.rounds.get().place == "Tokyo"


def test_the_admin_index_lists_records_in_the_order_they_are_entered(admin_client, db):
    response = admin_client.get(reverse("admin:index"))
    tracker = next(app for app in response.context["app_list"] if app["app_label"] == "tracker")
    names = [model["object_name"] for model in tracker["models"]]
    assert names[:3] == ["Dialogue", "SourceDocument", "Agency"]
    assert names.index("Commitment") > names.index("Theme")
    assert "Adding a dialogue" in response.content.decode()


def test_the_commitment_form_says_what_to_create_first(admin_client, db):
    page = admin_client.get(admin_url(Commitment, "add")).content.decode()
    assert "Add the source document first" in page
    assert "Before a commitment, its dialogue" in page


def test_two_new_themes_that_would_get_the_same_slug_are_refused_not_an_error(admin_client, db):
    data = {
        "name": "Ocean dialogue",
        "slug": "",
        "parties": "US,JP",
        "announced_on": "2024-05-01",
        "themes-TOTAL_FORMS": 2,
        "themes-INITIAL_FORMS": 0,
        "rounds-TOTAL_FORMS": 0,
        "rounds-INITIAL_FORMS": 0,
    }
    for index, name in enumerate(["Oceans", "Oceans!"]):
        data |= {
            f"themes-{index}-name": name,
            f"themes-{index}-kind": "objective",
            f"themes-{index}-order": 0,
        }
    response = admin_client.post(admin_url(Dialogue, "add"), data)
    assert response.status_code == 200
    assert "Please correct the duplicate data for slug" in response.content.decode()
    assert not Dialogue.objects.exists()

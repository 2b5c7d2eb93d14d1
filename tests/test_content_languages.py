"""Content in both languages (issue 15): names, titles and descriptions may have a French version,
shown to French readers (the English, marked lang="en", where there is none); quotes never are."""

import io
import json
import re
from email.utils import parseaddr

import docx
import pytest
from django.core import mail
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import translation
from docx.oxml.ns import qn

from tests.digest_world import build_world, second_reader_like
from tests.factories import make_agency, make_commitment, make_dialogue, make_source, make_theme
from tests.test_dialogue_file import wipe
from tracker.exports.dialogue_file import dialogue_file, dialogue_file_text
from tracker.loader import DEFAULT_DIALOGUE_FILE, DialogueFileError, dialogue_load, read_dialogue_file
from tracker.models import Commitment, Dialogue, Profile, SourceDocument, Theme, localized
from tracker.services.digests import digests_send

FRENCH = {"accept-language": "fr"}
ENGLISH = {"accept-language": "en"}


def page(client, url, headers):
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def bilingual(db):
    """A commitment with a French title, a sibling without one, under a theme with a French name."""
    dialogue = make_dialogue(name="Ocean dialogue", name_fr="Dialogue sur les océans")
    theme = make_theme(dialogue, name="Ocean science", name_fr="Sciences océaniques")
    agency = make_agency(name="National Oceanic Agency", name_fr="Agence océanique nationale")
    translated = make_commitment(
        dialogue,
        themes=[theme],
        agencies=[agency],
        title="Map the seabed",
        title_fr="Cartographier les fonds marins",
    )
    untranslated = make_commitment(dialogue, themes=[theme], agencies=[agency], title="Share buoy data")
    return translated, untranslated


# --- the rule ---------------------------------------------------------------------------------------


def test_the_french_is_shown_to_a_french_reader_and_the_english_to_an_english_one(db):
    theme = Theme(name="Ocean science", name_fr="Sciences océaniques")
    with translation.override("fr"):
        assert (localized(theme, "name").text, localized(theme, "name").foreign) == (
            "Sciences océaniques",
            False,
        )
    with translation.override("en-gb"):
        assert (localized(theme, "name").text, localized(theme, "name").foreign) == ("Ocean science", False)


def test_without_french_a_french_reader_gets_the_english_marked_as_english(db):
    theme = Theme(name="Ocean science")
    with translation.override("fr"):
        shown = localized(theme, "name")
    assert (shown.text, shown.lang) == ("Ocean science", "en")
    with translation.override("fr"):
        assert shown.foreign


def test_a_french_agencys_own_name_is_french(db):
    agency = make_agency(name="Ministère des Armées", country="FR")
    with translation.override("fr"):
        assert not localized(agency, "name").foreign
    with translation.override("en"):
        assert localized(agency, "name").lang == "fr"


# --- the pages --------------------------------------------------------------------------------------


def test_a_french_reader_sees_the_french_title(viewer_client, bilingual):
    translated, _untranslated = bilingual
    html = page(viewer_client, translated.get_absolute_url(), FRENCH)
    assert "<h1>Cartographier les fonds marins</h1>" in html
    assert "<title>Cartographier les fonds marins" in html
    assert "Sciences océaniques" in html and "Ocean science" not in html
    assert "Agence océanique nationale" in html


def test_a_missing_french_title_is_shown_in_english_marked_lang_en(viewer_client, bilingual):
    _translated, untranslated = bilingual
    html = page(viewer_client, untranslated.get_absolute_url(), FRENCH)
    assert '<h1><span lang="en">Share buoy data</span></h1>' in html
    listing = page(viewer_client, reverse("tracker:commitment_list"), FRENCH)
    assert '<span lang="en">Share buoy data</span>' in listing
    assert "Cartographier les fonds marins" in listing and "Map the seabed" not in listing


def test_an_english_reader_sees_english(viewer_client, bilingual):
    translated, _untranslated = bilingual
    html = page(viewer_client, translated.get_absolute_url(), ENGLISH)
    assert "<h1>Map the seabed</h1>" in html
    assert "Cartographier" not in html and "Sciences océaniques" not in html
    assert '<span lang="en">' not in html  # nothing is a fallback for an English reader


# What each page shows of the data, in French, and the English it must then not show.
SHOWN = {
    "overview": ("Sciences océaniques", "Ocean science"),
    "theme": ("Cartographier les fonds marins", "Map the seabed"),
    "dialogue": ("Dialogue sur les océans", "Ocean dialogue"),
    "scorecard": ("Dialogue sur les océans", "Ocean dialogue"),
    "agency": ("Agence océanique nationale", "National Oceanic Agency"),
    "agencies": ("Agence océanique nationale", "National Oceanic Agency"),
    "briefing": ("Cartographier les fonds marins", "Map the seabed"),
    "changes": ("Sciences océaniques", "Ocean science"),
    "list": ("Dialogue sur les océans", "Ocean dialogue"),
}


@pytest.mark.parametrize("name", SHOWN)
def test_every_page_naming_it_shows_the_french(viewer_client, bilingual, name):
    translated, _untranslated = bilingual
    theme, dialogue, agency = translated.themes.get(), translated.dialogue, translated.agencies.get()
    url = {
        "overview": reverse("tracker:overview"),
        "theme": theme.get_absolute_url(),
        "dialogue": dialogue.get_absolute_url(),
        "scorecard": reverse("tracker:dialogue_scorecard", args=[dialogue.slug]),
        "agency": agency.get_absolute_url(),
        "agencies": reverse("tracker:agency_list"),
        "briefing": reverse("tracker:dialogue_briefing", args=[dialogue.slug]),
        "changes": reverse("tracker:changes"),
        "list": reverse("tracker:commitment_list"),
    }[name]
    html = page(viewer_client, url, FRENCH)
    french, english = SHOWN[name]
    assert french in html
    assert english not in html


def test_a_quote_is_never_translated_and_carries_its_sources_language(viewer_client, db):
    source = make_source(language="fr")
    commitment = make_commitment(
        source=source,
        quote="Les parties cartographieront les fonds marins",
        title="Map the seabed",
        title_fr="Cartographier les fonds marins",
    )
    for headers in (FRENCH, ENGLISH):
        html = page(viewer_client, commitment.get_absolute_url(), headers)
        assert re.search(
            r'<blockquote class="quote" lang="fr">“Les parties cartographieront les fonds marins”', html
        )
    source_page = page(viewer_client, reverse("tracker:source_detail", args=[source.pk]), ENGLISH)
    assert '<div class="source-text" lang="fr">' in source_page


def test_an_english_quote_stays_english_on_a_french_page(viewer_client, bilingual):
    translated, _untranslated = bilingual
    html = page(viewer_client, translated.get_absolute_url(), FRENCH)
    assert '<blockquote class="quote" lang="en">“will map the seabed”' in html


# --- the admin --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "pairs"),
    [
        ("commitment", [("title", "title_fr"), ("description", "description_fr")]),
        ("dialogue", [("name", "name_fr"), ("description", "description_fr")]),
        ("theme", [("name", "name_fr"), ("description", "description_fr")]),
        ("agency", [("name", "name_fr"), ("description", "description_fr")]),
    ],
)
def test_the_admin_edits_each_english_field_beside_its_french(admin_client, bilingual, model, pairs):
    translated, _untranslated = bilingual
    instance = {
        "commitment": translated,
        "dialogue": translated.dialogue,
        "theme": translated.themes.get(),
        "agency": translated.agencies.get(),
    }[model]
    html = page(admin_client, reverse(f"admin:tracker_{model}_change", args=[instance.pk]), ENGLISH)
    for english, french in pairs:
        # One row holds both: the admin's class for a row of several fields names each of them.
        assert f'class="form-row field-{english} field-{french}"' in html
        assert f'name="{french}"' in html


def test_a_french_title_saved_in_the_admin_is_in_the_history(admin_client, bilingual):
    translated, _untranslated = bilingual
    translated.title_fr = "Cartographier le plancher océanique"
    translated.save()
    assert translated.history.first().title_fr == "Cartographier le plancher océanique"
    assert translated.history.all()[1].title_fr == "Cartographier les fonds marins"


# --- the dialogue file ------------------------------------------------------------------------------


def bilingual_file() -> dict:
    return {
        "dialogue": {
            "slug": "ocean",
            "name": "Ocean dialogue",
            "name_fr": "Dialogue sur l'océan",
            "parties": ["US", "FR"],
            "announced_on": "2024-01-01",
            "description": "About the ocean.",
            "description_fr": "Sur l'océan.",
        },
        "source": {
            "title": "Déclaration commune",
            "published_on": "2024-01-01",
            "language": "fr",
            "text": "Les parties cartographieront les fonds marins.",
        },
        "themes": [{"slug": "ocean-science", "name": "Ocean science", "name_fr": "Sciences océaniques"}],
        "agencies": [
            {"slug": "ifremer", "name": "Ifremer", "country": "FR", "named_in_source": False},
            {
                "slug": "noaa",
                "name": "National Oceanic and Atmospheric Administration",
                "name_fr": "Agence américaine d'observation océanique et atmosphérique",
                "country": "US",
                "named_in_source": False,
            },
        ],
        "commitments": [
            {
                "slug": "map-seabed",
                "title": "Map the seabed",
                "title_fr": "Cartographier les fonds marins",
                "description_fr": "",
                "themes": ["ocean-science"],
                "agencies": [{"agency": "noaa", "role": "lead"}, {"agency": "ifremer", "role": "lead"}],
                "quote": "cartographieront les fonds marins",
            }
        ],
    }


def test_the_loader_reads_the_french_fields_and_the_sources_language(db):
    dialogue_load(data=bilingual_file())
    assert Dialogue.objects.get().name_fr == "Dialogue sur l'océan"
    assert Theme.objects.get().name_fr == "Sciences océaniques"
    assert Commitment.objects.get().title_fr == "Cartographier les fonds marins"
    assert SourceDocument.objects.get().language == "fr"


def test_a_file_without_the_french_fields_leaves_them_as_they_are(db):
    dialogue_load(data=bilingual_file())
    older = bilingual_file()
    del older["dialogue"]["name_fr"], older["commitments"][0]["title_fr"], older["source"]["language"]
    dialogue_load(data=older)
    assert Dialogue.objects.get().name_fr == "Dialogue sur l'océan"
    assert Commitment.objects.get().title_fr == "Cartographier les fonds marins"
    assert SourceDocument.objects.get().language == "fr"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["commitments"][0].update(title_fr=3),
            "commitments[0] (map-seabed): 'title_fr' must be text",
        ),
        (lambda d: d["themes"][0].update(name_fr=["x"]), "themes[0] (ocean-science): 'name_fr' must be text"),
        (lambda d: d["source"].update(language="klingon"), "source: 'language' must be one of en, fr"),
    ],
)
def test_the_loader_stays_strict_about_the_new_fields(db, change, message):
    data = bilingual_file()
    change(data)
    with pytest.raises(DialogueFileError, match=re.escape(message)):
        dialogue_load(data=data)
    assert not Dialogue.objects.exists()


def test_the_export_round_trips_the_french_fields(db, tmp_path):
    dialogue_load(data=bilingual_file())
    first = dialogue_file_text(dialogue_file(dialogue=Dialogue.objects.get()).data)
    exported = json.loads(first)
    assert exported["dialogue"]["name_fr"] == "Dialogue sur l'océan"
    assert exported["source"]["language"] == "fr"
    assert exported["commitments"][0]["title_fr"] == "Cartographier les fonds marins"
    assert {a["slug"]: a["name_fr"] for a in exported["agencies"]}["ifremer"] == ""
    wipe()
    path = tmp_path / "ocean.json"
    path.write_text(first, encoding="utf-8")
    call_command("load_dialogue", str(path), stdout=io.StringIO())
    assert dialogue_file_text(dialogue_file(dialogue=Dialogue.objects.get()).data) == first


def test_the_seed_themes_and_commitments_have_french_names():
    seed = read_dialogue_file(DEFAULT_DIALOGUE_FILE)
    assert seed["dialogue"]["name_fr"] and seed["dialogue"]["description_fr"]
    assert all(theme["name_fr"] and theme["description_fr"] for theme in seed["themes"])
    assert all(commitment["title_fr"] for commitment in seed["commitments"])
    names = {theme["name_fr"] for theme in seed["themes"]}
    assert "Lutte contre la crise climatique" in names and "Gouvernance du dialogue" in names


def test_a_french_reader_of_the_seed_sees_its_themes_in_french(viewer_client, seed):
    html = page(viewer_client, reverse("tracker:overview"), FRENCH)
    assert (
        "Repousser les frontières de l&#x27;espace" in html or "Repousser les frontières de l'espace" in html
    )
    assert "Expanding the frontiers of space" not in html


# --- the Word briefing ------------------------------------------------------------------------------


def test_the_word_briefing_names_things_in_french_and_marks_the_english(viewer_client, bilingual):
    translated, _untranslated = bilingual
    response = viewer_client.get(
        reverse("tracker:dialogue_briefing_docx", args=[translated.dialogue.slug]), headers=FRENCH
    )
    assert response.status_code == 200
    document = docx.Document(io.BytesIO(response.content))
    heading_runs = {
        run.text: run
        for paragraph in document.paragraphs
        if paragraph.style.name == "Heading 2"
        for run in paragraph.runs
    }
    assert "Cartographier les fonds marins" in heading_runs
    fallback = heading_runs["Share buoy data"]._r.rPr.find(qn("w:lang"))
    assert fallback is not None and fallback.get(qn("w:val")) == "en-GB"
    assert "Map the seabed" not in heading_runs


# --- the weekly digest ------------------------------------------------------------------------------


@override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
def test_the_digest_names_things_in_its_readers_language(db):
    """A French reader's digest gives the French names and titles, the English marked where there is
    none; an English reader's the English."""
    world = build_world()
    ann = world["ann"]
    second_reader_like(ann)
    Profile.objects.create(user=ann, language="fr")
    Dialogue.objects.filter(slug="space").update(name_fr="Dialogue spatial")
    Commitment.objects.filter(title="Exchange Earth observation data").update(
        title_fr="Échanger les données d'observation de la Terre"
    )
    digests_send()
    by_reader = {parseaddr(message.to[0])[1]: message for message in mail.outbox}
    french, english = by_reader["ann@example.org"], by_reader["bea@example.org"]
    french_html = french.alternatives[0][0]
    assert (
        "DIALOGUE SPATIAL" in french.body and "Échanger les données d'observation de la Terre" in french.body
    )
    assert "Dialogue spatial</a></h2>" in french_html
    assert '<span lang="en">Publish the joint climate risk analysis</span>' in french_html
    assert "Exchange Earth observation data" not in french.body
    assert "SPACE DIALOGUE" in english.body and "Exchange Earth observation data" in english.body
    assert "Dialogue spatial" not in english.body and '<span lang="en">' not in english.alternatives[0][0]


def test_the_list_finds_a_commitment_by_its_french_title(viewer_client, bilingual):
    html = page(viewer_client, reverse("tracker:commitment_list") + "?q=fonds+marins", FRENCH)
    assert "Cartographier les fonds marins" in html and "Share buoy data" not in html


def test_a_source_added_on_the_site_says_its_language(editor_client, db):
    response = editor_client.post(
        reverse("tracker:source_create"),
        {
            "title": "Déclaration conjointe",
            "published_on": "2024-01-01",
            "language": "fr",
            "text": "Les parties cartographieront les fonds marins.",
        },
    )
    assert response.status_code == 302
    assert SourceDocument.objects.get().language == "fr"


def test_a_description_written_only_in_french_is_shown_only_to_french_readers(viewer_client, bilingual):
    translated, _untranslated = bilingual
    theme = translated.themes.get()
    theme.description_fr = "Les fonds marins et leurs ressources."
    theme.save()
    assert "Les fonds marins et leurs ressources." in page(viewer_client, theme.get_absolute_url(), FRENCH)
    assert "<p></p>" not in page(viewer_client, theme.get_absolute_url(), ENGLISH)

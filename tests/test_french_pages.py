"""The main pages, rendered in French, keep no English interface words (issue 15).

The catalogue is compiled here with polib into a temporary LOCALE_PATHS, so the test needs neither GNU
gettext nor a committed .mo file. The data (titles, quotes, names) is English in the seed: it is taken
out of the page before looking, since content is translated by its own fields, not by the catalogue.
"""

import html
import re
from email.utils import parseaddr

import polib
import pytest
from django.contrib.auth.models import User
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from tests.test_catalogue import CATALOGUE
from tracker.models import Agency, Commitment, Dialogue, SourceDocument, StatusUpdate, Theme

# Interface words that a French page must not show (whole words, case-sensitive).
ENGLISH_WORDS = [
    "Status",
    "Progress",
    "Overdue",
    "Filters",
    "Commitments",
    "Commitment",
    "Log out",
    "Needs attention",
    "Latest updates",
    "Search",
    "Sort by",
    "Apply",
    "Last update",
    "What changed",
    "Agencies",
    "Overview",
    "What I follow",
    "Download",
    "Scorecard",
    "Skip to content",
    "no update yet",
    "Post update",
    # Words no French sentence holds: any left is a sentence not translated.
    "the",
    "and",
    "with",
    "of",
    "yet",
    "this",
    "these",
    "none",
    "from",
]
TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.S | re.I)


@pytest.fixture
def french(tmp_path):
    """French active, from a .mo compiled from the catalogue into a temporary locale folder."""
    folder = tmp_path / "locale" / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    polib.pofile(str(CATALOGUE)).save_as_mofile(str(folder / "django.mo"))
    languages = [("en", "English"), ("fr", "Français")]
    with (
        override_settings(LOCALE_PATHS=[tmp_path / "locale"], LANGUAGES=languages),
        translation.override("fr"),
    ):
        yield


def content_strings():
    """Every piece of data the seed wrote in English, longest first (so a title goes before its words)."""
    texts = []
    for model, fields in [
        (Commitment, ["title", "quote", "description"]),
        (Theme, ["name", "description"]),
        (Dialogue, ["name", "description"]),
        (Agency, ["name", "description"]),
        (SourceDocument, ["title", "publisher"]),
        (StatusUpdate, ["text"]),
    ]:
        for row in model.objects.values_list(*fields):
            texts.extend(text for text in row if text)
    return sorted(set(texts), key=len, reverse=True)


def interface_text(page, content):
    text = html.unescape(TAGS.sub("\n", page))
    for piece in content:
        text = text.replace(piece, " ")
    return text


def english_left(page, content):
    text = interface_text(page, content)
    return [word for word in ENGLISH_WORDS if re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text)]


def address_of(name, dialogue):
    commitment = Commitment.objects.filter(dialogue=dialogue).first()
    return {
        "overview": lambda: "/",
        "list": lambda: "/commitments/",
        "commitment": commitment.get_absolute_url,
        "theme": lambda: commitment.themes.first().get_absolute_url(),
        "agency": lambda: commitment.participations.first().agency.get_absolute_url(),
        "agencies": lambda: reverse("tracker:agency_list"),
        "dialogues": lambda: reverse("tracker:dialogue_list"),
        "dialogue": dialogue.get_absolute_url,
        "scorecard": lambda: reverse("tracker:dialogue_scorecard", args=[dialogue.slug]),
        "briefing": lambda: reverse("tracker:dialogue_briefing", args=[dialogue.slug]),
        "changes": lambda: reverse("tracker:changes"),
        "following": lambda: reverse("tracker:following"),
    }[name]()


ADDRESSES = [
    "overview",
    "list",
    "commitment",
    "theme",
    "agency",
    "agencies",
    "dialogues",
    "dialogue",
    "scorecard",
    "briefing",
    "changes",
    "following",
]


@pytest.mark.parametrize("address", ADDRESSES)
def test_main_pages_in_french_show_no_english_interface_words(viewer_client, seed, french, address):
    url = address_of(address, seed)
    response = viewer_client.get(url, headers={"accept-language": "fr"})
    assert response.status_code == 200
    page = response.content.decode()
    left = english_left(page, content_strings())
    assert not left, f"English left on the French {address} page: {left}\n" + " ".join(
        interface_text(page, content_strings()).split()
    )


def test_a_french_page_is_not_served_from_the_english_cache(viewer_client, seed, tmp_path):
    """The page's cached parts are kept per language: English first, then French, then English again."""
    english = viewer_client.get("/").content.decode()
    assert "Needs attention" in english
    folder = tmp_path / "locale" / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    polib.pofile(str(CATALOGUE)).save_as_mofile(str(folder / "django.mo"))
    with (
        override_settings(
            LOCALE_PATHS=[tmp_path / "locale"], LANGUAGES=[("en", "English"), ("fr", "Français")]
        ),
        translation.override("fr"),
    ):
        french_page = viewer_client.get("/", headers={"accept-language": "fr"}).content.decode()
    assert "Needs attention" not in french_page
    assert "Points d'attention" in html.unescape(french_page)
    # app.js fills the status code in the message the page carries: the placeholder survives translation.
    assert "(erreur %(status)s)" in html.unescape(french_page)


@override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend", LANGUAGE_CODE="fr")
def test_the_weekly_digest_in_french_shows_no_english_interface_words(db, french):
    """The digest of a French site, for a reader who never chose a language: the site's."""
    from django.core import mail

    from tests.digest_world import build_world
    from tracker.services.digests import digests_send

    build_world()
    digests_send()
    assert mail.outbox, "the world has a follower with news"
    message = mail.outbox[0]
    content = content_strings()
    for text in [message.subject, message.body, message.alternatives[0][0]]:
        left = english_left(text, content)
        assert not left, f"English left in the digest: {left}\n" + " ".join(
            interface_text(text, content).split()
        )


@override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
def test_each_digest_is_written_in_its_readers_language(db, french):
    """One run, two readers following the same things: the one who chose French with the header's
    switch gets French, the other the site's English (the items written once per language)."""
    from django.core import mail

    from tests.digest_world import build_world
    from tracker.models import Follow, Profile
    from tracker.services.digests import digests_send

    world = build_world()
    ann = world["ann"]
    bea = User.objects.create_user("bea", email="bea@example.org", first_name="Bea")
    for follow in Follow.objects.filter(user=ann):
        follow.pk, follow.user = None, bea
        follow.save()
    Profile.objects.create(user=ann, language="fr")
    digests_send()
    by_reader = {parseaddr(message.to[0])[1]: message for message in mail.outbox}
    french_digest, english_digest = by_reader["ann@example.org"], by_reader["bea@example.org"]
    assert "Your weekly digest" in english_digest.subject
    assert "Your weekly digest" not in french_digest.subject
    content = content_strings()
    for text in [french_digest.subject, french_digest.body, french_digest.alternatives[0][0]]:
        assert not english_left(text, content)
    assert "Here is what happened" in english_digest.body

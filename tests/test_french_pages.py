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
        (SourceDocument, ["title", "publisher", "text"]),
        (StatusUpdate, ["text"]),
    ]:
        for row in model.objects.values_list(*fields):
            texts.extend(text for text in row if text)
    return sorted(set(texts), key=len, reverse=True)


def interface_text(page, content):
    text = html.unescape(TAGS.sub("\n", page))
    # A source's text shows cut into passages (highlighted quotes, suggested sentences cut short
    # with "…"): each piece between two tags that is part of a long text the seed wrote is dropped.
    long_texts = [piece for piece in content if len(piece) > 200]
    text = "\n".join(
        line
        for line in text.split("\n")
        if not (line.strip(" …") and any(line.strip(" …") in t for t in long_texts))
    )
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
        "api_tokens": lambda: reverse("tracker:api_token_list"),
        "calendar_feeds": lambda: reverse("tracker:calendar_feeds"),
        "source": lambda: reverse("tracker:source_detail", args=[commitment.source_id]),
        "overview_charts": lambda: reverse("tracker:overview_charts"),
        "dialogue_briefing_options": lambda: (
            reverse("tracker:dialogue_briefing", args=[dialogue.slug]) + "?since=2021-11-10"
        ),
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
    "api_tokens",
    "calendar_feeds",
    "source",
    "overview_charts",
    "dialogue_briefing_options",
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

    from tests.digest_world import build_world, second_reader_like
    from tracker.models import Profile
    from tracker.services.digests import digests_send

    world = build_world()
    ann = world["ann"]
    second_reader_like(ann)
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


def assert_french(response, what):
    assert response.status_code in (200, 422), f"{what}: {response.status_code}"
    page = response.content.decode()
    content = content_strings()
    left = english_left(page, content)
    assert not left, f"English left in the French {what}: {left}\n" + " ".join(
        interface_text(page, content).split()
    )


# The editors' pages: adding a source and drafting commitments from it.
EDITOR_ADDRESSES = {
    "source_new": lambda source: "/sources/new/",
    "source_draft": lambda source: f"/sources/{source.pk}/draft/",
    "commitment_draft": lambda source: (
        f"/sources/{source.pk}/draft/new/?start=0&end={source.text.index(' ', 40)}"
    ),
}


@pytest.mark.parametrize("address", EDITOR_ADDRESSES)
def test_editors_pages_in_french_show_no_english_interface_words(editor_client, seed, french, address):
    source = SourceDocument.objects.first()
    response = editor_client.get(EDITOR_ADDRESSES[address](source), headers={"accept-language": "fr"})
    assert_french(response, f"{address} page")


HTMX = {"hx-request": "true", "accept-language": "fr"}

# The fragments htmx asks for with a GET: the same addresses as the pages, answered in part.
FRAGMENTS = {
    "list results": lambda seed: "/commitments/?status=on_track&sort=due",
    "list results, nothing found": lambda seed: "/commitments/?q=zzzz",
    "changes": lambda seed: reverse("tracker:changes") + "?from=2021-01-01",
    "overview charts": lambda seed: reverse("tracker:overview_charts"),
    "news count": lambda seed: reverse("tracker:following_news"),
    "drafting passage": lambda seed: f"/sources/{SourceDocument.objects.first().pk}/draft/?start=0&end=20",
}


@pytest.mark.parametrize("fragment", FRAGMENTS)
def test_htmx_fragments_in_french_show_no_english_interface_words(editor_client, seed, french, fragment):
    response = editor_client.get(FRAGMENTS[fragment](seed), headers=HTMX)
    assert_french(response, f"{fragment} fragment")


@pytest.mark.parametrize("kind", ["dialogue", "theme", "agency", "commitment"])
def test_follow_buttons_answer_in_french(viewer_client, seed, french, kind):
    commitment = Commitment.objects.filter(dialogue=seed).first()
    target = {
        "dialogue": seed,
        "theme": commitment.themes.first(),
        "agency": commitment.participations.first().agency,
        "commitment": commitment,
    }[kind]
    headers = HTMX | {"hx-current-url": "http://testserver" + target.get_absolute_url()}
    followed = viewer_client.post(f"/following/{kind}/{target.pk}/follow/", headers=headers)
    assert_french(followed, f"follow button ({kind})")
    unfollowed = viewer_client.post(f"/following/{kind}/{target.pk}/unfollow/", headers=headers)
    assert_french(unfollowed, f"unfollow button ({kind})")


UPDATE = {
    "reported_on": "2024-02-01",
    "status": "at_risk",
    "reason": "funding",
    "progress": "25",
    "text": "x",
}


@pytest.mark.parametrize("data", [UPDATE, {}], ids=["valid", "refused"])
def test_the_update_forms_answer_in_french(editor_client, seed, french, data):
    commitment = Commitment.objects.filter(dialogue=seed).first()
    response = editor_client.post(
        reverse("tracker:statusupdate_create", args=[commitment.pk]), data, headers=HTMX
    )
    assert_french(response, "update form's answer")


def test_the_assessment_forms_refusal_is_in_french(editor_client, seed, french):
    commitment = Commitment.objects.filter(dialogue=seed).first()
    response = editor_client.post(
        reverse("tracker:assessment_create", args=[commitment.pk]), {}, headers=HTMX
    )
    assert_french(response, "assessment form's answer")


def test_withdrawing_an_update_answers_in_french(editor_client, editor, seed, french):
    commitment = Commitment.objects.filter(dialogue=seed).first()
    editor_client.post(reverse("tracker:statusupdate_create", args=[commitment.pk]), UPDATE, headers=HTMX)
    update = StatusUpdate.objects.filter(commitment=commitment, author=editor).get()
    url = reverse("tracker:statusupdate_withdraw", args=[commitment.pk, update.pk])
    refused = editor_client.post(url, {"reason": ""}, headers=HTMX)
    assert_french(refused, "withdrawal's refusal")
    withdrawn = editor_client.post(url, {"reason": "Posted twice."}, headers=HTMX)
    assert_french(withdrawn, "withdrawal's answer")


def test_french_charts_name_months_unambiguously_and_space_their_signs(viewer_client, seed, french):
    """Months under the bars and in their tooltips are French abbreviations that cannot be confused
    ("juin", "juil.", never "Jui"); a no-break space goes before "%" and ":"."""
    page = html.unescape(viewer_client.get("/overview/charts/", headers=HTMX).content.decode())
    assert "juil. 2026\u00a0: " in page or "juil. 2025\u00a0: " in page
    assert not re.search(r"\bJui\b", page)
    assert not re.search(r"\w: ", interface_text(page, content_strings()))
    theme = Commitment.objects.filter(dialogue=seed).first().themes.first()
    page = html.unescape(
        viewer_client.get(theme.get_absolute_url(), headers={"accept-language": "fr"}).content.decode()
    )
    assert "0\u00a0%" in page and not re.search(r"\d%", page)


def test_french_charts_draw_with_numbers_the_browser_reads(viewer_client, editor, seed, french):
    """Coordinates in a chart's SVG are numbers ("12.5"), whatever the language: a French "12,5" in
    a viewBox, a point or a path leaves the chart drawn wrong or not at all."""
    from tests.factories import reason_for
    from tracker.services import status_update_create

    commitment = Commitment.objects.filter(dialogue=seed).first()
    for day, progress in [("2022-01-10", 10), ("2023-06-20", 35), ("2024-03-05", 60)]:
        status_update_create(
            commitment=commitment,
            author=editor,
            status="on_track",
            progress=progress,
            text="Step.",
            reported_on=day,
            **reason_for("on_track"),
        )
    theme = commitment.themes.first()
    for address in (commitment.get_absolute_url(), theme.get_absolute_url(), "/overview/charts/"):
        page = viewer_client.get(address, headers={"accept-language": "fr"}).content.decode()
        assert 'lang="fr"' in page, address
        drawings = re.findall(r"<svg\b.*?</svg>", page, re.S)
        assert drawings, address
        for svg in drawings:
            numbers = re.findall(r'\s(?:x|y|x1|x2|y1|y2|width|height|cx|cy|r)="([^"]*)"', svg)
            numbers += [n for box in re.findall(r'viewBox="([^"]*)"', svg) for n in box.split()]
            assert numbers, address
            assert [n for n in numbers if not re.fullmatch(r"-?\d+(\.\d+)?", n)] == [], address

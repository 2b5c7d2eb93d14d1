"""The briefing in French (issue 15): the page, the Word file and the PDF carry French headings,
labels and dates ("1 juin 2024", "1 juil. 2024"), French percentages ("40 %") and no English
interface words. The dialogue (its names, quotes, rationales) is English data, taken out first.

The catalogue is compiled for the test (the `french` fixture), so neither GNU gettext nor a
committed .mo file is needed.
"""

import html
import io
import re

import docx

from tracker.models import Assessment

from .test_briefing import needs_pdf
from .test_briefing_docx import all_text, dialogue, headings  # noqa: F401 -- `dialogue` is a fixture
from .test_french_pages import content_strings, english_left, french, interface_text  # noqa: F401

NBSP = "\u00a0"
FRENCH = {"accept-language": "fr"}


def content():
    """The dialogue's own words, and the assessors' rationales, which are data too."""
    rationales = set(Assessment.objects.values_list("rationale", flat=True))
    return sorted(set(content_strings()) | rationales, key=len, reverse=True)


def assert_no_english(text, what):
    left = english_left(text, content())
    assert not left, f"English left in the French {what}: {left}\n" + " ".join(
        interface_text(text, content()).split()
    )


def assert_french_dates_and_percentages(text):
    assert "1 juin 2024" in text or "1 juin 2024".replace(" ", NBSP) in text  # the round, in long form
    assert "1 juil. 2024" in text  # the update, in short form: never "Jul" nor "Jui"
    assert not re.search(r"\b(June|July|Jun|Jul|Jui)\b", text)
    assert f"40{NBSP}%" in text and not re.search(r"\d%", text)


def test_the_briefing_page_in_french(editor_client, dialogue, french):  # noqa: F811
    response = editor_client.get(f"/dialogues/{dialogue.slug}/briefing/?since=2024-01-01", headers=FRENCH)
    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="fr"' in page
    text = interface_text(page, content())
    for words in ("Note de synthèse", "Synthèse", "Période couverte", f"Annexe{NBSP}: les passages cités"):
        assert words in text
    assert_french_dates_and_percentages(text)
    assert_no_english(page, "briefing page")
    shown = html.unescape(page)
    assert f"suivis{NBSP}; 1 mise à jour" in shown and f"(pilote){NBSP}; Space Agency FR" in shown


def test_the_word_briefing_in_french(editor_client, dialogue, french):  # noqa: F811
    response = editor_client.get(f"/dialogues/{dialogue.slug}/briefing.docx?since=2024-01-01", headers=FRENCH)
    assert response.status_code == 200
    document = docx.Document(io.BytesIO(response.content))
    assert headings(document, 1) == [
        "Synthèse",
        "Climate objective",
        "Space objective",
        f"Annexe{NBSP}: les passages cités",
    ]
    text = all_text(document)
    assert "NOTE DE SYNTHÈSE" in text.upper() and "Période couverte" in text
    assert_french_dates_and_percentages(text)
    assert_no_english(text, "Word briefing")
    # French typography: a no-break space before ":" and ";" ("États-Unis : +1", "suivis ; 1 mise à jour").
    assert not re.search(r"[^\W\d][:;]", re.sub(r"https?://\S+", "", text))


@needs_pdf
def test_the_pdf_briefing_in_french(editor_client, dialogue, french):  # noqa: F811
    from pypdf import PdfReader

    response = editor_client.get(f"/dialogues/{dialogue.slug}/briefing.pdf?since=2024-01-01", headers=FRENCH)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages]
    text = "\n".join(pages)
    assert "Note de synthèse" in text and "Synthèse" in text
    assert re.search(r"page 2 (sur|de) \d+", pages[1]), pages[1][-200:]
    assert "juin 2024" in text and "juil. 2024" in text
    assert not re.search(r"\b(June|July|Jun|Jul|Jui)\b", text)
    # Text from a PDF comes back in lines, not tags: the data is taken out line by line.
    assert_no_english(text.replace(NBSP, " "), "PDF briefing")

"""The briefing as a Word file: the page's content in real headings and tables, the page's filters
and refusals, staff text written literally, and a query count that does not grow with the data."""

import datetime
import io

import docx
import pytest
from docx.oxml.ns import qn

from tracker import services
from tracker.exports.docx import plain
from tracker.models import (
    Agency,
    Commitment,
    Dialogue,
    Participation,
    Role,
    Round,
    SourceDocument,
    Status,
    Theme,
)
from tracker.views.briefing import DOCX_TYPE

from .factories import reason_for

HOSTILE_TITLE = 'Bad\x01ti\x0btle\x1f =HYPERLINK("http://evil.example","x") <b>x</b>'
HOSTILE_TEXT = 'Line one\x0c\nline\x08 two: <b>x</b> & =HYPERLINK("http://evil.example")'


def commitment(dialogue, title, *, themes, lead, partner=None, source=None, quote=""):
    c = Commitment.objects.create(
        dialogue=dialogue,
        slug=f"c{Commitment.objects.count()}",
        title=title,
        announced_on="2024-01-01",
        source=source,
        quote=quote,
    )
    c.themes.set(themes)
    Participation.objects.create(commitment=c, agency=lead, role=Role.LEAD)
    if partner:
        Participation.objects.create(commitment=c, agency=partner, role=Role.PARTNER)
    return c


@pytest.fixture
def dialogue(editor):
    """Two objectives (climate, space); three commitments, assessed at round 1 and updated since:
    the United States average +0.50, France −1.00."""
    d = Dialogue.objects.create(name="Test dialogue", slug="td", parties="US,FR", announced_on="2024-01-01")
    climate = Theme.objects.create(dialogue=d, name="Climate objective", slug="climate", order=1)
    space = Theme.objects.create(dialogue=d, name="Space objective", slug="space", order=2)
    nasa = Agency.objects.create(name="Space Agency US", slug="nasa", country="US")
    cnes = Agency.objects.create(name="Space Agency FR", slug="cnes", country="FR")
    source = SourceDocument.objects.create(
        title="The release", publisher="The Press", published_on="2024-01-01", text="we will share data"
    )
    data = commitment(
        d,
        "Share climate data",
        themes=[climate],
        lead=nasa,
        partner=cnes,
        source=source,
        quote="we will share data",
    )
    moon = commitment(d, "Explore the Moon", themes=[space], lead=cnes)
    launch = commitment(d, "Launch a satellite", themes=[space], lead=nasa)
    round_ = Round.objects.create(dialogue=d, number=1, held_on="2024-06-01")
    for c, us, fr in ((data, 1, -1), (moon, 0, None), (launch, None, None)):
        for party, score in (("US", us), ("FR", fr)):
            services.assessment_create(
                commitment=c, round=round_, party=party, score=score, rationale="Seen.", assessor=editor
            )
    services.status_update_create(
        commitment=data,
        author=editor,
        status=Status.ON_TRACK,
        progress=40,
        text="Data shared.",
        reported_on="2024-07-01",
    )
    return d


def get_docx(client, dialogue, query=""):
    return client.get(f"/dialogues/{dialogue.slug}/briefing.docx{query}")


def open_docx(response):
    return docx.Document(io.BytesIO(response.content))


def headings(document, level):
    return [p.text for p in document.paragraphs if p.style.name == f"Heading {level}"]


def all_text(document) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def test_the_word_file_is_an_attachment_named_after_the_dialogue_and_day(admin_client, dialogue):
    response = get_docx(admin_client, dialogue)
    assert response.status_code == 200
    assert response["Content-Type"] == DOCX_TYPE
    today = datetime.date.today().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="briefing-td-{today}.docx"'


def test_summary_comes_first_then_one_heading_per_objective_in_order(admin_client, dialogue):
    document = open_docx(get_docx(admin_client, dialogue))
    assert document.paragraphs[1].style.name == "Title"
    assert document.paragraphs[1].text == "Test dialogue"
    assert headings(document, 1) == [
        "Summary",
        "Climate objective",
        "Space objective",
        "Annex: the passages quoted",
    ]


def test_each_commitment_is_a_heading_2(admin_client, dialogue):
    level2 = headings(open_docx(get_docx(admin_client, dialogue)), 2)
    for title in ("Share climate data", "Explore the Moon", "Launch a satellite"):
        assert title in level2
    assert level2.index("Share climate data") < level2.index("Explore the Moon")


def test_the_summary_has_the_tables_of_statuses_and_compliance(admin_client, dialogue):
    document = open_docx(get_docx(admin_client, dialogue))
    status_table, compliance_table = document.tables[:2]
    assert status_table.rows[-1].cells[0].text == "All"
    assert status_table.rows[-1].cells[2].text == "3"
    assert [row.cells[0].text for row in compliance_table.rows] == ["Party", "United States", "France"]
    text = all_text(document)
    assert "+0.50" in text and "−1.00" in text
    assert "3 commitments tracked; 1 update reported in the period." in text


def test_each_partys_average_reads_as_on_the_page(admin_client, dialogue):
    page = admin_client.get(f"/dialogues/{dialogue.slug}/briefing/")
    text = all_text(open_docx(get_docx(admin_client, dialogue)))
    for column in page.context["briefing"].columns:
        assert column.summary.mean_text in page.content.decode()
        assert column.summary.mean_text in text


def test_a_commitment_carries_its_quote_facts_assessments_and_updates(admin_client, dialogue):
    document = open_docx(get_docx(admin_client, dialogue))
    quotes = [p.text for p in document.paragraphs if p.style.name == "Quote"]
    assert "we will share data" in quotes
    text = all_text(document)
    assert "Not started → On track" in text
    assert "+1 Full compliance" in text or "Full compliance" in text
    assert "Data shared." in text
    assert "No update in the period." in text
    assert "Quoted for: Share climate data" in text


@pytest.mark.parametrize(
    ("query", "present", "absent"),
    [
        ("?theme=climate", ["Share climate data"], ["Explore the Moon", "Launch a satellite"]),
        ("?agency=cnes", ["Share climate data", "Explore the Moon"], ["Launch a satellite"]),
        ("?country=FR", ["Share climate data", "Explore the Moon"], ["Launch a satellite"]),
    ],
)
def test_filters_narrow_the_word_file_as_the_page(admin_client, dialogue, query, present, absent):
    page = admin_client.get(f"/dialogues/{dialogue.slug}/briefing/{query}")
    on_page = {item.commitment.title for item in page.context["briefing"].items}
    document = open_docx(get_docx(admin_client, dialogue, query))
    level2 = headings(document, 2)
    assert on_page == set(present)
    assert all(title in level2 for title in present)
    assert not any(title in all_text(document) for title in absent)
    assert "Narrowed to" in all_text(document)


@pytest.mark.parametrize(
    "query",
    [
        "?since=99",
        "?since=garbage",
        "?since=2999-01-01",
        "?as_of=2024-13-45",
        "?as_of=yesterday",
        "?theme=unknown",
    ],
)
def test_bad_input_gets_a_400_with_the_pages_words(admin_client, dialogue, query):
    page = admin_client.get(f"/dialogues/{dialogue.slug}/briefing/{query}")
    response = get_docx(admin_client, dialogue, query)
    assert page.status_code == 400
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == page.context["problem"]
    assert response.content.decode()


def test_since_after_as_of_is_refused(admin_client, dialogue):
    response = get_docx(admin_client, dialogue, "?since=2024-08-01&as_of=2024-07-01")
    assert response.status_code == 400
    assert "must not be after" in response.content.decode()


def test_staff_text_is_written_literally_and_forbidden_characters_cannot_break_it(
    admin_client, dialogue, editor
):
    c = Commitment.objects.get(title="Explore the Moon")
    Commitment.objects.filter(pk=c.pk).update(title=HOSTILE_TITLE)
    services.status_update_create(
        commitment=c,
        author=editor,
        status=Status.AT_RISK,
        progress=10,
        text=HOSTILE_TEXT,
        reported_on="2024-07-02",
        **reason_for(Status.AT_RISK),
    )
    response = get_docx(admin_client, dialogue)
    assert response.status_code == 200
    document = open_docx(response)
    assert plain(HOSTILE_TITLE) in headings(document, 2)
    text = all_text(document)
    assert '=HYPERLINK("http://evil.example","x") <b>x</b>' in text
    assert 'line two: <b>x</b> & =HYPERLINK("http://evil.example")' in text
    assert "\x01" not in text and "\x0b" not in text


def test_plain_drops_what_xml_cannot_hold():
    assert plain("a\x00b\x08c\x0bd\x0ce\x1ff\tg\nh\r\ni") == "abcdef\tg\nh\ni"


def test_table_header_rows_repeat_and_no_row_splits(admin_client, dialogue):
    document = open_docx(get_docx(admin_client, dialogue))
    # The summary's two tables (a commitment's facts, scores and updates are lines, as on the page).
    assert len(document.tables) == 2
    for table in document.tables:
        assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    for table in document.tables:
        assert all(row._tr.trPr.find(qn("w:cantSplit")) is not None for row in table.rows)


def test_the_file_says_who_made_it_and_numbers_its_pages(admin_client, dialogue, superuser):
    response = get_docx(admin_client, dialogue)
    document = open_docx(response)
    assert document.core_properties.title == "Briefing · Test dialogue"
    assert document.core_properties.author == superuser.get_username()
    footer = document.sections[0].footer._element.xml
    assert "PAGE" in footer and "NUMPAGES" in footer
    assert "Test dialogue" in document.sections[0].header.paragraphs[0].text


# --- queries ----------------------------------------------------------------------------------

DOCX_QUERIES = 12  # session, user; the dialogue, its rounds; the briefing's 8 (selectors/briefing.py)


def build(make_commitments, editor, n, dialogue=None):
    """n commitments of one dialogue with a round, both sides assessed, an update after it and a
    blocker, so every part of the file has rows."""
    made = make_commitments(n, dialogue=dialogue)
    d = made[0].dialogue
    round_ = Round.objects.get_or_create(dialogue=d, number=1, defaults={"held_on": "2024-06-01"})[0]
    source = SourceDocument.objects.get_or_create(
        title="Release", defaults={"published_on": "2024-01-01", "text": "we will do things"}
    )[0]
    for c in made:
        Commitment.objects.filter(pk=c.pk).update(source=source, quote="we will")
        for party, score in (("US", 1), ("FR", None)):
            services.assessment_create(
                commitment=c, round=round_, party=party, score=score, rationale="Seen.", assessor=editor
            )
        services.status_update_create(
            commitment=c,
            author=editor,
            status=Status.ON_TRACK,
            progress=30,
            text="x",
            reported_on="2024-07-01",
        )
    first = Commitment.objects.filter(dialogue=d).order_by("pk").first()
    for c in made:
        if c.pk != first.pk:
            services.commitment_set_blockers(commitment=c, blockers=[first])
    return d


def test_word_file_query_count_does_not_grow_with_the_commitments(
    client, editor, make_commitments, django_assert_num_queries
):
    client.force_login(editor)
    d = build(make_commitments, editor, 5)
    with django_assert_num_queries(DOCX_QUERIES):
        assert get_docx(client, d).status_code == 200
    build(make_commitments, editor, 20, dialogue=d)
    assert Commitment.objects.filter(dialogue=d).count() == 25
    with django_assert_num_queries(DOCX_QUERIES):
        response = get_docx(client, d)
    assert len(headings(open_docx(response), 2)) >= 25

"""From an announcement to tracked commitments: adding a source (pasted or uploaded, every bad file
refused with a message), the drafting page's suggestions on the seed text, and making a commitment
whose quote is cut from the stored text by its offsets."""

import functools
import io
import json
import zipfile

import docx
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from weasyprint import HTML

from tracker import drafting, services
from tracker.imports.announcements import MAX_UNPACKED_BYTES, AnnouncementRefused, extract_text
from tracker.loader import DEFAULT_DIALOGUE_FILE
from tracker.models import Agency, Commitment, Dialogue, Participation, SourceDocument
from tracker.selectors.drafting import DraftingPage

SEED = json.loads(DEFAULT_DIALOGUE_FILE.read_text(encoding="utf-8"))
SEED_TEXT = SEED["source"]["text"]
SEED_QUOTES = [c["quote"] for c in SEED["commitments"]]
SEED_NAMED_BODIES = [a for a in SEED["agencies"] if a["named_in_source"]]


def upload(name, content: bytes):
    return SimpleUploadedFile(name, content)


def pdf_of(html: str) -> bytes:
    return HTML(string=html).write_pdf()


@functools.cache
def scanned_pdf() -> bytes:
    """A PDF with a picture and no text layer, as a scanner makes."""
    return pdf_of('<div style="width:5cm;height:5cm;background:#000"></div>')


def docx_of(*paragraphs) -> bytes:
    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def new_source(text=SEED_TEXT, title="Joint statement"):
    return SourceDocument.objects.create(title=title, published_on="2021-11-10", text=text)


def dialogue():
    return Dialogue.objects.create(
        name="U.S.–France space", slug="us-france", parties="US,FR", announced_on="2021-11-10"
    )


# --- the seed text's figures ------------------------------------------------------------------------


def seed_figures(page: DraftingPage):
    """(seed quotes inside a suggested passage, named U.S. bodies recognised, suggestions quoting none)."""
    spans = [(SEED_TEXT.find(q), SEED_TEXT.find(q) + len(q)) for q in SEED_QUOTES]
    assert all(start >= 0 for start, _ in spans)
    inside = sum(any(p.contains(s, e) for p in page.passages) for s, e in spans)
    names = {body.name for body in page.bodies}
    recognised = sum(body["name"] in names for body in SEED_NAMED_BODIES)
    false = sum(not any(p.contains(s, e) for s, e in spans) for p in page.passages)
    return inside, recognised, false


def test_seed_text_in_an_empty_database_suggests_every_quote_and_names_every_body(db):
    assert not Agency.objects.exists()
    page = DraftingPage(new_source())
    inside, recognised, false = seed_figures(page)
    assert len(SEED_QUOTES) == 9 and len(SEED_NAMED_BODIES) == 9
    assert (inside, recognised, false) == (9, 9, 2)
    assert len(page.passages) == 10
    # Every body is offered as a new agency (none is known yet), NASA with its acronym.
    assert all(body.agency is None for body in page.bodies)
    assert {b.name: b.acronym for b in page.bodies}["National Aeronautics and Space Administration"] == "NASA"
    assert len(page.new_bodies) == 9


def test_seed_text_with_its_agencies_known_matches_them_by_name_and_acronym(db):
    for body in SEED_NAMED_BODIES:
        Agency.objects.create(
            name=body["name"], acronym=body["acronym"], slug=body["slug"], country=body["country"]
        )
    page = DraftingPage(new_source())
    assert seed_figures(page) == (9, 9, 2)
    assert {a.slug for a in page.known_agencies} == {b["slug"] for b in SEED_NAMED_BODIES}
    assert page.new_bodies == []


def test_agency_acronyms_match_in_capitals_only(db):
    Agency.objects.create(name="Department of Transportation", acronym="DOT", slug="dot", country="US")
    bodies = DraftingPage(new_source("The DOT will act. A dot will not.")).bodies
    assert [(b.name, b.start) for b in bodies] == [("Department of Transportation", 4)]


def test_commitment_language_is_told_from_a_diary():
    assert drafting.commits("Experts will establish a regular dialogue")
    assert drafting.commits("We committed to an initial emphasis on cooperation")
    assert drafting.commits("The agencies launched a joint mission")
    assert not drafting.commits("Harris will participate in several key events")
    assert not drafting.commits("The Vice President was in Paris to strengthen alliances")
    assert not drafting.commits("It lacked the political will")


def test_two_departments_joined_by_and_are_two_bodies_but_nasa_is_one():
    names = [b.name for b in drafting.bodies_named(
        "The Department of State and Department of Defense work with the National Aeronautics and "
        "Space Administration.", drafting.AgencyMatcher([]))]  # fmt: skip
    assert names == [
        "Department of State",
        "Department of Defense",
        "National Aeronautics and Space Administration",
    ]


# --- extraction -----------------------------------------------------------------------------------------


def test_plain_text_in_utf8_is_read_as_is():
    extracted = extract_text(upload("release.txt", "Les agences s’engagent — ensemble.".encode()))
    assert extracted.text == "Les agences s’engagent — ensemble." and extracted.notes == []


def test_text_in_windows_1252_is_read_with_a_note():
    extracted = extract_text(upload("release.txt", "Le ministère s’engage.".encode("cp1252")))
    assert extracted.text == "Le ministère s’engage."
    assert "Windows-1252" in extracted.notes[0]


def test_text_in_utf16_with_its_mark_is_read():
    assert extract_text(upload("r.txt", "NASA will fly.".encode("utf-16"))).text == "NASA will fly."


def test_html_gives_its_words_without_scripts_or_styles():
    page = (
        b"<html><head><title>x</title><style>p{}</style></head><body><script>alert(1)</script>"
        b"<h1>Joint statement</h1><p>We  will\n establish &amp; launch.</p></body></html>"
    )
    assert (
        extract_text(upload("statement.html", page)).text == "Joint statement\n\nWe will establish & launch."
    )


def test_pdf_text_layer_is_read():
    text = extract_text(
        upload("statement.pdf", pdf_of("<p>The agencies will establish a dialogue.</p>"))
    ).text
    assert "The agencies will establish a dialogue." in text


def test_docx_paragraphs_are_read():
    data = docx_of("Joint statement", "NASA and CNES will launch a mission.")
    assert extract_text(upload("statement.docx", data)).text == (
        "Joint statement\n\nNASA and CNES will launch a mission."
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("scan.pdf", scanned_pdf, "no text layer"),
        ("setup.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "not a PDF"),
        ("broken.pdf", b"%PDF-1.7\n" + b"garbage " * 50, "could not be read as a PDF"),
        ("statement.docx", b"PK\x03\x04 not really a zip", "could not be read as a Word document"),
        ("statement.exe", b"MZ", "upload a .txt, .html, .pdf or .docx"),
        ("empty.txt", b"   \n", "is empty"),
        ("binary.txt", b"\x00\x01\x02abc", "not a text file"),
    ],
)
def test_bad_files_are_refused_with_a_message_naming_the_file(name, content, message):
    with pytest.raises(AnnouncementRefused) as refused:
        extract_text(upload(name, content() if callable(content) else content))
    assert message in str(refused.value) and name in str(refused.value)


@functools.cache
def zip_bomb() -> bytes:
    """A .docx-looking zip whose document unpacks to more than the limit, from a few dozen kilobytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(MAX_UNPACKED_BYTES // len(chunk) + 1):
                member.write(chunk)
    return buffer.getvalue()


def test_a_docx_that_is_a_zip_bomb_is_refused_unread():
    bomb = zip_bomb()
    assert len(bomb) < 200_000
    with pytest.raises(AnnouncementRefused, match="unpacks to far more"):
        extract_text(upload("statement.docx", bomb))


def test_a_file_over_the_limit_is_refused(settings):
    settings.TRACKER_ANNOUNCEMENT_MAX_BYTES = 1024 * 1024
    with pytest.raises(AnnouncementRefused, match="larger than 1 MB"):
        extract_text(upload("big.txt", b"will " * 300_000))


# --- the pages ----------------------------------------------------------------------------------------


def test_viewer_may_not_add_sources_draft_or_make_commitments(viewer_client):
    source = new_source()
    for url in (
        "/sources/new/",
        f"/sources/{source.pk}/draft/",
        f"/sources/{source.pk}/draft/new/?start=0&end=9",
    ):
        assert viewer_client.get(url).status_code == 403
    assert viewer_client.post("/sources/new/", {"title": "x"}).status_code == 403
    response = viewer_client.post(f"/sources/{source.pk}/draft/new/", {"start": 0, "end": 9, "title": "x"})
    assert response.status_code == 403
    assert SourceDocument.objects.count() == 1 and not Commitment.objects.exists()


def source_form(**extra):
    return {"title": "Joint statement", "publisher": "The White House", "published_on": "2021-11-10", **extra}


def test_editor_adds_a_pasted_source_and_lands_on_its_drafting_page(editor_client, editor):
    response = editor_client.post(
        "/sources/new/", source_form(text="We will act.\r\nTogether.\r\n", url="example.gov/statement")
    )
    source = SourceDocument.objects.get()
    assert source.url == "https://example.gov/statement"
    assert response.status_code == 302 and response["Location"] == f"/sources/{source.pk}/draft/"
    assert source.text == "We will act.\nTogether."
    assert source.history.get().history_user == editor


def test_editor_uploads_a_docx_source(editor_client):
    data = docx_of("NASA and CNES will launch a mission.")
    response = editor_client.post(
        "/sources/new/", source_form(file=SimpleUploadedFile("statement.docx", data))
    )
    assert response.status_code == 302
    assert SourceDocument.objects.get().text == "NASA and CNES will launch a mission."


def test_a_cp1252_upload_is_added_with_a_note_on_the_encoding(editor_client):
    upload_ = SimpleUploadedFile("r.txt", "Le ministère s’engage.".encode("cp1252"))
    response = editor_client.post("/sources/new/", source_form(file=upload_), follow=True)
    assert "Windows-1252" in response.content.decode()
    assert SourceDocument.objects.get().text == "Le ministère s’engage."


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"file": ("setup.pdf", b"MZ\x90\x00" * 10)}, "is not a PDF"),
        ({"file": ("scan.pdf", scanned_pdf)}, "no text layer"),
        ({"file": ("statement.docx", zip_bomb)}, "unpacks to far more"),
        ({}, "Paste the announcement"),
        ({"text": "We will.", "file": ("a.txt", b"We will.")}, "not both"),
    ],
)
def test_a_bad_source_is_refused_with_a_message_and_nothing_is_saved(editor_client, extra, message):
    data = source_form()
    for key, value in extra.items():
        if key == "file":
            name, content = value
            value = SimpleUploadedFile(name, content() if callable(content) else content)
        data[key] = value
    response = editor_client.post("/sources/new/", data)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not SourceDocument.objects.exists()


def test_a_file_over_the_limit_is_refused_on_the_page(editor_client, settings):
    settings.TRACKER_ANNOUNCEMENT_MAX_BYTES = 1024 * 1024
    data = source_form(file=SimpleUploadedFile("big.txt", b"x" * (1024 * 1024 + 1)))
    response = editor_client.post("/sources/new/", data)
    assert response.status_code == 422 and "larger than 1 MB" in response.content.decode()
    assert not SourceDocument.objects.exists()


def test_the_same_title_and_date_twice_is_refused_in_plain_words(editor_client):
    new_source(title="Joint statement")
    response = editor_client.post("/sources/new/", source_form(text="We will."))
    assert response.status_code == 422 and "already in the tracker" in response.content.decode()


def test_adding_a_source_needs_the_csrf_token(editor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    assert client.post("/sources/new/", source_form(text="We will.")).status_code == 403
    assert not SourceDocument.objects.exists()


def test_making_a_commitment_needs_the_csrf_token(editor):
    source, _dialogue = new_source(), dialogue()
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    response = client.post(f"/sources/{source.pk}/draft/new/", {"start": 0, "end": 20, "title": "x"})
    assert response.status_code == 403 and not Commitment.objects.exists()


def test_drafting_page_marks_suggestions_bodies_and_tracked_quotes(editor_client, seed):
    source = SourceDocument.objects.get()
    page = editor_client.get(f"/sources/{source.pk}/draft/").content.decode()
    assert page.count('id="passage-') == 10
    assert 'class="suggested body-known"' in page
    # The seed's commitments are tracked: highlighted and linked as on the source page.
    first = Commitment.objects.order_by("pk").first()
    assert f'<mark id="quote-{first.pk}"><a href="/commitments/{first.pk}/"' in page


def test_drafting_page_shows_the_chosen_passage_and_its_word_steps(editor_client):
    source = new_source("Leaders met. The two agencies will launch a joint mission to Mars.")
    start = source.text.index("will launch")
    end = start + len("will launch")
    page = editor_client.get(f"/sources/{source.pk}/draft/?start={start}&end={end}").content.decode()
    assert '<blockquote class="chosen-quote">will launch</blockquote>' in page
    assert f"?start={source.text.index('agencies')}&amp;end={end}" in page  # wider at the start
    assert f"?start={start}&amp;end={source.text.index(' a joint') + 2}" in page  # wider at the end: "a"
    assert f"?start={start}&amp;end={start + 4}" in page  # narrower at the end: "will"


def test_a_passage_out_of_range_is_refused_with_a_message(editor_client):
    source = new_source("We will act.")
    for query in ("start=5&end=500", "start=-1&end=3", "start=4&end=2", "start=x&end=3", "start=2&end=3"):
        response = editor_client.get(f"/sources/{source.pk}/draft/new/?{query}")
        assert response.status_code == 400, query
        assert 'class="form-errors"' in response.content.decode()
    response = editor_client.post(f"/sources/{source.pk}/draft/new/", {"start": 0, "end": 99, "title": "x"})
    assert response.status_code == 400
    assert "That passage is not in this text" in response.content.decode()
    assert not Commitment.objects.exists()


def test_the_quote_is_cut_from_the_source_whatever_the_browser_sends(editor_client, editor):
    source, made_in = new_source(), dialogue()
    Agency.objects.create(name="National Space Council", acronym="NSpC", slug="nspc", country="US")
    nasa = Agency.objects.create(
        name="National Aeronautics and Space Administration", acronym="NASA", slug="nasa", country="US"
    )
    quote = "will establish a regular bilateral dialogue"
    start = SEED_TEXT.index(quote)
    form = editor_client.get(f"/sources/{source.pk}/draft/new/?start={start - 1}&end={start + len(quote)}")
    assert form.status_code == 200
    # The sentence names both agencies: each offered, as a partner to begin with.
    assert form.context["form"].initial["dialogue"] == made_in.pk
    assert [a.slug for a in form.context["form"].named_agencies] == ["nspc", "nasa"]
    response = editor_client.post(
        f"/sources/{source.pk}/draft/new/",
        {
            "start": start - 1,  # a space before it: trimmed
            "end": start + len(quote),
            "quote": "something else entirely",  # not a field: ignored
            "dialogue": made_in.pk,
            "title": "A regular bilateral dialogue",
            "announced_on": "2021-11-10",
            f"role_{nasa.pk}": "lead",
            f"role_{Agency.objects.get(slug='nspc').pk}": "",
        },
    )
    commitment = Commitment.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/commitments/{commitment.pk}/"
    assert commitment.quote == quote and commitment.source == source
    assert commitment.slug == "a-regular-bilateral-dialogue"
    assert [(p.agency.slug, p.role) for p in Participation.objects.all()] == [("nasa", "lead")]
    assert commitment.history.get().history_user == editor
    assert Participation.history.get().history_user == editor


def test_commitment_create_from_source_refuses_offsets_outside_the_text(db, editor):
    source, made_in = new_source("We will act."), dialogue()
    with pytest.raises(ValidationError, match="not in this text"):
        services.commitment_create_from_source(
            source=source, start=3, end=99, dialogue=made_in, title="Act", by=editor
        )
    assert not Commitment.objects.exists()


def test_a_second_commitment_of_the_same_title_gets_its_own_slug(db, editor):
    source, made_in = new_source("We will act."), dialogue()
    for _ in range(2):
        services.commitment_create_from_source(
            source=source, start=0, end=11, dialogue=made_in, title="Act", by=editor
        )
    assert sorted(Commitment.objects.values_list("slug", flat=True)) == ["act", "act-2"]


# --- queries --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [5, 50])
def test_drafting_page_query_count_does_not_grow_with_commitments_or_agencies(editor_client, n):
    source, made_in = new_source(), dialogue()
    for i in range(n):
        Agency.objects.create(name=f"Office of Thing {i}", slug=f"o{i}", country="US")
        services.commitment_create_from_source(
            source=source, start=0, end=20 + i, dialogue=made_in, title=f"C {i}", by=None
        )
    with CaptureQueriesContext(connection) as queries:
        response = editor_client.get(f"/sources/{source.pk}/draft/?start=0&end=30")
    assert response.status_code == 200
    # Session, user, the user's and the group's permissions, the source, its commitments, the agencies.
    assert len(queries) == 7, "\n".join(q["sql"][:150] for q in queries)


def test_a_list_item_is_suggested_without_its_joining_and():
    text = "We will pursue: trade; and enabling a sustainable space economy for all."
    passages = drafting.suggested_passages(text)
    assert [text[p.start : p.end] for p in passages] == ["enabling a sustainable space economy for all"]


@pytest.mark.parametrize("n", [5, 50])
def test_commitment_form_query_count_does_not_grow_with_agencies_named(editor_client, n):
    names = ", ".join(f"Office of Thing {i}" for i in range(n))
    source, _dialogue = new_source(f"The {names} will act together."), dialogue()
    for i in range(n):
        Agency.objects.create(name=f"Office of Thing {i}", slug=f"o{i}", country="US")
    with CaptureQueriesContext(connection) as queries:
        response = editor_client.get(f"/sources/{source.pk}/draft/new/?start=0&end=20")
    assert response.status_code == 200 and len(response.context["form"].named_agencies) == n
    # As the drafting page (7), the dialogue guessed (the source's commitments, its rounds, the
    # dialogues), whether there is any dialogue, and the dialogue choices (the select reads them twice).
    assert len(queries) == 13, "\n".join(q["sql"][:150] for q in queries)


def test_add_source_page_query_count(editor_client):
    with CaptureQueriesContext(connection) as queries:
        assert editor_client.get("/sources/new/").status_code == 200
    assert len(queries) == 4  # session, user, the user's and the group's permissions


def test_a_commitment_without_a_title_is_refused_and_nothing_is_saved(editor_client):
    source, made_in = new_source("We will act together."), dialogue()
    response = editor_client.post(
        f"/sources/{source.pk}/draft/new/",
        {"start": 0, "end": 11, "dialogue": made_in.pk, "title": "  ", "announced_on": "2021-11-10"},
    )
    assert response.status_code == 422 and 'class="errorlist"' in response.content.decode()
    assert not Commitment.objects.exists()

"""Evidence files on updates and assessments: which files are accepted (by their content, never their
name), how they are stored (random names, through the storage API), who gets them and how (logged-in
users, as attachments, nosniff), and who may delete them (superusers, in the history)."""

import io
import re
import struct
import zipfile
import zlib

import docx
import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.template.defaultfilters import filesizeformat
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tracker import services
from tracker.evidence import check_evidence_file, safe_name
from tracker.models import Assessment, EvidenceFile, Round, Status, StatusUpdate

HTMX = {"HTTP_HX_REQUEST": "true"}

# --- tiny real files ------------------------------------------------------------------------------

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
# What a Windows program starts with, whatever it is called.
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def png_bytes() -> bytes:
    """A real 1×1 PNG."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def docx_bytes(text="Minutes of the meeting.") -> bytes:
    document = docx.Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def xlsx_bytes() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "budget"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


WORD_CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    b'wordprocessingml.document.main+xml"/></Types>'
)


def zip_bomb_docx() -> bytes:
    """A "Word document" whose one part unpacks to 20 MB of zeros from a few kilobytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", WORD_CONTENT_TYPES)
        archive.writestr("word/document.xml", b"\x00" * (20 * 1024 * 1024))
    return out.getvalue()


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("notes.txt", b"not an office document")
    return out.getvalue()


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


# --- what is accepted -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, content, expected",
    [
        ("report.pdf", PDF, "application/pdf"),
        ("photo.png", png_bytes(), "image/png"),
        (
            "minutes.docx",
            docx_bytes(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("budget.xlsx", xlsx_bytes(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ],
)
def test_allowed_types_are_accepted_by_their_content(name, content, expected):
    checked = check_evidence_file(upload(name, content))
    assert (checked.name, checked.content_type, checked.size) == (name, expected, len(content))


def test_the_name_does_not_decide_the_type():
    # A real PDF under a misleading name is kept as a PDF, and downloaded as one.
    checked = check_evidence_file(upload("scan.exe", PDF))
    assert (checked.content_type, checked.name) == ("application/pdf", "scan.pdf")


@pytest.mark.parametrize(
    "name, content, words",
    [
        ("setup.pdf", EXE, "its content is a program"),
        ("notes.txt.pdf", b"just some text, no magic number", "is not an allowed type"),
        ("archive.docx", plain_zip(), "is a ZIP archive, not a Word"),
        ("broken.docx", b"PK\x03\x04" + b"\x00" * 50, "damaged"),
        ("minutes.docx", zip_bomb_docx(), "zip bomb"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_refused_by_content_with_a_message_naming_the_file(name, content, words):
    with pytest.raises(ValidationError) as refused:
        check_evidence_file(upload(name, content))
    message = " ".join(refused.value.messages)
    assert f"“{name}” was refused" in message
    assert words in message


def test_refused_by_size(settings):
    settings.TRACKER_EVIDENCE_MAX_BYTES = 100
    with pytest.raises(ValidationError) as refused:
        check_evidence_file(upload("report.pdf", PDF + b" " * 200))
    assert "over the limit of 100" in " ".join(refused.value.messages)


@pytest.mark.parametrize(
    "raw, shown",
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\windows\\win.ini.pdf", "win.ini.pdf"),
        ('re"port\r\n.pdf', "report.pdf"),
        ("...", "evidence"),
        ("Compte rendu — réunion.pdf", "Compte rendu — réunion.pdf"),
    ],
)
def test_names_are_made_safe(raw, shown):
    assert safe_name(raw) == shown


# --- posting on the page --------------------------------------------------------------------------


@pytest.fixture
def commitment(make_commitments):
    return make_commitments(1)[0]


def update_data(**extra):
    return {
        "reported_on": "2024-02-01",
        "status": "on_track",
        "progress": "30",
        "text": "Workshop held.",
    } | extra


def post_update(client, commitment, files, **headers):
    return client.post(
        reverse("tracker:statusupdate_create", args=[commitment.pk]), update_data(files=files), **headers
    )


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain form", "htmx"])
def test_an_editor_posts_an_update_with_files_and_sees_them_in_the_trail(editor_client, commitment, headers):
    files = [upload("report.pdf", PDF), upload("photo.png", png_bytes())]
    response = post_update(editor_client, commitment, files, **headers)
    assert response.status_code in (200, 302)
    update = StatusUpdate.objects.get(commitment=commitment)
    stored = list(update.evidence_files.order_by("original_name"))
    assert [(f.original_name, f.content_type) for f in stored] == [
        ("photo.png", "image/png"),
        ("report.pdf", "application/pdf"),
    ]
    page = editor_client.get(commitment.get_absolute_url()).content.decode()
    for evidence in stored:
        assert f'href="/evidence/{evidence.pk}/"' in page
    assert "report.pdf" in page and filesizeformat(len(PDF)) in page  # its name and size


def test_the_update_form_posts_multipart(editor_client, commitment):
    page = editor_client.get(commitment.get_absolute_url()).content.decode()
    form = re.search(r'<form id="update-form"[^>]*>', page).group(0)
    assert 'enctype="multipart/form-data"' in form
    assert 'hx-encoding="multipart/form-data"' in form
    assert 'type="file" name="files"' in page and "multiple" in page


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain form", "htmx"])
def test_a_refused_file_refuses_the_whole_update_with_a_message(editor_client, commitment, headers):
    files = [upload("report.pdf", PDF), upload("setup.pdf", EXE)]
    response = post_update(editor_client, commitment, files, **headers)
    assert response.status_code == 422
    assert "“setup.pdf” was refused: its content is a program" in response.content.decode()
    assert not StatusUpdate.objects.exists()
    assert not EvidenceFile.objects.exists()


def test_a_file_over_the_limit_refuses_the_update(editor_client, commitment, settings):
    settings.TRACKER_EVIDENCE_MAX_BYTES = 100
    response = post_update(editor_client, commitment, [upload("big.pdf", PDF + b" " * 500)], **HTMX)
    assert response.status_code == 422
    assert "“big.pdf” was refused: it is" in response.content.decode()
    assert not StatusUpdate.objects.exists()


def test_a_zip_bomb_named_docx_is_refused_on_the_page(editor_client, commitment):
    response = post_update(editor_client, commitment, [upload("minutes.docx", zip_bomb_docx())], **HTMX)
    assert response.status_code == 422
    assert "“minutes.docx” was refused" in response.content.decode()
    assert "zip bomb" in response.content.decode()
    assert not EvidenceFile.objects.exists()


def test_a_viewer_cannot_post_an_update_with_a_file(viewer_client, commitment):
    response = post_update(viewer_client, commitment, [upload("report.pdf", PDF)])
    assert response.status_code == 403
    assert not EvidenceFile.objects.exists()


def test_an_update_without_files_is_posted_as_before(editor_client, commitment):
    response = post_update(editor_client, commitment, [], **HTMX)
    assert response.status_code == 200
    assert StatusUpdate.objects.get().evidence_files.count() == 0


def test_a_resent_post_with_the_same_file_is_recorded_once(editor_client, commitment):
    for _ in range(2):
        post_update(editor_client, commitment, [upload("report.pdf", PDF)], **HTMX)
    assert StatusUpdate.objects.count() == 1
    assert EvidenceFile.objects.count() == 1


def test_the_service_checks_files_too_and_writes_nothing_when_one_is_refused(editor, commitment):
    with pytest.raises(ValidationError) as refused:
        services.status_update_create(
            commitment=commitment,
            author=editor,
            status=Status.ON_TRACK,
            progress=10,
            text="x",
            files=[upload("setup.pdf", EXE)],
        )
    assert "setup.pdf" in str(refused.value.message_dict["files"])
    assert not StatusUpdate.objects.exists()


# --- storage and serving --------------------------------------------------------------------------


@pytest.fixture
def stored(editor, commitment):
    update = services.status_update_create(
        commitment=commitment,
        author=editor,
        status=Status.ON_TRACK,
        progress=10,
        text="x",
        files=[upload("../../etc/passwd.pdf", PDF)],
    )
    return update.evidence_files.get()


def test_stored_names_are_random_never_the_uploaded_name(stored):
    assert re.fullmatch(r"\d{4}/\d{2}/[0-9a-f]{32}\.pdf", stored.file.name)
    assert stored.original_name == "passwd.pdf"
    assert default_storage.exists(stored.file.name)
    assert "etc" not in stored.file.name and ".." not in stored.file.name


def test_files_are_served_only_to_logged_in_users(client, stored):
    response = client.get(stored.get_absolute_url())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_file_is_served_as_an_attachment_with_a_safe_type_and_nosniff(viewer_client, stored):
    response = viewer_client.get(stored.get_absolute_url())
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="passwd.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF


def test_an_unknown_type_is_served_as_octet_stream(viewer_client, stored):
    EvidenceFile.objects.filter(pk=stored.pk).update(content_type="text/html")
    response = viewer_client.get(stored.get_absolute_url())
    assert response["Content-Type"] == "application/octet-stream"


def test_a_missing_stored_copy_is_a_404_not_a_server_error(viewer_client, stored):
    default_storage.delete(stored.file.name)
    assert viewer_client.get(stored.get_absolute_url()).status_code == 404


def test_an_unknown_file_is_404(viewer_client, db):
    assert viewer_client.get(reverse("tracker:evidence_file", args=[999999])).status_code == 404


# --- assessments ----------------------------------------------------------------------------------


def test_an_editor_posts_an_assessment_with_a_file_and_sees_it_in_the_history(editor_client, commitment):
    held = Round.objects.create(dialogue=commitment.dialogue, number=1, held_on="2024-03-01")
    data = {
        "round": held.pk,
        "party": "US",
        "score": "1",
        "rationale": "Done.",
        "assessed_on": "2024-04-01",
        "files": [upload("minutes.docx", docx_bytes())],
    }
    response = editor_client.post(reverse("tracker:assessment_create", args=[commitment.pk]), data, **HTMX)
    assert response.status_code == 200
    evidence = Assessment.objects.get().evidence_files.get()
    assert evidence.original_name == "minutes.docx"
    assert f'href="/evidence/{evidence.pk}/"' in response.content.decode()
    assert (
        f'href="/evidence/{evidence.pk}/"'
        in editor_client.get(commitment.get_absolute_url()).content.decode()
    )


def test_a_refused_file_refuses_the_assessment(editor_client, commitment):
    held = Round.objects.create(dialogue=commitment.dialogue, number=1, held_on="2024-03-01")
    data = {
        "round": held.pk,
        "party": "US",
        "score": "1",
        "rationale": "Done.",
        "assessed_on": "2024-04-01",
        "files": [upload("minutes.docx", zip_bomb_docx())],
    }
    response = editor_client.post(reverse("tracker:assessment_create", args=[commitment.pk]), data, **HTMX)
    assert response.status_code == 422
    assert "“minutes.docx” was refused" in response.content.decode()
    assert not Assessment.objects.exists()


# --- the admin: adding, and deleting (superusers only, in the history) -----------------------------


def admin_url(action, *args):
    return reverse(f"admin:tracker_evidencefile_{action}", args=args)


def test_an_editor_adds_an_update_with_a_file_in_the_admin(editor_client, editor, commitment):
    data = {
        "commitment": commitment.pk,
        "reported_on": "2024-02-01",
        "status": "on_track",
        "progress": "20",
        "text": "From the admin.",
        "evidence_files-TOTAL_FORMS": "1",
        "evidence_files-INITIAL_FORMS": "0",
        "evidence_files-0-file": upload("report.pdf", PDF),
    }
    response = editor_client.post(reverse("admin:tracker_statusupdate_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    evidence = StatusUpdate.objects.get().evidence_files.get()
    assert (evidence.original_name, evidence.uploaded_by) == ("report.pdf", editor)


def test_the_admin_refuses_a_renamed_program(editor_client, commitment):
    data = {
        "commitment": commitment.pk,
        "reported_on": "2024-02-01",
        "status": "on_track",
        "progress": "20",
        "text": "From the admin.",
        "evidence_files-TOTAL_FORMS": "1",
        "evidence_files-INITIAL_FORMS": "0",
        "evidence_files-0-file": upload("setup.pdf", EXE),
    }
    response = editor_client.post(reverse("admin:tracker_statusupdate_add"), data)
    assert response.status_code == 200
    assert "“setup.pdf” was refused" in response.content.decode()
    assert not StatusUpdate.objects.exists()


def test_an_editor_may_not_delete_a_file(editor_client, stored):
    assert editor_client.post(admin_url("delete", stored.pk), {"post": "yes"}).status_code == 403
    assert EvidenceFile.objects.filter(pk=stored.pk).exists()


def test_a_superuser_deletes_a_file_and_the_history_keeps_who(
    admin_client, superuser, stored, django_capture_on_commit_callbacks
):
    name = stored.file.name
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(admin_url("delete", stored.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not EvidenceFile.objects.filter(pk=stored.pk).exists()
    assert not default_storage.exists(name)  # the stored copy goes once the deletion is committed
    deleted = EvidenceFile.history.filter(id=stored.pk, history_type="-").get()
    assert (deleted.history_user, deleted.original_name) == (superuser, "passwd.pdf")


def test_an_update_with_files_is_not_deleted_by_accident(admin_client, stored):
    """PROTECT: the admin lists the files to delete first, and deletes nothing."""
    update = stored.status_update
    response = admin_client.post(
        reverse("admin:tracker_statusupdate_delete", args=[update.pk]), {"post": "yes"}
    )
    assert response.status_code == 200
    assert "passwd.pdf" in response.content.decode()
    assert StatusUpdate.objects.filter(pk=update.pk).exists()


def test_the_admin_lists_a_file_as_a_download(admin_client, stored):
    page = admin_client.get(reverse("admin:tracker_statusupdate_change", args=[stored.status_update_id]))
    assert f'href="/evidence/{stored.pk}/"' in page.content.decode()


# --- the commitment page's queries do not grow with the files -------------------------------------


def add_files(commitment, editor, held, n):
    """An update and an assessment, each with `n` files."""
    services.status_update_create(
        commitment=commitment,
        author=editor,
        status=Status.ON_TRACK,
        progress=10 * n,
        text=f"With {n} files.",
        files=[upload(f"report-{i}.pdf", PDF) for i in range(n)],
    )
    services.assessment_create(
        commitment=commitment,
        round=held,
        party="US",
        score=1,
        rationale=f"With {n} files.",
        assessor=editor,
        files=[upload(f"photo-{i}.png", png_bytes()) for i in range(n)],
    )


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_the_commitment_page_query_count_does_not_grow_with_files(client, request, editor, commitment, role):
    client.force_login(request.getfixturevalue(role))
    held = Round.objects.create(dialogue=commitment.dialogue, number=1, held_on="2024-03-01")
    commitment.dialogue  # noqa: B018 -- loaded here, so the pins count only the page's queries
    counts = []
    for n in (1, 8):
        add_files(commitment, editor, held, n)
        with CaptureQueriesContext(connection) as computed:
            page = client.get(commitment.get_absolute_url()).content.decode()
        with CaptureQueriesContext(connection) as cached:
            client.get(commitment.get_absolute_url())
        counts.append((len(computed), len(cached)))
        assert f"report-{n - 1}.pdf" in page and f"photo-{n - 1}.png" in page
    assert counts[0] == counts[1]

"""Spreadsheets in the admin: upload, a preview of every row, confirm (tracker/imports/spreadsheets.py)."""

import csv
import datetime
import io
import re
from types import SimpleNamespace

import openpyxl
import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from tests.conftest import _user
from tracker.models import (
    Agency,
    Commitment,
    Dialogue,
    Participation,
    SourceDocument,
    Status,
    StatusUpdate,
    Theme,
)

CSV_FORMAT, XLSX_FORMAT = "0", "1"
COMMITMENT_HEADINGS = [
    "dialogue",
    "slug",
    "title",
    "description",
    "parent",
    "announced_on",
    "due_on",
    "source",
    "quote",
    "themes",
    "lead_agencies",
    "partner_agencies",
]
SOURCE_TEXT = (
    "The two governments will launch a joint mission to study the oceans. "
    "They will exchange satellite data every month. "
    "They commit to train 500 students by 2027."
)


def admin_url(model, action):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}")


def csv_file(rows, name="import.csv"):
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    return SimpleUploadedFile(name, text.getvalue().encode("utf-8"))


def xlsx_file(rows, name="import.xlsx", title="Commitments", before=None):
    book = openpyxl.Workbook()
    sheet = book.active
    if before is not None:
        # Another sheet opens first: the wrong sheet.
        sheet.title = before[0]
        for row in before[1]:
            sheet.append(row)
        sheet = book.create_sheet(title)
    else:
        sheet.title = title
    for row in rows:
        sheet.append(row)
    data = io.BytesIO()
    book.save(data)
    return SimpleUploadedFile(name, data.getvalue())


def preview(client, model, upload, file_format=None):
    file_format = file_format or (XLSX_FORMAT if upload.name.endswith(".xlsx") else CSV_FORMAT)
    return client.post(
        admin_url(model, "import"), {"resource": "0", "format": file_format, "import_file": upload}
    )


def confirm(client, model, previewed):
    form = previewed.context["confirm_form"]
    fields = ("import_file_name", "original_file_name", "format", "resource")
    return client.post(admin_url(model, "process_import"), {name: form.initial[name] for name in fields})


def import_file(client, model, upload):
    previewed = preview(client, model, upload)
    assert previewed.status_code == 200
    assert previewed.context.get("confirm_form") is not None, page_problems(previewed)
    response = confirm(client, model, previewed)
    assert response.status_code == 302, response.content.decode()[:2000]
    return previewed


def page_problems(response) -> list[str]:
    result = response.context.get("result")
    form = response.context.get("form")
    problems = [str(e.error) for e in result.base_errors] if result else []
    problems += [p for row in (result.rows if result else []) for p in getattr(row, "problems", [])]
    return problems + ([str(form.errors)] if form is not None and form.errors else [])


def kinds(response) -> dict:
    return {row.sheet_row: row.import_type for row in response.context["result"].rows}


def record_counts() -> dict:
    models = [Commitment, Participation, StatusUpdate, Agency, Theme]
    counts = {model.__name__: model.objects.count() for model in models}
    counts |= {f"{model.__name__} history": model.history.count() for model in models}
    counts["theme links history"] = apps.get_model("tracker", "HistoricalCommitment_themes").objects.count()
    return counts


@pytest.fixture
def world(db):
    dialogue = Dialogue.objects.create(
        name="Ocean dialogue", slug="ocean-dialogue", parties="US,FR", announced_on=datetime.date(2024, 1, 10)
    )
    source = SourceDocument.objects.create(
        title="Joint statement on the oceans", published_on=datetime.date(2024, 1, 10), text=SOURCE_TEXT
    )
    climate = Theme.objects.create(dialogue=dialogue, slug="ocean-climate", name="Climate", order=1)
    science = Theme.objects.create(dialogue=dialogue, slug="ocean-science", name="Science", order=2)
    nasa = Agency.objects.create(slug="space-agency-us", name="Space Agency", acronym="USSA", country="US")
    cnes = Agency.objects.create(slug="space-agency-fr", name="Agence spatiale", acronym="ASF", country="FR")
    return SimpleNamespace(
        dialogue=dialogue, source=source, climate=climate, science=science, us=nasa, fr=cnes
    )


def commitment_row(slug="joint-mission", **values):
    row = {
        "dialogue": "ocean-dialogue",
        "slug": slug,
        "title": "Launch a joint mission",
        "description": "",
        "parent": "",
        "announced_on": "2024-01-10",
        "due_on": "",
        "source": "Joint statement on the oceans",
        "quote": "will launch a joint mission to study the oceans",
        "themes": "ocean-climate; ocean-science",
        "lead_agencies": "USSA",
        "partner_agencies": "asf",
    }
    row.update(values)
    return [row[heading] for heading in COMMITMENT_HEADINGS]


def three_commitments():
    return [
        COMMITMENT_HEADINGS,
        commitment_row("joint-mission"),
        commitment_row("data-exchange", title="Exchange data", quote="exchange satellite data every month"),
        commitment_row(
            "students", title="Train students", quote="train 500 students by 2027", themes="ocean-science"
        ),
    ]


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


# --- the two steps


def test_import_creates_commitments_with_themes_and_agencies(editor_client, world):
    import_file(editor_client, Commitment, xlsx_file(three_commitments()))
    mission = Commitment.objects.get(dialogue=world.dialogue, slug="joint-mission")
    assert mission.source == world.source
    assert set(mission.themes.all()) == {world.climate, world.science}
    assert {(p.agency, p.role) for p in mission.participations.all()} == {
        (world.us, "lead"),
        (world.fr, "partner"),
    }
    assert Commitment.objects.filter(dialogue=world.dialogue).count() == 3


def test_preview_shows_new_changed_unchanged_and_error_rows(editor_client, world):
    import_file(editor_client, Commitment, xlsx_file(three_commitments()))
    rows = three_commitments()
    rows[1] = commitment_row("joint-mission", title="Train students")  # changed
    rows[3] = commitment_row(
        "students", title="Train students", quote="train 500 students by 2027", lead_agencies="Nobody Agency"
    )
    rows.append(commitment_row("new-one", title="A new one", quote="They will exchange"))
    before = record_counts()

    response = preview(editor_client, Commitment, xlsx_file(rows))

    assert response.status_code == 200
    assert kinds(response) == {2: "update", 3: "skip", 4: "invalid", 5: "new"}
    page = response.content.decode()
    cells = re.findall(r'<td class="import-type">\s*(?:<strong>)?(\w+)', page)
    assert cells == ["Changed", "Unchanged", "Error", "New"]
    assert "Changed: title" in page
    assert "Train students" in page
    assert "lead_agencies: No agency “Nobody Agency”" in page
    assert "Nothing will be imported while any row has an error" in page
    assert response.context.get("confirm_form") is None
    assert record_counts() == before


def test_a_row_refused_at_confirmation_undoes_the_whole_file(editor_client, world):
    previewed = preview(editor_client, Commitment, xlsx_file(three_commitments()))
    assert previewed.context["confirm_form"] is not None
    # Between preview and confirmation the source is edited: the last row's quote is no longer in it.
    world.source.text = SOURCE_TEXT.replace("train 500 students", "train 400 students")
    world.source.save()
    before = record_counts()

    response = confirm(editor_client, Commitment, previewed)

    assert response.status_code == 302
    assert record_counts() == before
    followed = editor_client.get(response["Location"])
    assert "Nothing was imported" in followed.content.decode()


def test_importing_the_same_file_twice_changes_nothing(editor_client, world):
    import_file(editor_client, Commitment, xlsx_file(three_commitments()))
    before = record_counts()

    previewed = import_file(editor_client, Commitment, xlsx_file(three_commitments()))

    assert set(kinds(previewed).values()) == {"skip"}
    assert record_counts() == before


def test_a_changed_cell_changes_only_that_field(editor_client, world):
    import_file(editor_client, Commitment, xlsx_file(three_commitments()))
    mission = Commitment.objects.get(slug="joint-mission")
    history_before = mission.history.count()
    rows = three_commitments()
    rows[1] = commitment_row("joint-mission", due_on="31/12/2026")

    import_file(editor_client, Commitment, csv_file(rows))

    mission.refresh_from_db()
    assert mission.due_on == datetime.date(2026, 12, 31)
    assert mission.title == "Launch a joint mission"
    latest, previous = mission.history.all()[:2]
    assert mission.history.count() == history_before + 1
    assert [change.field for change in latest.diff_against(previous).changes] == ["due_on"]
    assert Participation.objects.filter(commitment=mission).count() == 2


def test_every_imported_change_names_the_importing_user(editor_client, editor, world):
    import_file(editor_client, Commitment, xlsx_file(three_commitments()))
    mission = Commitment.objects.get(slug="joint-mission")
    assert {h.history_user for h in mission.history.all()} == {editor}
    assert {h.history_user for h in Participation.history.filter(commitment_id=mission.pk)} == {editor}


def test_an_imported_commitment_has_one_history_row_with_its_themes(editor_client, editor, world):
    import_file(editor_client, Commitment, xlsx_file(three_commitments()))
    mission = Commitment.objects.get(slug="joint-mission")
    (created,) = mission.history.all()
    assert (created.history_type, created.history_user) == ("+", editor)
    assert {link.theme for link in created.themes.all()} == {world.climate, world.science}
    assert mission.history.as_of(timezone.now()).themes.count() == 2


# --- status updates


def update_rows(*rows):
    headings = [
        "dialogue",
        "commitment",
        "reported_on",
        "status",
        "progress",
        "text",
        "evidence_url",
        "reason",
    ]
    return [headings, *rows]


def test_imported_updates_move_the_commitment_and_name_the_importer(editor_client, editor, world):
    import_file(editor_client, Commitment, xlsx_file(three_commitments()))
    rows = update_rows(
        ["ocean-dialogue", "joint-mission", "2024-03-01", "on_track", 20, "Design review passed.", "", ""],
        [
            "ocean-dialogue",
            "joint-mission",
            datetime.datetime(2024, 6, 1),
            "At risk",
            30,
            "Launch slot lost.",
            "",
            "Funding",
        ],
    )

    import_file(editor_client, StatusUpdate, xlsx_file(rows))

    mission = Commitment.objects.get(slug="joint-mission")
    assert (mission.status, mission.progress, mission.slip_reason) == (Status.AT_RISK, 30, "funding")
    assert mission.last_update_on == datetime.date(2024, 6, 1)
    assert {u.author for u in mission.updates.all()} == {editor}
    assert mission.history.first().history_user == editor
    assert {h.history_user for h in StatusUpdate.history.all()} == {editor}
    # Each update's row in the commitment's history keeps its state and its themes.
    latest, earlier = mission.history.all()[:2]
    assert (latest.status, earlier.status) == (Status.AT_RISK, Status.ON_TRACK)
    assert {link.theme for link in latest.themes.all()} == {world.climate, world.science}


def test_reimporting_updates_adds_nothing(editor_client, world):
    import_file(editor_client, Commitment, xlsx_file(three_commitments()))
    rows = update_rows(
        ["ocean-dialogue", "joint-mission", "01/03/2024", "on_track", "20", "Design review.", "", ""]
    )
    import_file(editor_client, StatusUpdate, csv_file(rows))
    before = record_counts()

    previewed = import_file(editor_client, StatusUpdate, csv_file(rows))

    assert kinds(previewed) == {2: "skip"}
    assert record_counts() == before


def test_an_update_that_slips_without_a_reason_is_refused_by_row(editor_client, world):
    import_file(editor_client, Commitment, xlsx_file(three_commitments()))
    rows = update_rows(
        ["ocean-dialogue", "joint-mission", "2024-03-01", "on_track", 20, "Fine.", "", ""],
        ["ocean-dialogue", "joint-mission", "2024-04-01", "off_track", 20, "Stuck.", "", ""],
    )
    before = record_counts()

    response = preview(editor_client, StatusUpdate, csv_file(rows))

    assert kinds(response) == {2: "new", 3: "invalid"}
    assert "reason: Say why it slipped" in response.content.decode()
    assert record_counts() == before


def test_an_update_for_an_unknown_commitment_is_named(editor_client, world):
    rows = update_rows(["ocean-dialogue", "no-such-thing", "2024-03-01", "on_track", 20, "Fine.", "", ""])
    response = preview(editor_client, StatusUpdate, csv_file(rows))
    assert "No commitment “no-such-thing” in the dialogue “ocean-dialogue”" in response.content.decode()


# --- round trips


def export(client, model, file_format):
    resource = type(client.get(admin_url(model, "export")).context["form"].resources[0]())
    fields = resource().get_export_order()
    data = {"format": file_format, "resource": "0"}
    data |= {f"{resource.__name__.lower()}_{field}": "on" for field in fields}
    response = client.post(admin_url(model, "export"), data)
    assert response.status_code == 200, response.content[:500]
    return response.content


@pytest.mark.parametrize("file_format", [CSV_FORMAT, XLSX_FORMAT], ids=["csv", "xlsx"])
@pytest.mark.parametrize("model", [Commitment, Agency, Theme, StatusUpdate], ids=lambda m: m.__name__)
def test_an_export_imports_back_unchanged(admin_client, seed, superuser, model, file_format):
    commitment = Commitment.objects.first()
    from tracker.services import status_update_create

    status_update_create(
        commitment=commitment, author=superuser, status="on_track", progress=10, text="-5% = fine"
    )
    status_update_create(
        commitment=commitment,
        author=superuser,
        status="at_risk",
        progress=12,
        text="=SUM(A1)",
        reason="funding",
    )
    content = export(admin_client, model, file_format)
    name = "export.xlsx" if file_format == XLSX_FORMAT else "export.csv"
    before = record_counts()

    previewed = import_file(admin_client, model, SimpleUploadedFile(name, content))

    assert set(kinds(previewed).values()) == {"skip"}
    assert len(kinds(previewed)) == model.objects.count()
    assert record_counts() == before


# --- formulas


def test_exported_text_cannot_run_as_a_formula(admin_client, world):
    import_file(admin_client, Commitment, xlsx_file(three_commitments()))
    Commitment.objects.filter(slug="students").update(title='=HYPERLINK("http://evil.example","x")')
    Commitment.objects.filter(slug="data-exchange").update(description="+1 more")

    rows = list(csv.reader(io.StringIO(export(admin_client, Commitment, CSV_FORMAT).decode("utf-8-sig"))))
    titles = {row[1]: row[2] for row in rows[1:]}
    assert titles["students"] == '\'=HYPERLINK("http://evil.example","x")'
    book = openpyxl.load_workbook(io.BytesIO(export(admin_client, Commitment, XLSX_FORMAT)))
    cells = [cell for row in book.active.iter_rows() for cell in row]
    assert not [cell for cell in cells if cell.data_type == "f"]
    assert "'+1 more" in [cell.value for cell in cells]


@pytest.mark.parametrize("make", [xlsx_file, csv_file], ids=["xlsx", "csv"])
def test_a_formula_in_a_cell_is_refused_by_row_and_column(editor_client, world, make):
    rows = three_commitments()
    rows[2] = commitment_row("data-exchange", title="=1+1", quote="exchange satellite data every month")
    response = preview(editor_client, Commitment, make(rows))
    assert kinds(response)[3] == "invalid"
    assert "title: This cell holds a formula (=1+1)" in response.content.decode()
    assert not Commitment.objects.exists()


# --- bad input


def test_dates_are_read_in_three_forms(editor_client, world):
    rows = three_commitments()
    rows[1] = commitment_row("joint-mission", due_on="2026-01-31")
    rows[2] = commitment_row(
        "data-exchange", due_on="31/01/2026", quote="exchange satellite data every month"
    )
    rows[3] = commitment_row(
        "students", due_on=datetime.datetime(2026, 1, 31), quote="train 500 students by 2027"
    )
    import_file(editor_client, Commitment, xlsx_file(rows))
    assert set(Commitment.objects.values_list("due_on", flat=True)) == {datetime.date(2026, 1, 31)}


def test_a_date_that_is_not_a_date_is_named(editor_client, world):
    rows = three_commitments()
    rows[2] = commitment_row(
        "data-exchange", due_on="next spring", quote="exchange satellite data every month"
    )
    response = preview(editor_client, Commitment, csv_file(rows))
    assert (
        "due_on: “next spring” is not a date: write it as 2024-01-31 or 31/01/2024"
        in response.content.decode()
    )


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"themes": "ocean-climate; no-theme"}, "themes: No theme “no-theme”"),
        ({"partner_agencies": "Unknown body"}, "partner_agencies: No agency “Unknown body”"),
        (
            {"quote": "will launch a paraphrased mission"},
            "quote: This quote is not in the source text word for word",
        ),
        ({"source": "", "quote": "will launch"}, "quote: A quote needs its source"),
        ({"dialogue": "no-dialogue"}, "dialogue: No dialogue “no-dialogue”"),
        ({"lead_agencies": "USSA", "partner_agencies": "space-agency-us"}, "listed as both lead and partner"),
        ({"announced_on": ""}, "announced_on:"),
    ],
    ids=["theme", "agency", "quote", "quote-without-source", "dialogue", "lead-and-partner", "no-date"],
)
def test_a_bad_row_is_named_and_nothing_is_written(editor_client, world, values, message):
    rows = three_commitments()
    rows[3] = commitment_row("students", **{"quote": "train 500 students by 2027", **values})
    before = record_counts()
    response = preview(editor_client, Commitment, csv_file(rows))
    assert response.status_code == 200
    assert kinds(response)[4] == "invalid"
    assert response.content.decode().count(message) == 1  # named once, even when two checks find it
    assert record_counts() == before


def test_a_theme_of_another_dialogue_is_refused(editor_client, world):
    other = Dialogue.objects.create(name="Other", slug="other", parties="US,FR", announced_on="2024-01-01")
    Theme.objects.create(dialogue=other, slug="other-theme", name="Other")
    rows = [COMMITMENT_HEADINGS, commitment_row(themes="other-theme")]
    response = preview(editor_client, Commitment, csv_file(rows))
    assert "The theme “other-theme” belongs to another dialogue" in response.content.decode()


def test_the_same_record_twice_in_a_file_is_named(editor_client, world):
    rows = [COMMITMENT_HEADINGS, commitment_row(), commitment_row(title="Again")]
    response = preview(editor_client, Commitment, csv_file(rows))
    assert "This row names the same record as row 2" in response.content.decode()


def file_problem(response) -> str:
    assert response.status_code == 200
    return " ".join(page_problems(response))


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("empty.csv", b"\n\n"), "The file is empty"),
        (
            SimpleUploadedFile(
                "empty.xlsx",
                b"",
            ),
            "The submitted file is empty",
        ),
        (
            SimpleUploadedFile("broken.xlsx", b"PK\x03\x04 not really a workbook"),
            "could not be read as an Excel workbook",
        ),
        (
            SimpleUploadedFile("program.xlsx", b"MZ\x90\x00" + bytes(200)),
            "could not be read as an Excel workbook",
        ),
        (SimpleUploadedFile("latin.csv", "slug,title\nx,Défense\n".encode("latin-1")), "not UTF-8 text"),
        (SimpleUploadedFile("headings.csv", b"dialogue,slug,title\n"), "headings but no rows"),
        (csv_file([["dialogue", "slug", "titel"], ["ocean-dialogue", "x", "y"]]), "Unknown columns: titel"),
        (csv_file([["title"], ["y"]]), "no column “dialogue”, “slug”"),
    ],
    ids=[
        "empty",
        "empty-xlsx",
        "corrupt-xlsx",
        "executable",
        "latin-1",
        "headings-only",
        "unknown-column",
        "no-key",
    ],
)
def test_a_file_that_cannot_be_imported_says_why(editor_client, world, upload, message):
    before = record_counts()
    response = preview(editor_client, Commitment, upload)
    assert message in file_problem(response)
    assert response.context.get("confirm_form") is None
    assert record_counts() == before


def test_the_wrong_sheet_is_named_with_the_others(editor_client, world):
    upload = xlsx_file(three_commitments(), before=("Notes", [["Read me"], ["These are the commitments."]]))
    problem = file_problem(preview(editor_client, Commitment, upload))
    assert "This was the sheet “Notes”" in problem and "“Commitments”" in problem


def test_a_50000_row_file_is_refused_with_a_clear_message(editor_client, world):
    rows = [COMMITMENT_HEADINGS] + [commitment_row(f"c{i}") for i in range(50_000)]
    problem = file_problem(preview(editor_client, Commitment, csv_file(rows)))
    assert "more than 20,000 rows" in problem


@override_settings(TRACKER_IMPORT_MAX_MEGABYTES=1)
def test_a_file_over_the_size_limit_is_refused_before_it_is_read(editor_client, world):
    upload = SimpleUploadedFile("big.csv", b"slug\n" + b"x" * (1024 * 1024 + 1))
    assert "larger than 1 MB" in file_problem(preview(editor_client, Commitment, upload))


def test_confirming_a_file_that_is_gone_says_so(editor_client, world):
    previewed = preview(editor_client, Commitment, xlsx_file(three_commitments()))
    confirm(editor_client, Commitment, previewed)
    response = confirm(editor_client, Commitment, previewed)  # the same confirmation again
    assert response.status_code == 302
    assert "Nothing was imported" in editor_client.get(response["Location"]).content.decode()


def test_a_semicolon_separated_csv_is_read(editor_client, world):
    text = io.StringIO()
    csv.writer(text, delimiter=";").writerows([COMMITMENT_HEADINGS, commitment_row(themes="ocean-climate")])
    import_file(
        editor_client, Commitment, SimpleUploadedFile("fr.csv", ("\ufeff" + text.getvalue()).encode())
    )
    assert Commitment.objects.filter(slug="joint-mission").exists()


# --- agencies and themes


def test_agencies_and_themes_import_by_slug(editor_client, world):
    agencies = [
        ["slug", "name", "acronym", "country", "parent", "named_in_source", "description"],
        ["ocean-office", "Ocean Office", "OO", " us ", "space-agency-us", "no", ""],
    ]
    import_file(editor_client, Agency, csv_file(agencies))
    office = Agency.objects.get(slug="ocean-office")
    assert (office.country, office.parent, office.named_in_source) == ("US", world.us, False)
    themes = [
        ["dialogue", "slug", "name", "kind", "order"],
        ["ocean-dialogue", "ocean-governance", "Governance", "governance", 9],
    ]
    import_file(editor_client, Theme, csv_file(themes))
    assert Theme.objects.get(slug="ocean-governance").dialogue == world.dialogue


# --- who may


def test_a_viewer_cannot_import(client, world):
    viewer = _user("staff-viewer", "Viewers", is_staff=True)
    client.force_login(viewer)
    assert client.get(admin_url(Commitment, "import")).status_code == 403
    response = preview(client, Commitment, xlsx_file(three_commitments()))
    assert response.status_code == 403
    assert not Commitment.objects.exists()


def test_an_editor_may_import_updates_but_not_without_the_permission(client, editor, world):
    client.force_login(editor)
    assert client.get(admin_url(StatusUpdate, "import")).status_code == 200
    editor.groups.set([Group.objects.get(name="Viewers")])
    assert client.get(admin_url(StatusUpdate, "import")).status_code == 403


def test_a_parent_may_be_a_new_row_above_its_children(editor_client, world):
    rows = three_commitments()
    rows[2] = commitment_row(
        "data-exchange", parent="joint-mission", quote="exchange satellite data every month"
    )
    import_file(editor_client, Commitment, csv_file(rows))
    assert Commitment.objects.get(slug="data-exchange").parent.slug == "joint-mission"


# --- the cached pages


def test_a_confirmed_import_retires_the_cached_pages_once(editor_client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tracker import caching

    assert "Train students" not in editor_client.get("/commitments/").content.decode()
    before = caching.data_token()
    previewed = preview(editor_client, Commitment, xlsx_file(three_commitments()))
    assert caching.data_token() == before  # the preview writes nothing that lasts
    with CaptureQueriesContext(connection) as queries:
        assert confirm(editor_client, Commitment, previewed).status_code == 302
    stamps = [
        q["sql"] for q in queries.captured_queries if "tracker_datastamp" in q["sql"] and "UPDATE" in q["sql"]
    ]
    assert len(stamps) == 1  # three rows, their agencies and themes: one new token
    assert caching.data_token() != before
    assert "Train students" in editor_client.get("/commitments/").content.decode()

"""The list to take away: as CSV (which a spreadsheet program opens as it should) and as XLSX, the
same rows and columns, the same filters and day."""

import csv
import datetime
import io
import zipfile

import openpyxl
import pytest
from django.utils import timezone

from tests.factories import reason_for
from tracker import services
from tracker.models import Agency, Commitment, Dialogue, Participation, Role, SourceDocument, Status, Theme
from tracker.selectors import EXPORT_COLUMNS

D = datetime.date
FOUNDED = D(2021, 1, 1)
HEADER = [str(column) for column in EXPORT_COLUMNS]


@pytest.fixture
def world(db):
    """One dialogue with a source, two themes, an agency on each side; commitments added by `commit`."""
    dialogue = Dialogue.objects.create(name="Space", slug="space", parties="US,FR", announced_on=FOUNDED)
    source = SourceDocument.objects.create(
        title="Release", published_on=FOUNDED, text="We will exchange data. We will study risks."
    )
    climate = Theme.objects.create(name="Climate", slug="climate")
    stem = Theme.objects.create(name="STEM", slug="stem")
    nasa = Agency.objects.create(name="Space Administration", acronym="NASA", slug="nasa", country="US")
    cnes = Agency.objects.create(name="Centre spatial", acronym="CNES", slug="cnes", country="FR")
    return dialogue, source, {"climate": climate, "stem": stem}, nasa, cnes


@pytest.fixture
def commit(world):
    dialogue, source, themes, nasa, cnes = world
    made = []

    def make(title, theme="climate", announced_on=FOUNDED, due_on=None, quote="We will exchange data."):
        c = Commitment.objects.create(
            dialogue=dialogue,
            slug=f"c{len(made)}",
            title=title,
            announced_on=announced_on,
            due_on=due_on,
            source=source,
            quote=quote,
        )
        c.themes.add(themes[theme])
        Participation.objects.create(commitment=c, agency=nasa, role=Role.LEAD)
        Participation.objects.create(commitment=c, agency=cnes, role=Role.PARTNER)
        made.append(c)
        return c

    return make


def report(commitment, author, day, status, progress, text="Reported.", evidence_url=""):
    return services.status_update_create(
        commitment=commitment,
        author=author,
        status=status,
        **reason_for(status),
        progress=progress,
        text=text,
        reported_on=day,
        evidence_url=evidence_url,
    )


def read_csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def read_xlsx(response):
    """The workbook's only sheet, as openpyxl reads it back."""
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert len(workbook.worksheets) == 1
    return workbook.worksheets[0]


def xlsx_rows(sheet) -> list[dict]:
    """Each row under the header as {header: cell}."""
    rows = list(sheet.iter_rows())
    header = [cell.value for cell in rows[0]]
    return [dict(zip(header, row, strict=False)) for row in rows[1:]]


# --- XLSX ---------------------------------------------------------------------------------------


def test_the_xlsx_has_the_csvs_columns_and_rows(viewer_client, seed):
    sheet = read_xlsx(viewer_client.get("/commitments/export.xlsx"))
    csv_rows = read_csv(viewer_client.get("/commitments/export.csv"))
    assert [cell.value for cell in next(sheet.iter_rows(max_row=1))] == HEADER
    assert list(csv_rows[0]) == HEADER
    assert [row["id"].value for row in xlsx_rows(sheet)] == [int(row["id"]) for row in csv_rows]
    assert [row["title"].value for row in xlsx_rows(sheet)] == [row["title"] for row in csv_rows]
    assert len(csv_rows) == Commitment.objects.count()


def test_the_xlsx_header_stays_frozen_bold_and_filterable(viewer_client, seed):
    sheet = read_xlsx(viewer_client.get("/commitments/export.xlsx"))
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.b for cell in next(sheet.iter_rows(max_row=1)))
    assert sheet.auto_filter.ref == f"A1:S{Commitment.objects.count() + 1}"


def test_the_xlsx_column_widths_fit_the_header_and_the_cells(viewer_client, seed):
    sheet = read_xlsx(viewer_client.get("/commitments/export.xlsx"))
    widths = {sheet.cell(1, i + 1).value: sheet.column_dimensions[chr(65 + i)].width for i in range(19)}
    assert widths["reason for slippage"] >= len("reason for slippage")
    assert widths["id"] < widths["title"] <= 60
    assert widths["quote"] == 60  # long quotes: as wide as a column gets, not as wide as the quote


def test_the_xlsx_has_dates_as_dates_numbers_as_numbers_and_status_in_words(viewer_client, commit, editor):
    c = commit("Exchange data", due_on=D(2030, 1, 1))
    report(c, editor, D(2022, 3, 4), Status.ON_TRACK, 40, evidence_url="https://example.org/minutes")
    (row,) = xlsx_rows(read_xlsx(viewer_client.get("/commitments/export.xlsx")))
    assert row["announced"].is_date and row["announced"].value.date() == FOUNDED
    assert row["due date"].value.date() == D(2030, 1, 1)
    assert row["last update"].value.date() == D(2022, 3, 4)
    assert row["announced"].number_format == "yyyy-mm-dd"
    assert row["progress"].value == 40 and row["progress"].data_type == "n"
    assert row["id"].value == c.pk
    assert row["status"].value == "On track"
    assert row["overdue"].value == "no"


def test_the_xlsx_links_to_each_commitment_and_its_evidence(viewer_client, commit, editor):
    c = commit("Exchange data")
    report(c, editor, D(2022, 3, 4), Status.ON_TRACK, 40, evidence_url="https://example.org/minutes")
    (row,) = xlsx_rows(read_xlsx(viewer_client.get("/commitments/export.xlsx")))
    assert row["url"].value == f"http://testserver/commitments/{c.pk}/"
    assert row["url"].hyperlink.target == row["url"].value
    assert row["last update evidence link"].hyperlink.target == "https://example.org/minutes"


def test_an_empty_date_or_link_is_an_empty_cell(viewer_client, commit):
    commit("Never reported")
    (row,) = xlsx_rows(read_xlsx(viewer_client.get("/commitments/export.xlsx")))
    assert row["due date"].value is None and row["last update"].value is None
    assert row["last update evidence link"].value is None
    assert row["status"].value == "Not started"


@pytest.mark.parametrize(
    "title",
    ['=HYPERLINK("http://x","y")', "=1+1", "+cmd", "-2+3", "@SUM(A1)", "#N/A", "\tTabbed", "\rReturned"],
)
def test_formula_like_text_comes_back_as_text_not_a_formula(viewer_client, commit, title):
    commit(title)
    response = viewer_client.get("/commitments/export.xlsx")
    (row,) = xlsx_rows(read_xlsx(response))
    assert row["title"].data_type == "s"
    assert row["title"].value == title  # as typed: no quote mark added, unlike the CSV
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and 't="e"' not in sheet_xml


def test_control_characters_that_xml_cannot_hold_are_dropped_not_a_server_error(viewer_client, commit):
    commit("Bell\x07 and form feed\x0c")
    (row,) = xlsx_rows(read_xlsx(viewer_client.get("/commitments/export.xlsx")))
    assert row["title"].value == "Bell and form feed"


@pytest.mark.parametrize(
    "query",
    [
        {"theme": "climate-crisis"},
        {"theme": "climate-crisis", "status": "not_started", "country": "FR"},
        {"agency": "nasa", "role": "lead"},
        {"q": "climate"},
        {"theme": "no-such-theme"},
    ],
)
def test_the_xlsx_filters_narrow_it_as_the_csv(viewer_client, seed, query):
    csv_ids = [int(row["id"]) for row in read_csv(viewer_client.get("/commitments/export.csv", query))]
    sheet = read_xlsx(viewer_client.get("/commitments/export.xlsx", query))
    assert [row["id"].value for row in xlsx_rows(sheet)] == csv_ids
    assert len(csv_ids) < Commitment.objects.count()


def test_the_xlsx_as_of_has_the_state_on_that_day_and_dated_links(viewer_client, commit, editor):
    c = commit("A", due_on=D(2022, 3, 1))
    commit("Announced later", announced_on=D(2023, 1, 1))
    report(c, editor, D(2022, 1, 1), Status.ON_TRACK, 10, text="Started.")
    report(c, editor, D(2023, 1, 1), Status.COMPLETED, 100, text="Done.")
    response = viewer_client.get("/commitments/export.xlsx?as_of=2022-06-30")
    (row,) = xlsx_rows(read_xlsx(response))
    assert (row["status"].value, row["progress"].value, row["overdue"].value) == ("On track", 10, "yes")
    assert row["last update text"].value == "Started."
    assert row["url"].value.endswith(f"/commitments/{c.pk}/?as_of=2022-06-30")
    assert 'filename="commitments-2022-06-30.xlsx"' in response["Content-Disposition"]


@pytest.mark.parametrize("path", ["/commitments/export.csv", "/commitments/export.xlsx"])
def test_a_filter_that_cannot_be_used_gives_the_header_alone_as_the_csv_does(viewer_client, seed, path):
    response = viewer_client.get(f"{path}?theme=a%00b&status=sleeping")
    assert response.status_code == 200
    if path.endswith(".xlsx"):
        assert sheet_rows(read_xlsx(response)) == [HEADER]
    else:
        assert response.content.decode("utf-8-sig").splitlines() == [",".join(HEADER)]


def sheet_rows(sheet):
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_a_date_that_cannot_be_used_gets_the_same_400_as_the_csv(viewer_client, seed):
    for path in ["/commitments/export.csv", "/commitments/export.xlsx"]:
        response = viewer_client.get(f"{path}?as_of=30/06/2022")
        assert response.status_code == 400
        assert "is not a date" in response.content.decode()


def test_the_list_links_to_both_files_with_its_filters(viewer_client, seed):
    page = viewer_client.get("/commitments/?theme=climate-crisis&page=1").content.decode()
    assert 'href="/commitments/export.csv?theme=climate-crisis"' in page
    assert 'href="/commitments/export.xlsx?theme=climate-crisis"' in page
    assert "Download spreadsheet (XLSX)" in page


# --- CSV ----------------------------------------------------------------------------------------


def test_the_csv_starts_with_a_byte_order_mark(viewer_client, seed):
    content = viewer_client.get("/commitments/export.csv").content
    assert content.startswith(b"\xef\xbb\xbf" + b"id,")
    assert "–" in content.decode("utf-8-sig")  # the dialogue's dash, read back as written


def test_the_csv_carries_what_a_briefing_needs(viewer_client, commit, editor):
    c = commit("Exchange data", quote="We will exchange data.")
    report(c, editor, D(2022, 1, 1), Status.ON_TRACK, 10, text="Kick-off.")
    report(c, editor, D(2022, 5, 6), Status.AT_RISK, 30, text="Budget cut.", evidence_url="https://ex.org/a")
    (row,) = read_csv(viewer_client.get("/commitments/export.csv"))
    assert row["announced"] == "2021-01-01"
    assert row["quote"] == "We will exchange data."
    assert row["lead agencies"] == "NASA (US)"
    assert row["partner agencies"] == "CNES (FR)"
    assert (row["last update"], row["last update text"], row["last update evidence link"]) == (
        "2022-05-06",
        "Budget cut.",
        "https://ex.org/a",
    )


def test_the_latest_update_is_one_that_still_counts(viewer_client, commit, editor):
    c = commit("Exchange data")
    report(c, editor, D(2022, 1, 1), Status.ON_TRACK, 10, text="Kick-off.")
    wrong = report(c, editor, D(2022, 2, 1), Status.ON_TRACK, 90, text="Typo.", evidence_url="https://x.org")
    services.status_update_withdraw(update=wrong, by=editor, reason="Wrong progress.")
    (row,) = read_csv(viewer_client.get("/commitments/export.csv"))
    assert (row["progress"], row["last update text"], row["last update evidence link"]) == (
        "10",
        "Kick-off.",
        "",
    )


def test_the_csv_file_name_says_what_was_filtered(viewer_client, seed):
    today = timezone.localdate().isoformat()
    response = viewer_client.get("/commitments/export.csv?theme=climate-crisis&status=not_started&sort=title")
    assert (
        f'filename="commitments-theme-climate-crisis-status-not_started-{today}.csv"'
        in response["Content-Disposition"]
    )
    response = viewer_client.get("/commitments/export.xlsx?due=overdue&stale=1&role=lead&country=US")
    assert (
        f'filename="commitments-country-us-role-lead-overdue-stale-{today}.xlsx"'
        in (response["Content-Disposition"])
    )


def test_a_file_name_stays_short_and_safe_whatever_was_typed(viewer_client, seed):
    today = timezone.localdate().isoformat()
    query = (
        "q="
        + 'Él "quoted" ../../etc/passwd; rm -rf ' * 5
        + "&theme="
        + "&theme=".join(f"theme-{i}" for i in range(20))
    )
    disposition = viewer_client.get(f"/commitments/export.csv?{query}")["Content-Disposition"]
    filename = disposition.split('filename="')[1].rstrip('"')
    assert filename.startswith("commitments-q-el-quoted-etcpasswd-rm-rf-") and filename.endswith(
        f"-{today}.csv"
    )
    assert len(filename) <= len("commitments--.csv") + 60 + len(today)
    assert all(ch.isalnum() or ch in "-_." for ch in filename)


def test_unusable_filters_are_left_out_of_the_file_name(viewer_client, seed):
    today = timezone.localdate().isoformat()
    response = viewer_client.get("/commitments/export.csv?theme=a%00b")
    assert f'filename="commitments-{today}.csv"' in response["Content-Disposition"]

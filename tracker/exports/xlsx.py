"""The commitment list as a spreadsheet (openpyxl in write-only mode: rows stream to a temporary
file as they come, so 10,000 rows cost neither much time nor much memory).

What the sheet holds, column by column as selectors.EXPORT_COLUMNS says: numbers as numbers, dates
as dates (shown YYYY-MM-DD), links as links, everything else as text. The header row stays in
view when scrolling and carries the filter buttons; column widths fit the header and the first
rows (measuring every row would cost more than writing it).

Every text cell is written as text, whatever it starts with: openpyxl would otherwise store a
string that starts with "=" as a formula (and "#N/A" as an error), and text in a tracker is
typed by people. The control characters XML cannot hold are dropped, and a cell is cut at the
length a spreadsheet program accepts.
"""

import datetime
import io
import itertools

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The rows column widths are measured on: enough to see what the cells hold, few enough to be quick.
SAMPLE_ROWS = 200
MIN_WIDTH, MAX_WIDTH = 8, 60
# Excel refuses longer cells, and its dates start in 1900.
LONGEST_CELL = 32_767
EARLIEST_DATE = datetime.date(1900, 3, 1)
# Characters a sheet's name cannot hold.
NOT_IN_SHEET_TITLES = str.maketrans({c: " " for c in "[]:*?/\\"})


def workbook_bytes(columns, rows, *, title: str) -> bytes:
    """An .xlsx file with one sheet called `title`: a header row of `columns` (each with a `kind`:
    "text", "number", "date" or "link"), then `rows`, an iterable of lists of cells in that order."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(title).translate(NOT_IN_SHEET_TITLES)[:31])
    rows = iter(rows)
    sample = list(itertools.islice(rows, SAMPLE_ROWS))
    # Widths and the frozen header are written before the first row: set them first.
    for index, width in enumerate(column_widths(columns, sample), 1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=text_cell(sheet, str(column)))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    writers = [CELL_WRITERS[column.kind] for column in columns]
    written = 0
    for row in itertools.chain(sample, rows):
        sheet.append([write(sheet, value) for write, value in zip(writers, row, strict=True)])
        written += 1
    # The filter buttons cover every row: known only now, and written after the rows.
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{written + 1}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def column_widths(columns, sample) -> list[float]:
    """Each column as wide as its header or its longest line in `sample`, within MIN and MAX_WIDTH."""
    widths = []
    for index, column in enumerate(columns):
        longest = len(str(column))
        for row in sample:
            value = row[index]
            if value is None or value == "":
                continue
            text = value.isoformat() if isinstance(value, datetime.date) else str(value)
            longest = max(longest, max(len(line) for line in text.splitlines() or [""]))
        widths.append(min(MAX_WIDTH, max(MIN_WIDTH, longest + 2)))
    return widths


def text_cell(sheet, value):
    """`value` as a text cell: never a formula or an error, whatever it starts with."""
    if value is None or value == "":
        return None
    value = ILLEGAL_CHARACTERS_RE.sub("", str(value))[:LONGEST_CELL]
    if value.startswith("=") or value in ERROR_CODES:
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # openpyxl took it for a formula (or an error): it is text
        return cell
    return value


def number_cell(sheet, value):
    return value


def date_cell(sheet, value):
    """A date, shown YYYY-MM-DD; one before Excel's calendar begins is written as text."""
    if value is None or value == "":
        return None
    return value if value >= EARLIEST_DATE else value.isoformat()


def link_cell(sheet, value):
    """A web address, as a link a click opens; anything else that is not one, as text."""
    if not value or not str(value).startswith(("https://", "http://")):
        return text_cell(sheet, value)
    cell = WriteOnlyCell(sheet, value=text_cell(sheet, value))
    cell.hyperlink = str(value)
    cell.style = "Hyperlink"
    return cell


CELL_WRITERS = {"text": text_cell, "number": number_cell, "date": date_cell, "link": link_cell}

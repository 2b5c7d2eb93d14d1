"""Spreadsheets in and out of the admin: commitments, agencies, themes and status updates as CSV or
XLSX (django-import-export resources, used by tracker/admin.py).

The plan an import produces is the library's dry run: every row is read, matched by its natural key
(a dialogue's slug and a commitment's slug; an agency's slug; a theme's slug; an update's commitment,
date and content), checked by the model's own validation, and shown as new, changed (with the changed
cells), unchanged or in error, with the row's number as the spreadsheet shows it. Only a file without
a single error can be confirmed, and the confirmed import runs in one transaction that any error
rolls back. Status updates are written by services.status_update_create, as on the page.

Cells are read leniently where that cannot mislead (headings in any case, dates as 2024-01-31,
31/01/2024 or a date cell, statuses as their code or their words) and strictly where it could: an
unknown column, agency or theme is refused by name, and so is a formula, whose value a spreadsheet
computes but a file does not hold. Exported text that a spreadsheet would take for a formula is
written with a leading apostrophe, which the import removes again, so an export imports back as it was.
"""

import csv
import datetime
import io
import zipfile
from collections import Counter

import tablib
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _
from import_export import resources
from import_export.fields import Field
from import_export.formats import base_formats
from import_export.instance_loaders import BaseInstanceLoader
from import_export.widgets import Widget
from simple_history.utils import bulk_create_with_history

from .. import caching, rules
from ..models import Agency, Commitment, Dialogue, Participation, Role, SourceDocument, StatusUpdate, Theme
from ..models.commitment import COMMITMENT_HISTORY
from ..models.dialogue import ThemeKind
from ..quotes import quote_not_verbatim
from ..services import status_update_create

LIST_SEPARATOR = ";"
# What a spreadsheet program reads as the start of a formula (OWASP's list for CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_COLUMNS = 100


class SpreadsheetError(ValueError):
    """A file that cannot be read as a spreadsheet of records; the message says why, for a person."""


# ---------------------------------------------------------------------------------------------------
# Cells


def guard_formula(text: str) -> str:
    """Text a spreadsheet would run as a formula, made inert with a leading apostrophe.

    Reversible (see unguard_formula): text that already starts with apostrophes before a formula
    character gets one more, so the import can always take exactly one away."""
    if text.lstrip("'")[:1] in FORMULA_STARTS and text[:1] != "" and text.lstrip("'") != "":
        return "'" + text
    return text


def unguard_formula(text: str) -> str:
    if text[:1] == "'" and text.lstrip("'")[:1] in FORMULA_STARTS and text.lstrip("'") != "":
        return text[1:]
    return text


def cell_text(value) -> str:
    """A cell as text: empty for an empty cell, whole numbers without ".0", dates as 2024-01-31.
    A formula is refused: a file holds the formula, not the value the spreadsheet showed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if not isinstance(value, str):
        # openpyxl's array formulas and data tables arrive as objects.
        raise ValueError(str(FORMULA_REFUSED) % {"formula": "="})
    if value.startswith("="):
        raise ValueError(str(FORMULA_REFUSED) % {"formula": _shorten(value)})
    return unguard_formula(value)


def cell_key(value) -> str:
    """A cell that names something (a slug, a code): text without the spaces around it."""
    try:
        return cell_text(value).strip()
    except ValueError:
        return ""


def _shorten(text: str, length: int = 40) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def split_list(value) -> list[str]:
    """The names in a cell such as "nasa; cnes" (a semicolon or a line break between them)."""
    text = cell_text(value).replace("\n", LIST_SEPARATOR)
    return [part.strip() for part in text.split(LIST_SEPARATOR) if part.strip()]


FORMULA_REFUSED = _(
    "This cell holds a formula (%(formula)s), not a value: type the value itself "
    "(or start the text with an apostrophe if it really begins with “=”)."
)
DATE_REFUSED = _("“%(value)s” is not a date: write it as 2024-01-31 or 31/01/2024, or use a date cell.")
NUMBER_REFUSED = _("“%(value)s” is not a whole number.")
CHOICE_REFUSED = _("“%(value)s” is not one of: %(choices)s.")
YES_NO_REFUSED = _("“%(value)s” is not yes or no.")
NOT_FOUND = _("No %(what)s “%(value)s”: %(hint)s")
AMBIGUOUS = _("“%(value)s” names several %(what)s (%(candidates)s): use the slug.")


class TextWidget(Widget):
    """Free text, kept exactly as written (quotes must stay verbatim)."""

    def clean(self, value, row=None, **kwargs):
        return cell_text(value)

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


class KeyWidget(TextWidget):
    """A slug or a code: the spaces around it do not count."""

    def __init__(self, *, upper=False, **kwargs):
        self.upper = upper
        super().__init__(**kwargs)

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value).strip()
        return text.upper() if self.upper else text


class DateCellWidget(Widget):
    """2024-01-31, 31/01/2024 (day first, as in Britain and France) or a spreadsheet's date cell."""

    FORMATS = ("%Y-%m-%d", "%d/%m/%Y")

    def clean(self, value, row=None, **kwargs):
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        text = cell_text(value).strip()
        for format_ in self.FORMATS:
            try:
                return datetime.datetime.strptime(text, format_).date()
            except ValueError:
                continue
        raise ValueError(str(DATE_REFUSED) % {"value": _shorten(text)})

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return None if kwargs.get("force_native_type") else ""
        return value if kwargs.get("force_native_type") else value.isoformat()


class WholeNumberWidget(Widget):
    def clean(self, value, row=None, **kwargs):
        text = cell_text(value).strip()
        if not text:
            return None
        try:
            return int(text)
        except ValueError:
            raise ValueError(str(NUMBER_REFUSED) % {"value": _shorten(text)}) from None

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return value if kwargs.get("force_native_type") else str(value)


class ChoiceWidget(Widget):
    """One of a vocabulary, given as its code (on_track) or its words (On track), in any case."""

    def __init__(self, choices, *, blank=False, **kwargs):
        self.choices = choices
        self.blank = blank
        super().__init__(**kwargs)

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value).strip()
        if not text:
            if self.blank:
                return ""
            raise ValueError(str(CHOICE_REFUSED) % {"value": "", "choices": self._listed()})
        wanted = text.casefold()
        for code, label in self.choices.choices:
            if wanted in (code.casefold(), str(label).casefold()):
                return code
        raise ValueError(str(CHOICE_REFUSED) % {"value": _shorten(text), "choices": self._listed()})

    def _listed(self) -> str:
        return ", ".join(code for code in self.choices.values)

    def render(self, value, obj=None, **kwargs):
        return value or ""


class YesNoWidget(Widget):
    YES = {"yes", "y", "true", "1", "oui", "x"}
    NO = {"no", "n", "false", "0", "non", ""}

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value).strip().casefold()
        if text in self.YES:
            return True
        if text in self.NO:
            return False
        raise ValueError(str(YES_NO_REFUSED) % {"value": _shorten(text)})

    def render(self, value, obj=None, **kwargs):
        return "yes" if value else "no"


class SlugLookupWidget(Widget):
    """A record named by its slug, looked up once for the whole file."""

    def __init__(self, model, *, what, hint, **kwargs):
        self.model = model
        self.what = what
        self.hint = hint
        super().__init__(**kwargs)

    def by_slug(self) -> dict:
        if not hasattr(self, "_by_slug"):
            self._by_slug = {obj.slug: obj for obj in self.model.objects.all()}
        return self._by_slug

    def clean(self, value, row=None, **kwargs):
        slug = cell_key(value)
        if not slug:
            return None
        found = self.by_slug().get(slug)
        if found is None:
            raise ValueError(str(NOT_FOUND) % {"what": self.what, "value": _shorten(slug), "hint": self.hint})
        return found

    def render(self, value, obj=None, **kwargs):
        return value.slug if value is not None else ""


class SourceWidget(Widget):
    """A source document named by its title (or by its number when two share a title)."""

    def sources(self) -> list:
        if not hasattr(self, "_sources"):
            self._sources = list(SourceDocument.objects.only("id", "title", "published_on", "text"))
            self._titles = Counter(source.title.strip().casefold() for source in self._sources)
        return self._sources

    def clean(self, value, row=None, **kwargs):
        name = cell_key(value)
        if not name:
            return None
        sources = self.sources()
        if name.isdigit():
            found = [source for source in sources if source.pk == int(name)]
        else:
            found = [source for source in sources if source.title.strip().casefold() == name.casefold()]
        if len(found) == 1:
            return found[0]
        if not found:
            raise ValueError(
                str(NOT_FOUND)
                % {"what": _("source"), "value": _shorten(name), "hint": _("add the source document first.")}
            )
        raise ValueError(
            str(_("Several sources are called “%(value)s” (numbers %(ids)s): give the number instead."))
            % {"value": _shorten(name), "ids": ", ".join(str(source.pk) for source in found)}
        )

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        self.sources()
        if self._titles[value.title.strip().casefold()] == 1 and not value.title.strip().isdigit():
            return value.title
        return str(value.pk)


class ParentWidget(Widget):
    """Another commitment of the same dialogue, by its slug (its row may come earlier in the file)."""

    # New commitments of the file being previewed, by (dialogue slug, slug): a preview saves nothing,
    # so a parent added a few rows above is found here rather than in the database.
    planned: dict

    def clean(self, value, row=None, **kwargs):
        slug = cell_key(value)
        if not slug:
            return None
        dialogue = cell_key((row or {}).get("dialogue"))
        found = Commitment.objects.filter(dialogue__slug=dialogue, slug=slug).first()
        if found is None:
            found = getattr(self, "planned", {}).get((dialogue, slug))
        if found is None:
            raise ValueError(
                str(
                    _(
                        "No commitment “%(slug)s” in this dialogue to be the parent: put its row above, or add it first."
                    )
                )
                % {"slug": _shorten(slug)}
            )
        return found

    def render(self, value, obj=None, **kwargs):
        return value.slug if value is not None else ""


class AgencyParentWidget(Widget):
    def clean(self, value, row=None, **kwargs):
        slug = cell_key(value)
        if not slug:
            return None
        found = Agency.objects.filter(slug=slug).first()
        if found is None:
            raise ValueError(
                str(_("No agency “%(slug)s” to be the parent: put its row above, or add it first."))
                % {"slug": _shorten(slug)}
            )
        return found

    def render(self, value, obj=None, **kwargs):
        return value.slug if value is not None else ""


class AgencyDirectory:
    """Every agency, found by slug, acronym or name (in that order, any case), for one import or export."""

    def __init__(self):
        self.agencies = list(Agency.objects.only("id", "slug", "acronym", "name", "country"))
        self.by_id = {agency.pk: agency for agency in self.agencies}
        self._names = {}
        self.by_slug = {agency.slug.casefold(): agency for agency in self.agencies}
        self.by_acronym, self.by_name = {}, {}
        for agency in self.agencies:
            if agency.acronym:
                self.by_acronym.setdefault(agency.acronym.casefold(), []).append(agency)
            self.by_name.setdefault(agency.name.casefold(), []).append(agency)

    def find(self, name: str) -> Agency:
        wanted = name.casefold()
        if wanted in self.by_slug:
            return self.by_slug[wanted]
        for index in (self.by_acronym, self.by_name):
            found = index.get(wanted, [])
            if len(found) == 1:
                return found[0]
            if found:
                raise ValueError(
                    str(AMBIGUOUS)
                    % {
                        "value": _shorten(name),
                        "what": _("agencies"),
                        "candidates": ", ".join(agency.slug for agency in found),
                    }
                )
        raise ValueError(
            str(NOT_FOUND)
            % {
                "what": _("agency"),
                "value": _shorten(name),
                "hint": _("give its slug or acronym, or add the agency first (Agencies)."),
            }
        )

    def name_for(self, agency: Agency) -> str:
        """What an export writes: the acronym when it finds this agency again, else the slug."""
        if agency.pk not in self._names:
            self._names[agency.pk] = agency.slug
            if agency.acronym:
                try:
                    if self.find(agency.acronym).pk == agency.pk:
                        self._names[agency.pk] = agency.acronym
                except ValueError:
                    pass
        return self._names[agency.pk]


# ---------------------------------------------------------------------------------------------------
# Files


EMPTY_FILE = _("The file is empty: there is no heading row and nothing to import.")
NO_ROWS = _("The file has headings but no rows to import.")
NOT_UTF8 = _("The file is not UTF-8 text. Save it from the spreadsheet as “CSV UTF-8” and upload it again.")
NOT_CSV = _("The file could not be read as CSV (%(error)s).")
NOT_XLSX = _(
    "The file could not be read as an Excel workbook (.xlsx): it is damaged or another kind of file. "
    "Open it in a spreadsheet program and save it as .xlsx or as CSV UTF-8."
)
TOO_MANY_ROWS = _(
    "The file has more than %(limit)s rows, the most one import takes: split it into several files."
)
TOO_MANY_COLUMNS = _("The file has more than %(limit)s columns: is this the right sheet?")
HEADINGS_REPEATED = _("The column “%(column)s” appears twice in the heading row.")
VALUE_WITHOUT_HEADING = _("Row %(row)s has a value in column %(number)s, which has no heading.")


def max_rows() -> int:
    return settings.TRACKER_IMPORT_MAX_ROWS


def normalise_heading(value) -> str:
    """ "Lead agencies" and "lead_agencies" name the same column."""
    return " ".join(cell_key(value).split()).casefold().replace(" ", "_")


def build_dataset(rows, *, sheet: str = "", sheets: tuple = ()) -> tablib.Dataset:
    """A dataset from (row number, values) pairs: the first non-blank row is the heading row, blank
    rows are left out, and each data row keeps the number a spreadsheet shows for it."""
    rows = ((number, list(values)) for number, values in rows)
    headings = None
    for _number, values in rows:
        if any(cell_key(value) for value in values):
            headings = [normalise_heading(value) for value in values]
            break
    if headings is None:
        raise SpreadsheetError(str(EMPTY_FILE))
    while headings and not headings[-1]:
        headings.pop()
    if len(headings) > MAX_COLUMNS:
        raise SpreadsheetError(str(TOO_MANY_COLUMNS) % {"limit": MAX_COLUMNS})
    repeated = [name for name, count in Counter(h for h in headings if h).items() if count > 1]
    if repeated:
        raise SpreadsheetError(str(HEADINGS_REPEATED) % {"column": repeated[0]})
    dataset = tablib.Dataset(headers=[h or f"column_{i}" for i, h in enumerate(headings, 1)])
    dataset.sheet_rows, dataset.sheet_name, dataset.sheet_names = [], sheet, list(sheets)
    width, limit = len(headings), max_rows()
    for number, values in rows:
        if not any(
            value not in (None, "") and (not isinstance(value, str) or value.strip()) for value in values
        ):
            continue
        extra = [i for i, value in enumerate(values[width:], width + 1) if value not in (None, "")]
        if extra:
            raise SpreadsheetError(str(VALUE_WITHOUT_HEADING) % {"row": number, "number": extra[0]})
        if len(dataset) >= limit:
            raise SpreadsheetError(str(TOO_MANY_ROWS) % {"limit": f"{limit:,}"})
        dataset.append((values + [None] * width)[:width])
        dataset.sheet_rows.append(number)
    if not len(dataset):
        raise SpreadsheetError(str(NO_ROWS))
    return dataset


class SpreadsheetCSV(base_formats.CSV):
    """CSV in UTF-8 (with or without a byte-order mark), separated by commas or semicolons."""

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, bytes):
            try:
                in_stream = in_stream.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise SpreadsheetError(str(NOT_UTF8)) from None
        text = in_stream.lstrip("\ufeff")
        if not text.strip():
            raise SpreadsheetError(str(EMPTY_FILE))
        if "\x00" in text:
            raise SpreadsheetError(str(NOT_CSV) % {"error": _("it holds binary data")})
        first_line = text.split("\n", 1)[0]
        delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
        try:
            records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        except csv.Error as error:
            raise SpreadsheetError(str(NOT_CSV) % {"error": error}) from None
        return build_dataset(enumerate(records, 1))

    def export_data(self, dataset, **kwargs):
        # A byte-order mark, so spreadsheet programs read accents and dashes as UTF-8.
        return "\ufeff" + super().export_data(dataset, **kwargs)


class SpreadsheetXLSX(base_formats.XLSX):
    """The workbook's first (active) sheet. Formulas are read as formulas, so they can be refused."""

    def create_dataset(self, in_stream):
        import openpyxl
        from openpyxl.utils.exceptions import InvalidFileException

        if not in_stream:
            raise SpreadsheetError(str(EMPTY_FILE))
        try:
            book = openpyxl.load_workbook(io.BytesIO(in_stream), read_only=True, data_only=False)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, TypeError):
            raise SpreadsheetError(str(NOT_XLSX)) from None
        try:
            sheet = book.active
            if sheet is None or not hasattr(sheet, "iter_rows"):
                raise SpreadsheetError(str(EMPTY_FILE))
            rows = enumerate(sheet.iter_rows(values_only=True), 1)
            return build_dataset(rows, sheet=sheet.title, sheets=tuple(book.sheetnames))
        except (zipfile.BadZipFile, KeyError, OSError, TypeError, AttributeError):
            raise SpreadsheetError(str(NOT_XLSX)) from None
        finally:
            book.close()


FORMATS = [SpreadsheetCSV, SpreadsheetXLSX]


# ---------------------------------------------------------------------------------------------------
# Resources


class Cell:
    """One cell of the preview: its value after the import, and whether the import changes it."""

    def __init__(self, value, changed=False, before=None):
        self.value = value
        self.changed = changed
        self.before = before

    def __str__(self):
        return "" if self.value is None else str(self.value)


class CellDiff:
    """The preview's row: each column's value before and after, read as the export writes it."""

    def __init__(self, resource, instance, new):
        self.resource = resource
        self.new = new
        # Only a preview shows the cells; the confirmed import has shown them already.
        self.shown = getattr(resource, "previewing", True)
        self.left = resource.cell_values(instance) if self.shown else []
        self.right = []

    def compare_with(self, resource, instance):
        self.right = resource.cell_values(instance) if instance is not None and self.shown else []

    def as_html(self):
        return [
            Cell(after, changed=not self.new and before != after, before=before)
            for before, after in zip(self.left, self.right, strict=False)
        ]


class NaturalKeyLoader(BaseInstanceLoader):
    """Finds each row's record by its natural key, from one query for the whole file."""

    def __init__(self, resource, dataset=None):
        super().__init__(resource, dataset)
        rows = dataset.dict if dataset is not None else []
        resource.prepare(rows)
        keys = {resource.natural_key(row) for row in rows}
        keys.discard(None)
        self.existing = resource.existing_by_key(keys)

    def get_instance(self, row):
        key = self.resource.natural_key(row)
        return self.existing.get(key) if key is not None else None


UNKNOWN_COLUMNS = _("Unknown columns: %(unknown)s. The columns this import reads are: %(known)s.")
MISSING_COLUMNS = _("The heading row has no column %(missing)s, which every row needs.")
WHICH_SHEET = _(
    "(This was the sheet “%(sheet)s”; the workbook also has %(others)s. Rows are read from the sheet that opens first.)"
)
REPEATED_ROW = _("This row names the same record as row %(row)s: keep one of them.")
ROW_FAILED = _("This row could not be saved: %(error)s")


def _each_once(messages) -> list[str]:
    """A column's messages, each once: a rule the row's reading checks (the verbatim quote) is checked
    again by the model's clean, and the preview should name the problem once."""
    return list(dict.fromkeys(ValidationError(messages).messages))


class SpreadsheetResource(resources.ModelResource):
    """What every spreadsheet import shares: rows matched by natural key, headings checked before any
    row is read, each row numbered as the spreadsheet numbers it, every change recorded with the
    importing user, text guarded against formulas on export."""

    # The columns whose cells name the record (and must be in every file).
    key_columns: tuple[str, ...] = ()
    # Fields that hold records this import found itself: no query per row to check they exist.
    trusted_fields: tuple[str, ...] = ()
    # Check the model's constraints row by row (the database checks them again on save).
    check_constraints = True

    class Meta:
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        use_transactions = True
        store_row_values = True
        instance_loader_class = NaturalKeyLoader
        chunk_size = 1000

    # --- reading

    def natural_key(self, row) -> tuple | None:
        return tuple(cell_key(row.get(column)) for column in self.key_columns) or None

    def prepare(self, rows) -> None:
        """Look up, once for the whole file, what the rows refer to (before any row is read)."""

    def existing_by_key(self, keys) -> dict:
        raise NotImplementedError

    def column_names(self) -> list[str]:
        return [field.column_name for field in self.get_import_fields()]

    def column_problem(self, dataset) -> str | None:
        headings = dataset.headers or []
        known = self.column_names()
        unknown = [h for h in headings if h not in known]
        missing = [c for c in self.key_columns if c not in headings]
        problem = None
        if unknown:
            problem = str(UNKNOWN_COLUMNS) % {"unknown": ", ".join(unknown), "known": ", ".join(known)}
        elif missing:
            problem = str(MISSING_COLUMNS) % {"missing": ", ".join(f"“{m}”" for m in missing)}
        others = [name for name in getattr(dataset, "sheet_names", []) if name != dataset.sheet_name]
        if problem and others:
            problem += " " + str(WHICH_SHEET) % {
                "sheet": dataset.sheet_name,
                "others": ", ".join(f"“{name}”" for name in others),
            }
        return problem

    def import_data_inner(
        self, dataset, dry_run, raise_errors, using_transactions, collect_failed_rows, **kwargs
    ):
        problem = self.column_problem(dataset)
        if problem:
            result = self.get_result_class()()
            result.total_rows = len(dataset)
            result.append_base_error(self.get_error_result_class()(SpreadsheetError(problem)))
            return result
        self.previewing = dry_run
        self._sheet_rows = getattr(dataset, "sheet_rows", None) or list(range(2, len(dataset) + 2))
        self._seen_keys = {}
        # Inside import_data's transaction: the file's rows retire the cached pages once, not per row.
        with caching.one_change():
            return super().import_data_inner(
                dataset, dry_run, raise_errors, using_transactions, collect_failed_rows, **kwargs
            )

    def before_import_row(self, row, **kwargs):
        key = self.natural_key(row)
        if key is None or not any(key):
            return
        number = self._sheet_row(kwargs["row_number"])
        earlier = self._seen_keys.setdefault(key, number)
        if earlier != number:
            raise ValidationError(str(REPEATED_ROW) % {"row": earlier})

    def _sheet_row(self, index: int) -> int:
        return self._sheet_rows[index - 1] if index <= len(self._sheet_rows) else index + 1

    def import_row(self, row, instance_loader, **kwargs):
        row_result = super().import_row(row, instance_loader, **kwargs)
        row_result.sheet_row = self._sheet_row(kwargs["row_number"])
        row_result.problems = self._problems(row_result)
        columns = self.column_names()
        if row_result.diff is None and self.previewing:
            row_result.diff = [Cell(_display(row.get(column))) for column in columns]
        row_result.changed_columns = [
            column for column, cell in zip(columns, row_result.diff or [], strict=False) if cell.changed
        ]
        return row_result

    def _problems(self, row_result) -> list[str]:
        """Each problem of a row as a sentence naming its column."""
        if row_result.validation_error is not None:
            error = row_result.validation_error
            errors = (
                error.message_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.messages}
            )
            columns = {
                field.attribute: field.column_name for field in self.get_import_fields() if field.attribute
            }
            return [
                message if name == NON_FIELD_ERRORS else f"{columns.get(name, name)}: {message}"
                for name, messages in errors.items()
                for message in messages
            ]
        return [str(ROW_FAILED) % {"error": error.error} for error in row_result.errors]

    def import_instance(self, instance, row, **kwargs):
        if kwargs.get("user") is not None:
            # The importing user is named in every history row this import writes.
            instance._history_user = kwargs["user"]
        super().import_instance(instance, row, **kwargs)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        try:
            instance.full_clean(
                exclude=[*errors, *self.trusted_fields],
                validate_unique=validate_unique and self.check_constraints,
                validate_constraints=self.check_constraints,
            )
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError({name: _each_once(messages) for name, messages in errors.items()})

    # --- writing and showing

    def get_diff_class(self):
        return CellDiff

    def cell_values(self, instance) -> list:
        """Each column's value as the export writes it, before the formula guard."""
        return [self.plain_export(field, instance) for field in self.get_import_fields()]

    def plain_export(self, field, instance, **kwargs):
        return super().export_field(field, instance, **kwargs)

    def export_field(self, field, instance, **kwargs):
        value = self.plain_export(field, instance, **kwargs)
        return guard_formula(value) if isinstance(value, str) else value


def chunked(values, size=900):
    """Values in groups small enough for one query's parameters on any database."""
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _display(value) -> str:
    try:
        return cell_text(value)
    except ValueError:
        return str(value)


# --- agencies and themes


class AgencyResource(SpreadsheetResource):
    slug = Field(attribute="slug", column_name="slug", widget=KeyWidget())
    name = Field(attribute="name", column_name="name", widget=TextWidget())
    acronym = Field(attribute="acronym", column_name="acronym", widget=KeyWidget())
    country = Field(attribute="country", column_name="country", widget=KeyWidget(upper=True))
    parent = Field(attribute="parent", column_name="parent", widget=AgencyParentWidget())
    named_in_source = Field(attribute="named_in_source", column_name="named_in_source", widget=YesNoWidget())
    description = Field(attribute="description", column_name="description", widget=TextWidget())

    key_columns = ("slug",)

    class Meta(SpreadsheetResource.Meta):
        model = Agency
        fields = ("slug", "name", "acronym", "country", "parent", "named_in_source", "description")
        import_id_fields = ("slug",)
        name = _("Agencies (slug, name, acronym, country, …)")

    def existing_by_key(self, keys):
        found = {}
        for slugs in chunked(key[0] for key in keys):
            found |= {(a.slug,): a for a in Agency.objects.filter(slug__in=slugs).select_related("parent")}
        return found

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("parent")


class ThemeResource(SpreadsheetResource):
    dialogue = Field(
        attribute="dialogue",
        column_name="dialogue",
        widget=SlugLookupWidget(
            Dialogue, what=_("dialogue"), hint=_("check the slug, or add the dialogue first.")
        ),
    )
    slug = Field(attribute="slug", column_name="slug", widget=KeyWidget())
    name = Field(attribute="name", column_name="name", widget=TextWidget())
    kind = Field(attribute="kind", column_name="kind", widget=ChoiceWidget(ThemeKind))
    order = Field(attribute="order", column_name="order", widget=WholeNumberWidget())
    description = Field(attribute="description", column_name="description", widget=TextWidget())

    key_columns = ("slug",)

    class Meta(SpreadsheetResource.Meta):
        model = Theme
        fields = ("dialogue", "slug", "name", "kind", "order", "description")
        import_id_fields = ("slug",)
        name = _("Themes (dialogue, slug, name, kind, order, description)")

    def existing_by_key(self, keys):
        found = {}
        for slugs in chunked(key[0] for key in keys):
            found |= {(t.slug,): t for t in Theme.objects.filter(slug__in=slugs).select_related("dialogue")}
        return found

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("dialogue")


# --- commitments

QUOTE_NEEDS_SOURCE = _("A quote needs its source: name it in the “source” column.")
THEME_OF_OTHER_DIALOGUE = _("The theme “%(theme)s” belongs to another dialogue: use this dialogue's themes.")
LEAD_AND_PARTNER = _("%(agency)s is listed as both lead and partner: keep one.")
LINK_COLUMNS = {"themes": "themes", "lead_agencies": Role.LEAD, "partner_agencies": Role.PARTNER}


class CommitmentResource(SpreadsheetResource):
    """Commitments by dialogue and slug, with their themes and their lead and partner agencies as
    readable lists ("climate-crisis; stem-education", "NASA; CNES")."""

    dialogue = Field(
        attribute="dialogue",
        column_name="dialogue",
        widget=SlugLookupWidget(
            Dialogue, what=_("dialogue"), hint=_("check the slug, or add the dialogue first.")
        ),
    )
    slug = Field(attribute="slug", column_name="slug", widget=KeyWidget())
    title = Field(attribute="title", column_name="title", widget=TextWidget())
    description = Field(attribute="description", column_name="description", widget=TextWidget())
    parent = Field(attribute="parent", column_name="parent", widget=ParentWidget())
    announced_on = Field(attribute="announced_on", column_name="announced_on", widget=DateCellWidget())
    due_on = Field(attribute="due_on", column_name="due_on", widget=DateCellWidget(), saves_null_values=True)
    source = Field(attribute="source", column_name="source", widget=SourceWidget(), saves_null_values=True)
    quote = Field(attribute="quote", column_name="quote", widget=TextWidget())
    theme_list = Field(column_name="themes")
    lead_list = Field(column_name="lead_agencies")
    partner_list = Field(column_name="partner_agencies")

    key_columns = ("dialogue", "slug")
    trusted_fields = ("dialogue", "source", "parent")
    # Commitments come by the thousand: the natural key already guarantees (dialogue, slug) is unique,
    # and the database checks the constraints again on save.
    check_constraints = False

    class Meta(SpreadsheetResource.Meta):
        model = Commitment
        fields = (
            "dialogue",
            "slug",
            "title",
            "description",
            "parent",
            "announced_on",
            "due_on",
            "source",
            "quote",
            "theme_list",
            "lead_list",
            "partner_list",
        )
        import_id_fields = ("dialogue", "slug")
        name = _("Commitments (dialogue, slug, title, themes, lead and partner agencies, …)")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.fields["parent"].widget.planned = {}

    def existing_by_key(self, keys):
        by_dialogue = {}
        for dialogue, slug in keys:
            by_dialogue.setdefault(dialogue, []).append(slug)
        found = {}
        for dialogue, slugs in by_dialogue.items():
            for some in chunked(slugs):
                for commitment in self._with_links(
                    Commitment.objects.filter(dialogue__slug=dialogue, slug__in=some)
                ):
                    found[(dialogue, commitment.slug)] = commitment
        return found

    @staticmethod
    def _with_links(queryset):
        return queryset.select_related("dialogue", "source", "parent").prefetch_related(
            "themes", "participations__agency"
        )

    def filter_export(self, queryset, **kwargs):
        return self._with_links(queryset).order_by("dialogue__slug", "id")

    def directory(self) -> AgencyDirectory:
        if not hasattr(self, "_directory"):
            self._directory = AgencyDirectory()
        return self._directory

    def theme_index(self) -> dict:
        if not hasattr(self, "_themes"):
            self._themes = {theme.slug: theme for theme in Theme.objects.all()}
        return self._themes

    def themes_by_id(self) -> dict:
        return {theme.pk: theme for theme in self.theme_index().values()}

    # The links as they are in the database (or as this row sets them), one form for all uses.

    @staticmethod
    def stored_links(instance) -> dict:
        if instance.pk is None:
            return {"themes": set(), Role.LEAD: set(), Role.PARTNER: set()}
        themes = {theme.pk for theme in instance.themes.all()}
        roles = {Role.LEAD: set(), Role.PARTNER: set()}
        for participation in instance.participations.all():
            roles.setdefault(participation.role, set()).add(participation.agency_id)
        return {"themes": themes, **roles}

    def links(self, instance) -> dict:
        wanted = getattr(instance, "_import_links", {})
        if len(wanted) == len(LINK_COLUMNS):
            return wanted
        return {**self.stored_links(instance), **wanted}

    def dehydrate_theme_list(self, instance):
        by_id = self.themes_by_id()
        themes = [by_id[pk] for pk in self.links(instance)["themes"] if pk in by_id]
        return f"{LIST_SEPARATOR} ".join(t.slug for t in sorted(themes, key=lambda t: (t.order, t.slug)))

    def _agencies_cell(self, instance, role) -> str:
        directory = self.directory()
        ids = self.links(instance)[role]
        agencies = sorted(
            (directory.by_id[pk] for pk in ids if pk in directory.by_id), key=lambda a: (a.country, a.name)
        )
        return f"{LIST_SEPARATOR} ".join(directory.name_for(agency) for agency in agencies)

    def dehydrate_lead_list(self, instance):
        return self._agencies_cell(instance, Role.LEAD)

    def dehydrate_partner_list(self, instance):
        return self._agencies_cell(instance, Role.PARTNER)

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        instance._import_was_new = instance.pk is None
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        instance._import_links = {}
        for column, key in LINK_COLUMNS.items():
            if column not in row:
                continue
            try:
                instance._import_links[key] = self._read_links(column, row[column], instance)
            except ValueError as error:
                errors.setdefault(column, []).append(str(error))
        both = instance._import_links.get(Role.LEAD, set()) & instance._import_links.get(Role.PARTNER, set())
        if both:
            names = sorted(self.directory().by_id[pk].slug for pk in both)
            errors.setdefault("partner_agencies", []).append(
                str(LEAD_AND_PARTNER) % {"agency": ", ".join(names)}
            )
        if "quote" not in errors and "source" not in errors:
            problem = self._quote_problem(instance)
            if problem:
                errors.setdefault("quote", []).append(problem)
        if errors:
            raise ValidationError(errors)

    def _read_links(self, column, value, instance) -> set:
        names = split_list(value)
        if column != "themes":
            return {self.directory().find(name).pk for name in names}
        found = set()
        for slug in names:
            theme = self.theme_index().get(slug)
            if theme is None:
                raise ValueError(
                    str(NOT_FOUND)
                    % {
                        "what": _("theme"),
                        "value": _shorten(slug),
                        "hint": _("give its slug, or add the theme first."),
                    }
                )
            if instance.dialogue_id is not None and theme.dialogue_id != instance.dialogue_id:
                raise ValueError(str(THEME_OF_OTHER_DIALOGUE) % {"theme": slug})
            found.add(theme.pk)
        return found

    @staticmethod
    def _quote_problem(instance) -> str | None:
        """The verbatim-quote rule (quotes.quote_not_verbatim, the one Commitment.clean applies),
        checked here with the row's other problems so the preview lists them together."""
        if not instance.quote:
            return None
        if instance.source is None:
            return str(QUOTE_NEEDS_SOURCE)
        problem = quote_not_verbatim(instance.quote, instance.source.text)
        return " ".join(problem.messages) if problem else None

    def skip_row(self, instance, original, row, import_validation_errors=None):
        if not super().skip_row(instance, original, row, import_validation_errors):
            return False
        return self.links(instance) == self.stored_links(original)

    def save_instance(self, instance, is_create, row, **kwargs):
        if kwargs.get("dry_run"):
            # The preview has checked the row already (validate_instance): writing it only to roll it
            # back doubled the time a preview takes. Its new rows can still be parents further down.
            if is_create:
                self.fields["parent"].widget.planned[(instance.dialogue.slug, instance.slug)] = instance
            return
        if is_create:
            # Its history row is written once its links are made (save_m2m): one row with the final
            # links, rather than one for the commitment and another for its themes.
            instance.skip_history_when_saving = True
        super().save_instance(instance, is_create, row, **kwargs)

    def save_m2m(self, instance, row, **kwargs):
        if kwargs.get("dry_run"):
            return
        wanted = getattr(instance, "_import_links", {})
        new = getattr(instance, "_import_was_new", False)
        user = kwargs.get("user")
        roles = {role: ids for role, ids in wanted.items() if role != "themes"}
        if new:
            self._save_new_links(instance, wanted.get("themes", set()), roles, user)
            return
        if "themes" in wanted and wanted["themes"] != self.stored_links(instance)["themes"]:
            instance.themes.set(wanted["themes"])
        if roles:
            self._save_participations(instance, roles, user, new)
        # The prefetched links are out of date now; the row's own links stand in for them.
        getattr(instance, "_prefetched_objects_cache", {}).clear()

    def _save_new_links(self, instance, themes: set, roles: dict, user) -> None:
        """A new commitment's themes and agencies, then its one history row ("created", by `user`)
        holding those themes: imports come by the thousand, and each history row copies the links."""
        theme_links = Commitment.themes.through.objects.bulk_create(
            [Commitment.themes.through(commitment=instance, theme_id=pk) for pk in sorted(themes)]
        )
        if theme_links:
            # A bulk insert sends no m2m_changed signal; within the file's one change this only notes it.
            caching.data_changed()
        if roles:
            self._save_participations(instance, roles, user, new=True)
        instance.__dict__.pop("skip_history_when_saving", None)
        instance._history_links = {
            "themes": [
                {"id": link.pk, "commitment_id": instance.pk, "theme_id": link.theme_id}
                for link in theme_links
            ],
            "blocked_by": [],
        }
        COMMITMENT_HISTORY.create_historical_record(instance, "+")

    def _save_participations(self, instance, roles: dict, user, new: bool) -> None:
        wanted = {agency_id: role for role, ids in roles.items() for agency_id in ids}
        agencies = self.directory().by_id
        if new:
            # A new commitment's links in two statements (rows, then their history rows) rather than
            # three per link: imports come by the thousand. No save signal, so no cache token either:
            # saving the commitment has just replaced it, in this same transaction.
            links = [
                Participation(
                    commitment=instance, agency=agencies[pk], role=role, country=agencies[pk].country
                )
                for pk, role in wanted.items()
            ]
            bulk_create_with_history(links, Participation, default_user=user)
            return
        current = {p.agency_id: p for p in instance.participations.all()}
        for agency_id, participation in current.items():
            # Only the roles this file has a column for are its business.
            if participation.role in roles and agency_id not in wanted:
                participation._history_user = user
                participation.delete()
        for agency_id, role in wanted.items():
            participation = current.get(agency_id)
            if participation is None:
                participation = Participation(commitment=instance, agency=agencies[agency_id], role=role)
            elif participation.role == role:
                continue
            participation.role = role
            participation._history_user = user
            participation.save()


# --- status updates

SERVICE_REFUSED = _("The update was refused: %(error)s")
NO_COMMITMENT = _("No commitment “%(slug)s” in the dialogue “%(dialogue)s”.")


class CommitmentWidget(Widget):
    """A commitment named by its slug within the row's dialogue (found by the resource, in bulk)."""

    def __init__(self, resource_commitments, **kwargs):
        self.resource_commitments = resource_commitments
        super().__init__(**kwargs)

    def clean(self, value, row=None, **kwargs):
        dialogue, slug = cell_key((row or {}).get("dialogue")), cell_key(value)
        if not slug:
            return None
        found = self.resource_commitments().get((dialogue, slug))
        if found is None:
            raise ValueError(str(NO_COMMITMENT) % {"slug": _shorten(slug), "dialogue": _shorten(dialogue)})
        return found

    def render(self, value, obj=None, **kwargs):
        return value.slug if value is not None else ""


class StatusUpdateResource(SpreadsheetResource):
    """An agency's updates, each appended to its commitment's trail through the same service as the
    page. The trail is append-only: an update already there (same commitment, date and content) is
    unchanged, never edited; anything else is a new update, posted by the importing user."""

    dialogue = Field(column_name="dialogue")
    commitment = Field(attribute="commitment", column_name="commitment")
    reported_on = Field(attribute="reported_on", column_name="reported_on", widget=DateCellWidget())
    status = Field(attribute="status", column_name="status", widget=ChoiceWidget(rules.Status))
    progress = Field(attribute="progress", column_name="progress", widget=WholeNumberWidget())
    text = Field(attribute="text", column_name="text", widget=TextWidget())
    evidence_url = Field(attribute="evidence_url", column_name="evidence_url", widget=KeyWidget())
    reason = Field(
        attribute="reason", column_name="reason", widget=ChoiceWidget(rules.SlipReason, blank=True)
    )
    reason_note = Field(attribute="reason_note", column_name="reason_note", widget=TextWidget())
    author = Field(column_name="author", readonly=True)

    key_columns = ("dialogue", "commitment", "reported_on", "status", "progress", "text")
    trusted_fields = ("commitment", "author")
    check_constraints = False
    CONTENT = ("reported_on", "status", "progress", "text", "evidence_url", "reason", "reason_note")

    class Meta(SpreadsheetResource.Meta):
        model = StatusUpdate
        fields = (
            "dialogue",
            "commitment",
            "reported_on",
            "status",
            "progress",
            "text",
            "evidence_url",
            "reason",
            "reason_note",
            "author",
        )
        import_id_fields = ("commitment", "reported_on")
        name = _("Status updates (dialogue, commitment, reported_on, status, progress, text, …)")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.fields["commitment"].widget = CommitmentWidget(self.commitments)

    def commitments(self) -> dict:
        if not hasattr(self, "_commitments"):
            self._commitments = {}
        return self._commitments

    def prepare(self, rows):
        self._load_commitments(
            {(cell_key(row.get("dialogue")), cell_key(row.get("commitment"))) for row in rows}
        )

    def _load_commitments(self, pairs) -> None:
        by_dialogue = {}
        for dialogue, slug in pairs:
            by_dialogue.setdefault(dialogue, set()).add(slug)
        for dialogue, slugs in by_dialogue.items():
            for some in chunked(slugs):
                commitments = Commitment.objects.filter(dialogue__slug=dialogue, slug__in=some)
                for commitment in commitments.select_related("dialogue"):
                    self.commitments()[(dialogue, commitment.slug)] = commitment

    def natural_key(self, row):
        """The commitment and the update's content, as cleaned: the same update however it is written."""
        try:
            content = tuple(
                self.fields[name].clean(row) if name in row else ("" if name != "progress" else None)
                for name in self.CONTENT
            )
        except (ValueError, KeyError):
            return None
        reported_on, status, progress, text, evidence_url, reason, reason_note = content
        if status not in rules.SLIP_STATUSES:
            # As StatusUpdate.clean keeps it: a reason belongs to a slip only.
            reason, reason_note = "", ""
        return (
            cell_key(row.get("dialogue")),
            cell_key(row.get("commitment")),
            reported_on,
            status,
            progress,
            text,
            evidence_url,
            reason,
            reason_note,
        )

    def existing_by_key(self, keys):
        ids = {commitment.pk: key for key, commitment in self.commitments().items()}
        found = {}
        for some in chunked(ids):
            for update in StatusUpdate.objects.filter(commitment_id__in=some).select_related("author"):
                key = (*ids[update.commitment_id], *(getattr(update, name) for name in self.CONTENT))
                if key in keys:
                    update.commitment = self.commitments()[ids[update.commitment_id]]
                    found.setdefault(key, update)
        return found

    def dehydrate_dialogue(self, update):
        commitment = update.commitment if update.commitment_id else None
        return commitment.dialogue.slug if commitment is not None else ""

    def dehydrate_author(self, update):
        return update.author.username if update.author_id else ""

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("commitment__dialogue", "author").order_by(
            "commitment__dialogue__slug", "commitment__slug", "reported_on", "created_at", "id"
        )

    def import_instance(self, instance, row, **kwargs):
        if instance.pk is None and kwargs.get("user") is not None:
            instance.author = kwargs["user"]
        super().import_instance(instance, row, **kwargs)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        # Append-only: an update already in the trail is left as it is.
        return instance.pk is not None

    def save_instance(self, instance, is_create, row, **kwargs):
        if kwargs.get("dry_run"):
            # The preview has checked the row as the service would (StatusUpdate.full_clean), and
            # the matching above stands in for the service's check for a double post.
            return
        try:
            created = status_update_create(
                commitment=instance.commitment,
                author=kwargs.get("user") or instance.author,
                status=instance.status,
                progress=instance.progress,
                text=instance.text,
                reported_on=instance.reported_on,
                evidence_url=instance.evidence_url,
                reason=instance.reason,
                reason_note=instance.reason_note,
            )
        except ValidationError as error:
            raise ValidationError(
                error.message_dict
                if hasattr(error, "error_dict")
                else str(SERVICE_REFUSED) % {"error": " ".join(error.messages)}
            ) from None
        instance.pk, instance.author, instance.created_at = created.pk, created.author, created.created_at

"""The rows of a scorecard and of the dialogue page: each score with its symbol and words (its
colour only ever beside them), each status with a symbol, each average with what it leaves out.

One simple tag per row rather than template markup per cell: a 500-commitment scorecard has over
a thousand cells, and the template language's per-cell lookups cost several times the page's
SQL. The markup pieces are below, every value escaped (tracker_tags.escaped_markup).
"""

from django import template

from ..models import localized
from .tracker_tags import escaped_markup, status_label

register = template.Library()

# A shape for each status, so it reads without colour (and in print): what the words say, at a glance.
STATUS_SYMBOLS = {
    "not_started": "○",
    "on_track": "→",
    "at_risk": "△",
    "off_track": "✕",
    "completed": "✓",
    "discontinued": "■",
}

ROW_HEADER = '<tr><th scope="row"><a href="{0}">{1}</a></th>'
# The title in another language than the page's (a French page falling back to English).
ROW_HEADER_FOREIGN = '<tr><th scope="row"><a href="{0}"><span lang="{2}">{1}</span></a></th>'
STATUS = '<td><span class="status status-{0}"><span aria-hidden="true">{1}</span> {2}</span></td>'
# An assessed cell links to the rationale on the commitment's page; one nobody assessed has none.
SCORE_WITH_SYMBOL = (
    '<td><a class="score {0}" href="{1}#assessments"><span class="score-symbol">{2}</span> {3}</a></td>'
)
SCORE_WITHOUT_SYMBOL = '<td><a class="score {0}" href="{1}#assessments">{2}</a></td>'
NOT_ASSESSED = '<td><span class="score {0}">{1}</span></td>'
AVERAGE = '<span class="average">{0}</span>'
LEFT_OUT = ' <span class="left-out">({0})</span>'
ROW_END = "</tr>"


def _cells(row):
    for cell in row.cells:
        face = cell.face
        if cell.assessment is None:
            yield NOT_ASSESSED, (face.css, face.label)
        elif face.symbol:
            yield SCORE_WITH_SYMBOL, (face.css, row.url, face.symbol, face.label)
        else:
            yield SCORE_WITHOUT_SYMBOL, (face.css, row.url, face.label)


def _row_header(url, commitment):
    """The commitment's title in the reader's language (tracker/models/content.py)."""
    title = localized(commitment, "title")
    if title.foreign:
        return ROW_HEADER_FOREIGN, (url, title.text, title.lang)
    return ROW_HEADER, (url, title.text)


def _summary(summary):
    yield AVERAGE, (summary.mean_text,)
    if summary.left_out_text:
        yield LEFT_OUT, (summary.left_out_text,)


@register.simple_tag
def scorecard_row(row):
    """A scorecard row: the commitment, each party's cell, the row's average."""

    def pieces():
        yield _row_header(row.url, row.commitment)
        yield from _cells(row)
        yield "<td>", ()
        yield from _summary(row.summary)
        yield "</td>" + ROW_END, ()

    return escaped_markup(pieces())


@register.simple_tag
def dialogue_row(row):
    """A row of the dialogue page: the commitment, its status, each party's latest assessment."""
    commitment = row.commitment

    def pieces():
        yield _row_header(row.url, commitment)
        yield (
            STATUS,
            (commitment.status, STATUS_SYMBOLS.get(commitment.status, ""), status_label(commitment.status)),
        )
        yield from _cells(row)
        yield ROW_END, ()

    return escaped_markup(pieces())


@register.simple_tag
def summary_cell(summary):
    """An average on the scale −1 to +1, and what it leaves out ("2 no evidence, 1 not assessed")."""
    return escaped_markup(_summary(summary))

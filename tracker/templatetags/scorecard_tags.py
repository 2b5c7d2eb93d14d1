"""The cells of a scorecard and the dialogue page: a score with its symbol and words (its colour
only ever beside them), and a status with a symbol. Simple tags because a scorecard renders a
thousand cells, where an {% include %} per cell would cost a template lookup each time."""

from django import template
from django.utils.html import format_html

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


@register.simple_tag
def status_with_symbol(commitment):
    """The status as a badge: its symbol and its words, on its colour."""
    return format_html(
        '<span class="status status-{0}"><span aria-hidden="true">{1}</span> {2}</span>',
        commitment.status,
        STATUS_SYMBOLS.get(commitment.status, ""),
        commitment.get_status_display(),
    )


@register.simple_tag
def score_cell(cell, url):
    """A scorecard cell: "+1 Full compliance", "No evidence available", "Not assessed". An
    assessed cell links to the rationale on the commitment's page (`url`); a cell nobody assessed
    has none to link to."""
    face = cell.face
    if cell.assessment is None:
        return format_html('<span class="score {0}">{1}</span>', face.css, face.label)
    if face.symbol:
        return format_html(
            '<a class="score {0}" href="{1}#assessments"><span class="score-symbol">{2}</span> {3}</a>',
            face.css,
            url,
            face.symbol,
            face.label,
        )
    return format_html('<a class="score {0}" href="{1}#assessments">{2}</a>', face.css, url, face.label)


@register.simple_tag
def summary_cell(summary):
    """An average: on the scale −1 to +1, and what it leaves out ("2 no evidence, 1 not assessed")."""
    if summary.left_out_text:
        return format_html(
            '<span class="average">{0}</span> <span class="left-out">({1})</span>',
            summary.mean_text,
            summary.left_out_text,
        )
    return format_html('<span class="average">{0}</span>', summary.mean_text)

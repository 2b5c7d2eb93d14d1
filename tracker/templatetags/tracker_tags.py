"""Small pieces of markup repeated on every row. Simple tags rather than {% include %}s because a
list renders hundreds of them, and an include costs a template lookup and a context each time.
format_html escapes every value."""

from html import escape

from django import template
from django.utils import dateformat
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag
def status_badge(item):
    """The status in words on its colour: never colour alone."""
    return format_html('<span class="status status-{}">{}</span>', item.status, item.get_status_display())


@register.simple_tag
def flags(commitment):
    shown = [("overdue", "Overdue", commitment.is_overdue), ("stale", "Stale", commitment.is_stale)]
    return format_html_join(" ", '<span class="flag flag-{}">{}</span>', ((k, t) for k, t, on in shown if on))


@register.simple_tag
def progress_bar(value, label="Progress"):
    return format_html(
        '<div class="progress-line"><progress max="100" value="{}" aria-label="{}">{}%</progress>'
        "<span>{}%</span></div>",
        value,
        label,
        value,
        value,
    )


def escaped_markup(pieces) -> str:
    """Each (template, values) piece filled in, every value escaped: the one place we mark text safe.

    For the facet lists (a few hundred options on every list page) and long trails: format_html()
    checks each value for lazy strings on the way to escaping it, which costs milliseconds at that
    count, where the standard library's escape (the same five characters) does not.
    """
    markup = "".join(
        template.format(*(escape(str(value)) for value in values)) for template, values in pieces
    )
    return mark_safe(markup)  # noqa: S308 -- every value above is escaped


FACET_OPTION = (
    '<label class="option"><input type="checkbox" name="{0}" value="{1}"{4}> {5} '
    '<span class="count{3}" id="count-{0}-{1}">{2}</span></label>\n'
)
FACET_COUNT_OOB = '<span class="count{3}" id="count-{0}-{1}" hx-swap-oob="true">{2}</span>'


def _counts(facet):
    return (
        (facet.name, option.value, option.count, "" if option.count else " empty") for option in facet.options
    )


TRAIL_ENTRY = (
    '<li id="update-{0}"><p class="meta"><time datetime="{1}">{2}</time> · {3}</p>'
    '<p><span class="status status-{4}">{5}</span> {6}%</p><p class="update-text">{7}</p>'
)
EVIDENCE = '<p><a href="{0}" rel="noopener noreferrer">Evidence</a></p>'


@register.simple_tag
def trail_entries(updates):
    """A commitment's status updates as list items (a busy commitment has hundreds). The text keeps
    its line breaks through CSS (white-space: pre-line), so it needs nothing but escaping."""

    def pieces(update):
        yield (
            TRAIL_ENTRY,
            (
                update.pk,
                update.reported_on.isoformat(),
                dateformat.format(update.reported_on, "j F Y"),
                update.author.get_full_name() or update.author.get_username(),
                update.status,
                update.get_status_display(),
                update.progress,
                update.text,
            ),
        )
        if update.evidence_url:
            yield EVIDENCE, (update.evidence_url,)
        yield "</li>", ()

    return escaped_markup(piece for update in updates for piece in pieces(update))


@register.simple_tag
def facet_options(facet):
    """A facet's checkboxes, each with how many commitments it would match."""
    return escaped_markup(
        (FACET_OPTION, (*count, " checked" if option.selected else "", option.label))
        for count, option in zip(_counts(facet), facet.options, strict=True)
    )


@register.simple_tag
def facet_counts_out_of_band(facets):
    """Every option's new count, for htmx to swap into the filter form that stays on the page."""
    return escaped_markup((FACET_COUNT_OOB, count) for facet in facets for count in _counts(facet))


@register.filter
def minutes(duration) -> int:
    """A timedelta as whole minutes, for messages such as the login lockout."""
    return int(duration.total_seconds() // 60) if duration else 0

"""Small pieces of markup repeated on every row. Simple tags rather than {% include %}s because a
list renders hundreds of them, and an include costs a template lookup and a context each time.
format_html escapes every value."""

from html import escape

from django import template
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


def escaped_markup(template: str, rows) -> str:
    """`template` filled in once per row, every value escaped: the one place we mark text safe.

    For the facet lists, a few hundred options on every list page: format_html() checks each value
    for lazy strings on the way to escaping it, which costs milliseconds at that count, where the
    standard library's escape (the same five characters) does not.
    """
    return mark_safe("\n".join(template.format(*(escape(str(value)) for value in row)) for row in rows))  # noqa: S308


def _counts(facet):
    return (
        (facet.name, option.value, option.count, "" if option.count else " empty") for option in facet.options
    )


@register.simple_tag
def facet_options(facet):
    """A facet's checkboxes, each with how many commitments it would match."""
    return escaped_markup(
        '<label class="option"><input type="checkbox" name="{0}" value="{1}"{4}> {5} '
        '<span class="count{3}" id="count-{0}-{1}">{2}</span></label>',
        (
            (*count, " checked" if option.selected else "", option.label)
            for count, option in zip(_counts(facet), facet.options, strict=True)
        ),
    )


@register.simple_tag
def facet_counts_out_of_band(facets):
    """Every option's new count, for htmx to swap into the filter form that stays on the page."""
    return escaped_markup(
        '<span class="count{3}" id="count-{0}-{1}" hx-swap-oob="true">{2}</span>',
        (count for facet in facets for count in _counts(facet)),
    )


@register.filter
def minutes(duration) -> int:
    """A timedelta as whole minutes, for messages such as the login lockout."""
    return int(duration.total_seconds() // 60) if duration else 0

"""Small pieces of markup repeated on every row. Simple tags rather than {% include %}s because a
list renders hundreds of them, and an include costs a template lookup and a context each time.
format_html escapes every value."""

from django import template
from django.utils.html import format_html, format_html_join

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


@register.simple_tag
def facet_count(facet, option, oob=False):
    """How many commitments a filter option would match; `oob` marks it for an htmx out-of-band swap."""
    markup = (
        '<span class="count{}" id="count-{}-{}" hx-swap-oob="true">{}</span>'
        if oob
        else ('<span class="count{}" id="count-{}-{}">{}</span>')
    )
    # Option values are slugs or codes, already safe in an id.
    return format_html(markup, "" if option.count else " empty", facet.name, option.value, option.count)


OPTION = '<label class="option"><input type="checkbox" name="{}" value="{}"> {} {}</label>'
CHECKED_OPTION = '<label class="option"><input type="checkbox" name="{}" value="{}" checked> {} {}</label>'


@register.simple_tag
def facet_options(facet):
    """A facet's checkboxes, each with its count: built here because a facet can have hundreds."""
    return format_html_join(
        "\n",
        "{}",
        (
            (
                format_html(
                    CHECKED_OPTION if option.selected else OPTION,
                    facet.name,
                    option.value,
                    option.label,
                    facet_count(facet, option),
                ),
            )
            for option in facet.options
        ),
    )


@register.filter
def minutes(duration) -> int:
    """A timedelta as whole minutes, for messages such as the login lockout."""
    return int(duration.total_seconds() // 60) if duration else 0

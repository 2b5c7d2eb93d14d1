"""Names, titles and descriptions in the reader's language (tracker/models/content.py).

`{% localized commitment "title" %}` writes the French title for a French reader where there is
one, else the English inside `<span lang="en">…</span>`, so the page says which language each
piece is in. `{{ commitment|localized_text:"title" }}` is the same text without markup, for
attributes and the page's <title>. A simple tag rather than an include: a list renders hundreds.
"""

from django import template
from django.template.defaultfilters import linebreaksbr
from django.utils.html import conditional_escape, format_html

from ..models import localized as localized_value

register = template.Library()


@register.simple_tag
def localized(item, field=None, linebreaks=False):
    """The text for the reader, marked with its language when it is not the page's. Without a
    field, `item` is already a Localized value (e.g. a briefing section's title)."""
    value = item if field is None else localized_value(item, field)
    text = linebreaksbr(value.text, autoescape=True) if linebreaks else conditional_escape(value.text)
    if value.foreign:
        return format_html('<span lang="{}">{}</span>', value.lang, text)
    return text


@register.filter
def localized_text(item, field=None):
    """The text for the reader, plain (escaped by the template as any value)."""
    return str(item) if field is None else localized_value(item, field).text

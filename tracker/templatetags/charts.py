"""The overview card's small chart: looks up the theme's chart and draws it with its component."""

from django import template
from django.utils.translation import gettext as _

from ..charts import STATUS_COLOURS
from ..models import localized

register = template.Library()


@register.filter
def status_colour(status) -> str:
    """The status's colour (charts.STATUS_COLOURS), for an SVG fill attribute."""
    return STATUS_COLOURS.get(status, "#000000")


@register.inclusion_tag("tracker/components/_chart_status_card.html")
def status_sparkline(status_charts: dict, theme):
    """The theme's status mix over the last 12 months, or nothing when it has no commitments."""
    chart = status_charts.get(theme.pk)
    return {
        "chart": chart,
        "prefix": f"mix-{theme.pk}",
        "title": _("Commitments under %(theme)s by status, at the end of each of the last 12 months")
        % {"theme": localized(theme, "name").text},
    }

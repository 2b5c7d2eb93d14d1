"""English formats: British, as the tracker showed them before it had two languages.

LANGUAGES names plain "en" (so a browser asking for en-US or en-GB gets English either way), and
Django's "en" formats are American ("June 30, 2022"). Only what differs from Django's en_GB is here.
"""

from django.conf.locale.en_GB.formats import *  # noqa: F403

# Table cells and short mentions: "30 Jun 2022" (templates use |date:"SHORT_DATE_FORMAT").
SHORT_DATE_FORMAT = "j M Y"
# The same with the time (an API token's last use): "30 Jun 2022 14:05".
SHORT_DATETIME_FORMAT = "j M Y H:i"
# When something was written, in a sentence (a trail entry, the briefing, a last visit): "30 June 2022, 14:05".
LONG_DATETIME_FORMAT = "j F Y, H:i"

# The tracker's own names (read through tracker/formatting.py and the |local_date filter, since
# Django's |date knows only its own): a chart's month under its bar, "Jun"; a month in a chart's
# caption or tooltip, "Jun 2022".
CHART_MONTH_FORMAT = "M"
SHORT_YEAR_MONTH_FORMAT = "M Y"
# A percentage, for the |percent filter (tracker_tags): "12.5%".
PERCENT_FORMAT = "{}%"

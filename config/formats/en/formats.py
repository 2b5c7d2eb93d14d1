"""English formats: British, as the tracker showed them before it had two languages.

LANGUAGES names plain "en" (so a browser asking for en-US or en-GB gets English either way), and
Django's "en" formats are American ("June 30, 2022"). Only what differs from Django's en_GB is here.
"""

from django.conf.locale.en_GB.formats import *  # noqa: F403

# Table cells and short mentions: "30 Jun 2022" (templates use |date:"SHORT_DATE_FORMAT").
SHORT_DATE_FORMAT = "j M Y"
# A percentage, for the |percent filter (tracker_tags): "12.5%".
PERCENT_FORMAT = "{}%"

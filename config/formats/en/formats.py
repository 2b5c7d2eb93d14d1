"""English formats: British, as the tracker showed them before it had two languages.

LANGUAGES names plain "en" (so a browser asking for en-US or en-GB gets English either way), and
Django's "en" formats are American ("June 30, 2022"). This keeps "30 Jun 2022" for every English reader.
"""

from django.conf.locale.en_GB.formats import *  # noqa: F403

"""The briefing as PDF, drawn by WeasyPrint from the same HTML the page shows.

WeasyPrint needs the system's Pango library. Where it is missing the import fails; the tracker then
says so on the briefing page (with the packages to install) instead of failing on a download.
"""

from functools import cache

from django.contrib.staticfiles import finders
from django.utils.translation import gettext as _

PANGO_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0"
# The site's stylesheets (statuses, scores, charts; paper) and the briefing's own, as a browser
# printing the page reads them.
STYLESHEETS = ("css/app.css", "css/print.css", "css/briefing.css")


@cache
def _weasyprint():
    """The weasyprint module, or the reason it cannot be loaded (imported once per process)."""
    try:
        import weasyprint
    except OSError as error:  # the Pango library is missing
        return None, str(error)
    return weasyprint, ""


def unavailable_reason() -> str:
    """Why no PDF can be made on this server ("" when it can), in words for the page."""
    module, _error = _weasyprint()
    if module:
        return ""
    return _(
        "PDF is not available on this server: it needs the system's Pango library "
        "(on Debian or Ubuntu: apt-get install %(packages)s)."
    ) % {"packages": PANGO_PACKAGES}


def refuse_fetching(url: str, *args, **kwargs):
    """WeasyPrint's URL fetcher: the document needs nothing from outside, and text typed by staff
    must never make the server fetch a URL."""
    raise ValueError(f"not fetched: {url[:80]}")


def html_to_pdf(html: str) -> bytes:
    """The PDF of `html` (a whole document), styled by the briefing's stylesheet."""
    weasyprint, _error = _weasyprint()
    stylesheets = [weasyprint.CSS(filename=finders.find(name)) for name in STYLESHEETS]
    return weasyprint.HTML(string=html, url_fetcher=refuse_fetching).write_pdf(stylesheets=stylesheets)

"""Dates and percentages in the reader's language: the one place that reads the formats of
config/formats/<language>/formats.py, for templates (the |percent and |local_date filters of
tracker_tags) and for Python (the Word file, the scorecard, the digest). And how a person is named
(`person`, `person_name`), wherever one is shown.

Django's |date filter and date_format() look up only the names Django knows (DATE_FORMAT,
SHORT_DATE_FORMAT, YEAR_MONTH_FORMAT…) and take any other name as a format string; the tracker adds
its own names (CHART_MONTH_FORMAT, SHORT_YEAR_MONTH_FORMAT, SHORT_DATETIME_FORMAT's siblings…), so
they are read here.
"""

import functools
from collections.abc import Callable

from django.utils import dateformat, numberformat
from django.utils.formats import date_format, get_format, get_format_modules, number_format
from django.utils.translation import get_language, gettext


def named_format(name: str, default: str | None = None):
    """The active language's format called `name` (config/formats first, then Django's own);
    `default` (or `name` itself, taken as a format string) when no module names it."""
    for module in get_format_modules():
        value = getattr(module, name, None)
        if value is not None:
            return value
    return name if default is None else default


def local_date(day, name: str = "SHORT_DATE_FORMAT") -> str:
    """`day` (a date or datetime) in the named format of the active language: "30 Jun 2022" and
    "30 juin 2022" for SHORT_DATE_FORMAT; "" for none."""
    if day in (None, ""):
        return ""
    if name.isupper():
        return dateformat.format(day, named_format(name))
    return date_format(day, name)


# Django's date format characters that write a month's name (b E F M N) or a weekday's (D l).
MONTH_NAMES = frozenset("bEFMN")
WEEKDAY_NAMES = frozenset("Dl")


def date_writer(name: str) -> Callable[[object], str]:
    """A function writing dates (or datetimes) as `local_date(day, name)` does, the format read and
    parsed once: for a page that writes one or two per row (a trail of updates, a chart's points),
    where reading and splitting the format again for every date was half the cost of writing it.
    `name` may also be a format string ("j F Y"), as for |date."""
    pieces = []
    # As dateformat.format() reads a format: format characters at odd places, the text between them.
    for place, piece in enumerate(dateformat.re_formatchars.split(named_format(name))):
        if place % 2:
            pieces.append((piece, True))
        elif piece:
            pieces.append((dateformat.re_escaped.sub(r"\1", piece), False))

    # A month's or a weekday's name is a translation Django looks up again for every date: each is
    # written once per writer, for its month or weekday.
    names: dict[tuple, str] = {}

    def text(formatter, code: str, day) -> str:
        if code in MONTH_NAMES:
            key = (code, day.month)
        elif code in WEEKDAY_NAMES:
            key = (code, day.weekday())
        else:
            return str(getattr(formatter, code)())
        found = names.get(key)
        if found is None:
            found = names[key] = str(getattr(formatter, code)())
        return found

    def write(day) -> str:
        if day in (None, ""):
            return ""
        formatter = dateformat.DateFormat(day)
        return "".join(text(formatter, piece, day) if is_code else piece for piece, is_code in pieces)

    return write


def integer_writer() -> Callable[[int], str]:
    """A function writing whole numbers as Django's number_format (and so a template printing one)
    does in the active language, its separators and grouping read once, each number written once:
    for a page that writes a hundred counts, where reading the three formats again for every number
    was most of the cost."""
    language = get_language()
    decimal, grouping, thousands = (
        get_format(name, language, use_l10n=True)
        for name in ("DECIMAL_SEPARATOR", "NUMBER_GROUPING", "THOUSAND_SEPARATOR")
    )
    return functools.cache(
        lambda n: numberformat.format(n, decimal, None, grouping, thousands, use_l10n=True)
    )


def person_name(first_name: str, last_name: str, username: str) -> str:
    """How the tracker names a person (an update's author, an assessor, who produced a briefing):
    the full name ("Ann Lee"), else the login. From the three columns, for rows read as values."""
    return f"{first_name} {last_name}".strip() or username


def person(user) -> str:
    """person_name() of a User: as User.get_full_name(), else get_username()."""
    return person_name(user.first_name, user.last_name, user.get_username())


def percent(value, decimals=0) -> str:
    """A percentage in the reader's language: "12.5%" in English, "12,5 %" in French (the sign's
    spacing is PERCENT_FORMAT); a dash for none."""
    if value is None or value == "":
        return "—"
    return named_format("PERCENT_FORMAT", "{}%").format(
        number_format(value, decimal_pos=int(decimals) or None)
    )


def signed(value: float, decimals: int = 0) -> str:
    """A number with its sign, as scores and changes are written: +0.50, 0.00, −0.33, +2, −8. The
    minus is the minus sign (U+2212), not a hyphen, wherever a signed number is shown."""
    # Rounded first: number_format cuts a float's decimals off (2/3 would read 0.66).
    text = number_format(round(abs(value), decimals), decimals)
    if round(value, decimals) > 0:
        return f"+{text}"
    if round(value, decimals) < 0:
        return f"\u2212{text}"
    return text


def colon(label) -> str:
    """A label and the colon its language puts after it: "Status:", "Statut :" (no-break space)."""
    return colon_writer()(label)


def colon_writer() -> Callable[[str], str]:
    """colon(), its translation read once: for a page that writes one per row (a chart's points)."""
    # Translators: a label followed by its value ("Status: On track"); French puts a no-break space before the colon.
    pattern = gettext("%(label)s:")
    return lambda label: pattern % {"label": label}


def semicolon_join(parts) -> str:
    """Parts of a list that hold commas themselves: "a; b" in English, "a ; b" in French."""
    # Translators: what separates the items of a list whose items hold commas; French puts a no-break space before ";".
    return gettext("; ").join(parts)

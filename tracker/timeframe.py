"""Which day a request is about: the one place that reads `as_of` (and the `from`/`to` of a window).

A read page shows the tracker as it stood at the end of `?as_of=YYYY-MM-DD`, or today without it.
A date that cannot be used is refused with a message saying why, never replaced by another date
in silence: showing a different day than the one asked for would mislead.
"""

import datetime
import functools
from dataclasses import dataclass

from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

EARLIEST = datetime.date(1900, 1, 1)
LONGEST_WINDOW_YEARS = 20


class DateProblem(ValueError):
    """A date parameter that cannot be used; the message says why, for the person who typed it."""


def parse_day(request, name: str, label: str) -> datetime.date | None:
    """The date in query parameter `name` (None when absent or empty), between 1900 and today."""
    values = request.GET.getlist(name)
    if len(values) > 1:
        raise DateProblem(
            _("%(label)s was given %(n)d times; give one date.") % {"label": label, "n": len(values)}
        )
    text = (values[0] if values else "").strip()
    if not text:
        return None
    try:
        day = datetime.date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise DateProblem(
            _("%(label)s “%(text)s” is not a date: write it as YYYY-MM-DD, e.g. 2022-06-30.")
            % {"label": label, "text": text[:40]}
        )
    today = timezone.localdate()
    if day < EARLIEST:
        raise DateProblem(_("%(label)s must be in 1900 or later.") % {"label": label})
    if day > today:
        raise DateProblem(
            _("%(label)s %(day)s is in the future: the tracker can show only what has been reported.")
            % {"label": label, "day": date_format(day)}
        )
    return day


def as_of(request) -> datetime.date | None:
    """The day the request asks about, or None when it asks about no day (today)."""
    return parse_day(request, "as_of", _("The date"))


def without_as_of(request) -> str:
    params = request.GET.copy()
    params.pop("as_of", None)
    return f"{request.path}?{params.urlencode()}" if params else request.path


@dataclass(frozen=True)
class Window:
    """Two days, `start` before `end`: what changed after the end of `start` up to the end of `end`."""

    start: datetime.date
    end: datetime.date

    DEFAULT_DAYS = 90


def window(request) -> Window:
    """The `from`/`to` window of a changes page: by default the 90 days up to today."""
    end = parse_day(request, "to", _("“To”")) or timezone.localdate()
    start = parse_day(request, "from", _("“From”")) or end - datetime.timedelta(days=Window.DEFAULT_DAYS)
    if start >= end:
        raise DateProblem(_("“From” must be before “to”."))
    if (end - start).days > LONGEST_WINDOW_YEARS * 366:
        raise DateProblem(
            _("The window can be at most %(years)d years long.") % {"years": LONGEST_WINDOW_YEARS}
        )
    return Window(start, end)


def date_problem_response(request, problem: DateProblem):
    """A 400 page that says what was wrong with the date and how to go on."""
    return render(request, "400.html", {"problem": str(problem)}, status=400)


def reads_as_of(view):
    """Sets `request.as_of` (a past day, or None for today) and `request.day` (the day judged on)
    for a read view, or answers 400 with the reason when the date cannot be used. `as_of` equal to
    today redirects to the page without it."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            request.as_of = as_of(request)
        except DateProblem as problem:
            request.as_of = None
            return date_problem_response(request, problem)
        if request.as_of == timezone.localdate():
            # Today is the live page: one address for it, so links, caches and bookmarks agree.
            return redirect(without_as_of(request))
        request.day = request.as_of or timezone.localdate()
        return view(request, *args, **kwargs)

    return wrapper

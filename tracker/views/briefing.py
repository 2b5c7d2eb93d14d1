"""The briefing for a dialogue's next round: one page, its PDF and its Word file, from one Briefing.

`?since=` a round number or a date (default: the latest round held), `?as_of=` (default: today) and
the list's `theme`, `agency` and `country` filters. A value that cannot be used gets its reason: on
the page, above the form to correct it; for a file, a 400 with the same words.

The briefing is not cached: it is made a few times before each round, and its cover names who made
it and when.
"""

import datetime
import re
from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .. import selectors, timeframe
from ..exports import docx, pdf
from ..formatting import person
from ..models import Dialogue, Round
from ..selectors.briefing import Briefing, Period
from ..selectors.scorecard import held_by

ROUND_NUMBER = re.compile(r"[0-9]{1,5}")
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class BriefingProblem(ValueError):
    """A parameter the briefing cannot use; the message says why, for the person who typed it."""


def since_round(text: str, rounds: list[Round], end: datetime.date) -> Round:
    """The round numbered `text`, held by `end`."""
    number = int(text)
    round_ = next((r for r in rounds if r.number == number), None)
    if round_ is None:
        raise BriefingProblem(_("This dialogue has no round %(number)d.") % {"number": number})
    if round_.held_on > end:
        raise BriefingProblem(
            _(
                "Round %(number)d is dated %(held)s, after the briefing's date %(end)s: choose an earlier round."
            )
            % {"number": number, "held": date_format(round_.held_on), "end": date_format(end)}
        )
    return round_


def since_day(text: str, end: datetime.date) -> datetime.date:
    """The date `text` (YYYY-MM-DD), no later than `end`."""
    try:
        day = datetime.date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise BriefingProblem(
            _(
                "“Since” “%(text)s” is neither a round number nor a date: write a round number (e.g. 2) "
                "or a date as YYYY-MM-DD (e.g. 2022-06-30)."
            )
            % {"text": text[:40]}
        )
    if day > end:
        raise BriefingProblem(
            _("“Since” (%(since)s) must not be after the briefing's date (%(end)s).")
            % {"since": date_format(day), "end": date_format(end)}
        )
    return day


def briefing_period(request, dialogue: Dialogue, rounds: list[Round]) -> Period:
    """The period the request asks for: from `since` (default: the latest round held, or else the
    dialogue's announcement) to `as_of` (default: today)."""
    try:
        as_of = timeframe.as_of(request)
    except timeframe.DateProblem as problem:
        raise BriefingProblem(str(problem)) from problem
    if as_of == timezone.localdate():
        as_of = None
    end = as_of or timezone.localdate()
    held = held_by(rounds, end)
    latest = held[-1] if held else None
    values = request.GET.getlist("since")
    if len(values) > 1:
        raise BriefingProblem(_("“Since” was given %(n)d times; give one.") % {"n": len(values)})
    text = (values[0] if values else "").strip()
    if not text:
        start_round = latest
        start = latest.held_on if latest else dialogue.announced_on
    elif ROUND_NUMBER.fullmatch(text):
        start_round = since_round(text, rounds, end)
        start = start_round.held_on
    else:
        start_round, start = None, since_day(text, end)
    return Period(start=min(start, end), end=end, since_round=start_round, latest_round=latest, as_of=as_of)


def _briefing(request, slug):
    """(dialogue, rounds, briefing or None, the problem's words or "")."""
    dialogue = get_object_or_404(Dialogue, slug=slug)
    rounds = selectors.rounds_held(dialogue.pk)
    try:
        period = briefing_period(request, dialogue, rounds)
    except BriefingProblem as problem:
        return dialogue, rounds, None, str(problem)
    briefing = Briefing(dialogue, period, request.GET, site=site_address(request))
    return dialogue, rounds, briefing, " ".join(briefing.problems)


def page_address(briefing: Briefing, site: str) -> str:
    """The briefing page's full address for what a document covers: the same period (its `since`
    written out, so the link still shows this period after the next round) and filters."""
    period = briefing.period
    query = [("since", period.since_round.number if period.since_round else period.start.isoformat())]
    if period.as_of:
        query.append(("as_of", period.as_of.isoformat()))
    query += [(name, value) for name, values in briefing.chosen.items() for value in values]
    path = reverse("tracker:dialogue_briefing", args=[briefing.dialogue.slug])
    return f"{site}{path}?{urlencode(query)}"


def site_address(request) -> str:
    """The site's address, without a closing slash: "https://tracker.example"."""
    return request.build_absolute_uri("/").rstrip("/")


def document_context(request, briefing: Briefing) -> dict:
    """What every format of the briefing shows beside the Briefing: who made it, when, the page's
    own address, and the site's address for writing links out in full."""
    site = briefing.site
    return {
        "briefing": briefing,
        "dialogue": briefing.dialogue,
        "produced_at": timezone.localtime(),
        "produced_by": person(request.user),
        "site": site,
        "page_url": page_address(briefing, site),
    }


def file_name(briefing: Briefing, extension: str) -> str:
    return f"briefing-{briefing.dialogue.slug}-{briefing.period.end.isoformat()}.{extension}"


@require_GET
def dialogue_briefing(request, slug):
    dialogue, rounds, briefing, problem = _briefing(request, slug)
    context = {
        "dialogue": dialogue,
        "rounds": rounds,
        "problem": problem,
        "pdf_unavailable": pdf.unavailable_reason(),
        "form": request.GET,
    }
    if briefing:
        context.update(document_context(request, briefing))
    return render(request, "tracker/briefing.html", context, status=400 if problem else 200)


def problem_response(problem: str) -> HttpResponse:
    return HttpResponse(problem, status=400, content_type="text/plain; charset=utf-8")


def attachment(content: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
def dialogue_briefing_pdf(request, slug):
    _dialogue, _rounds, briefing, problem = _briefing(request, slug)
    if problem:
        return problem_response(problem)
    unavailable = pdf.unavailable_reason()
    if unavailable:
        return HttpResponse(unavailable, status=503, content_type="text/plain; charset=utf-8")
    html = render_to_string("tracker/briefing_document.html", document_context(request, briefing), request)
    return attachment(pdf.html_to_pdf(html), "application/pdf", file_name(briefing, "pdf"))


@require_GET
def dialogue_briefing_docx(request, slug):
    _dialogue, _rounds, briefing, problem = _briefing(request, slug)
    if problem:
        return problem_response(problem)
    content = docx.briefing_docx(document_context(request, briefing))
    return attachment(content, DOCX_TYPE, file_name(briefing, "docx"))

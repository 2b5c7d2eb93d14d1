"""The dialogues' pages: the index, one dialogue's own overview, and its scorecard (page and CSV).

All read pages: any logged-in user, `?as_of=` honoured (rounds held, assessments made and the
commitments' state as of that day).
"""

import re

from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .. import rules, selectors
from ..models import Dialogue
from ..selectors.scorecard import held_by
from ..timeframe import reads_as_of
from . import csv_response

ROUND_NUMBER = re.compile(r"[0-9]{1,5}")


class RoundProblem(Exception):
    """A `round` parameter that cannot be used; `status` is 400 (not a round number) or 404 (no
    such round), the message says which, for the person who typed it."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def chosen_round(request, rounds):
    """The round `?round=N` asks for among `rounds`, or by default the latest held by the day the
    page is about (None when none has been held)."""
    values = request.GET.getlist("round")
    if len(values) > 1:
        raise RoundProblem(_("The round was given %(n)d times; give one number.") % {"n": len(values)}, 400)
    text = (values[0] if values else "").strip()
    if not text:
        held = held_by(rounds, request.as_of)
        return held[-1] if held else None
    if not ROUND_NUMBER.fullmatch(text):
        raise RoundProblem(
            _("The round “%(text)s” is not a round number: write it as a whole number, e.g. round=2.")
            % {"text": text[:40]},
            400,
        )
    number = int(text)
    for round_ in rounds:
        if round_.number == number:
            return round_
    if request.as_of:
        message = _("This dialogue had held no round %(number)d by that date.")
    else:
        message = _("This dialogue has no round %(number)d.")
    raise RoundProblem(message % {"number": number}, 404)


def round_problem_response(request, dialogue, problem: RoundProblem):
    return render(
        request,
        "tracker/dialogue_problem.html",
        {"dialogue": dialogue, "problem": str(problem), "not_found": problem.status == 404},
        status=problem.status,
    )


@require_GET
@reads_as_of
def dialogue_list(request):
    return render(
        request, "tracker/dialogue_list.html", {"dialogues": selectors.dialogue_index(request.as_of)}
    )


@require_GET
@reads_as_of
def dialogue_detail(request, slug):
    dialogue = get_object_or_404(Dialogue, slug=slug)
    rounds = selectors.rounds_held(dialogue.pk, request.as_of)
    page = selectors.DialoguePage(dialogue, rounds, request.as_of)
    return render(request, "tracker/dialogue_detail.html", {"dialogue": dialogue, "page": page})


def _scorecard_or_problem(request, slug):
    """The scorecard the request asks for, or the response saying why there is none."""
    dialogue = get_object_or_404(Dialogue, slug=slug)
    rounds = selectors.rounds_held(dialogue.pk, request.as_of)
    try:
        round_ = chosen_round(request, rounds)
    except RoundProblem as problem:
        return None, rounds, round_problem_response(request, dialogue, problem)
    return selectors.Scorecard(dialogue, round_, request.GET, request.as_of), rounds, None


@require_GET
@reads_as_of
def dialogue_scorecard(request, slug):
    scorecard, rounds, problem = _scorecard_or_problem(request, slug)
    if problem:
        return problem
    return render(
        request,
        "tracker/dialogue_scorecard.html",
        {
            "dialogue": scorecard.dialogue,
            "scorecard": scorecard,
            "rounds": rounds,
            "percentage_rule": rules.PERCENTAGE_RULE,
        },
    )


@require_GET
@reads_as_of
def dialogue_scorecard_export(request, slug):
    scorecard, _rounds, problem = _scorecard_or_problem(request, slug)
    if problem:
        return problem
    if scorecard.problems:
        return render(request, "400.html", {"problem": " ".join(scorecard.problems)}, status=400)
    round_part = f"round-{scorecard.round.number}" if scorecard.round else "no-round"
    filename = f"scorecard-{scorecard.dialogue.slug}-{round_part}-{request.day.isoformat()}.csv"
    return csv_response(filename, scorecard_csv_header(scorecard), scorecard_csv_rows(scorecard))


def _csv_value(cell):
    """A cell as the export writes it: the score as a number, or the answer in words."""
    return cell.value if isinstance(cell.value, int) else cell.face.label


def _csv_mean(summary):
    return "" if summary.mean is None else round(summary.mean, 4)


def scorecard_csv_header(scorecard) -> list[str]:
    return [
        _("commitment id"),
        _("title"),
        _("objective"),
        *(name for _code, name in scorecard.parties),
        _("average"),
        _("no evidence"),
        _("not assessed"),
    ]


def scorecard_csv_rows(scorecard):
    """The matrix, then a row each for the parties' averages, their percentages and the cells each
    average leaves out. Scores are written as numbers, which the formula guard leaves alone."""
    other = _("Other")
    for group, row in scorecard.ordered_rows:
        yield [
            row.commitment.pk,
            row.commitment.title,
            group.theme.name if group.theme else other,
            *(_csv_value(cell) for cell in row.cells),
            _csv_mean(row.summary),
            row.summary.scores.no_evidence,
            row.summary.scores.unassessed,
        ]
    columns, overall = scorecard.columns, scorecard.overall
    yield ["", _("Average"), "", *(_csv_mean(c.summary) for c in columns), _csv_mean(overall), "", ""]
    yield [
        "",
        _("Percentage ((average + 1) / 2)"),
        "",
        *("" if c.summary.percentage is None else round(c.summary.percentage, 1) for c in columns),
        "" if overall.percentage is None else round(overall.percentage, 1),
        "",
        "",
    ]
    yield [
        "",
        _("No evidence (left out of the average)"),
        "",
        *(c.summary.scores.no_evidence for c in columns),
        overall.scores.no_evidence,
        "",
        "",
    ]
    yield [
        "",
        _("Not assessed (left out of the average)"),
        "",
        *(c.summary.scores.unassessed for c in columns),
        overall.scores.unassessed,
        "",
        "",
    ]

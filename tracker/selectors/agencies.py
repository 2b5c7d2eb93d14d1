"""The agency scorecards: each agency's commitments by role and by status."""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import CharField, Count, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone

from .. import rules
from ..formatting import signed
from ..models import (
    Agency,
    Assessment,
    Commitment,
    Participation,
    Role,
    Round,
    Status,
    blocked_q,
    country_name,
    is_past,
    state_expressions,
)
from ..rules import STATE_STATUS
from .assessments import latest_assessments
from .common import StatusCount
from .table import commitment_rows


def participations_as_of(day: datetime.date | None):
    """Participations, each annotated with its commitment's state on `day` (those of commitments not
    yet announced then left out)."""
    participations = Participation.objects.annotate(**state_expressions(day, "commitment"))
    return participations.filter(commitment__announced_on__lte=day) if is_past(day) else participations


@dataclass
class CountCell:
    """One count on the agencies page and the filtered list it stands for."""

    count: int
    url: str


@dataclass
class AgencyRow:
    """An agency (or a country's total) counted by role, status, overdue, stale and blocked."""

    agency: Agency | None
    lead: CountCell
    partner: CountCell
    by_status: list[CountCell]
    overdue: CountCell
    stale: CountCell
    blocked: CountCell

    @property
    def cells(self) -> list[CountCell]:
        """The counts in the order of the page's columns."""
        return [self.lead, self.partner, *self.by_status, self.overdue, self.stale, self.blocked]


@dataclass
class CountryAgencies:
    code: str
    name: str
    agencies: list[AgencyRow]
    total: AgencyRow


# The figures each row counts, in the order the row's query returns them.
FIGURES = ("n", "lead", "partner", "overdue", "stale", "blocked")


def _grouped_counts(commitments, kind: str, column: str, day: datetime.date):
    """Commitments counted by (`column`, status), with how many have a lead or partner there and
    how many are overdue, stale or blocked, as rows (kind, key, status, *FIGURES).

    A country's commitments are counted once each (DISTINCT), however many of its agencies take
    part; an agency takes part in a commitment at most once, so its counts need no DISTINCT.
    """
    distinct = kind == "country"
    participation = "participations__role"
    return (
        commitments.values(column, STATE_STATUS)
        .annotate(
            kind=Value(kind),
            key=Cast(column, CharField()),
            n=Count("pk", distinct=distinct),
            lead=Count("pk", distinct=distinct, filter=Q(**{participation: Role.LEAD})),
            partner=Count("pk", distinct=distinct, filter=Q(**{participation: Role.PARTNER})),
            overdue=Count("pk", distinct=distinct, filter=rules.overdue_q(day)),
            stale=Count("pk", distinct=distinct, filter=rules.stale_q(day)),
            blocked=Count("pk", distinct=distinct, filter=blocked_q(day)),
        )
        .values_list("kind", "key", STATE_STATUS, *FIGURES)
        .order_by()
    )


def agency_scorecards(day: datetime.date | None = None) -> list[CountryAgencies]:
    """Every agency, by country, with its commitments on `day` counted by role and by status, and
    how many are overdue, stale or blocked; and each country's total, counting each commitment once
    (2 queries). Every count carries the link to the list filtered the same way."""
    judged_on = day or timezone.localdate()
    commitments = Commitment.objects.as_of(day).filter(participations__isnull=False)
    rows = _grouped_counts(commitments, "agency", "participations__agency_id", judged_on).union(
        _grouped_counts(commitments, "country", "participations__country", judged_on), all=True
    )
    counts: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for kind, key, status, *figures in rows:
        tally = counts[(kind, key)]
        for name, n in zip(FIGURES, figures, strict=True):
            tally[name] += n
        tally[status] += figures[0]
    agencies = list(Agency.objects.order_by("country", "name"))
    groups: dict[str, CountryAgencies] = {}
    for agency in agencies:
        if agency.country not in groups:
            code = agency.country
            groups[code] = CountryAgencies(
                code, country_name(code), [], _row(None, counts[("country", code)], {"country": code})
            )
        groups[agency.country].agencies.append(
            _row(agency, counts[("agency", str(agency.pk))], {"agency": agency.slug})
        )
    return sorted(groups.values(), key=lambda group: group.name)


def _row(agency, tally: Counter, chosen: dict) -> AgencyRow:
    base = reverse("tracker:commitment_list")

    def cell(n, **more):
        return CountCell(n, f"{base}?{urlencode({**chosen, **more})}")

    return AgencyRow(
        agency=agency,
        lead=cell(tally["lead"], role=Role.LEAD),
        partner=cell(tally["partner"], role=Role.PARTNER),
        by_status=[cell(tally[value], status=value) for value in Status.values],
        overdue=cell(tally["overdue"], due="overdue"),
        stale=cell(tally["stale"], stale=1),
        blocked=cell(tally["blocked"], blocked=1),
    )


def agency_scorecard(agency, preview: int, day: datetime.date | None = None) -> dict:
    """An agency's commitments on `day` counted by role and status, the first few of each role, and
    its country's scores on them (7 queries).

    Only a preview is listed: an agency can be part of thousands of commitments, and the list page
    (linked with the agency filter) pages through them all.
    """
    counts = Counter()
    rows = (
        participations_as_of(day).filter(agency=agency).values("role", STATE_STATUS).annotate(n=Count("pk"))
    )
    for row in rows.order_by():
        counts[(row["role"], row[STATE_STATUS])] += row["n"]

    def first(role):
        return list(
            Commitment.objects.as_of(day)
            .select_related("dialogue")
            .filter(participations__agency=agency, participations__role=role)
            .order_by("announced_on", "id")[:preview]
        )

    lead, partner = first(Role.LEAD), first(Role.PARTNER)
    return {
        "lead": lead,
        "partner": partner,
        # As the tables show them (no query of their own: no themes or agencies shown).
        "lead_rows": commitment_rows(lead, day),
        "partner_rows": commitment_rows(partner, day),
        "n_lead": sum(n for (role, _), n in counts.items() if role == Role.LEAD),
        "n_partner": sum(n for (role, _), n in counts.items() if role == Role.PARTNER),
        "counts": [
            StatusCount(value, label, counts[(Role.LEAD, value)] + counts[(Role.PARTNER, value)])
            for value, label in Status.choices
        ],
        "sub_agencies": list(agency.children.order_by("name")),
        "scores": country_scores(agency, preview, day),
        "percentage_rule": rules.PERCENTAGE_RULE,
    }


@dataclass
class ScoreRow:
    """One commitment the agency takes part in, and its country's assessment at the latest round."""

    pk: int
    title: str
    dialogue: str
    round_number: int
    assessment: Assessment | None
    title_fr: str = ""
    dialogue_fr: str = ""

    @property
    def cell(self):
        return self.assessment.cell if self.assessment else rules.UNASSESSED


@dataclass
class CountryScores:
    """The agency's country's scores on the commitments the agency takes part in."""

    country: str
    rows: list[ScoreRow]  # the first few, for the page
    total: int  # how many commitments were scored or could have been
    summary: rules.ScoreSummary

    @property
    def mean_text(self) -> str:
        """The average with its sign, as score tables print it: "+0.50", "−0.25"."""
        mean = self.summary.mean
        return "" if mean is None else signed(mean, 2)


def country_scores(agency, preview: int, day: datetime.date | None = None) -> CountryScores:
    """The agency's country's latest assessment, at its dialogue's latest round held by `day` (the
    rule of selectors.rounds_held, read for every dialogue at once), on each commitment the agency
    takes part in whose dialogue counts that country among its parties; and their average, which
    leaves out "no evidence" and unassessed cells (rules.summarize_scores). 2 queries, whatever the
    number of commitments or dialogues."""
    rounds = Round.objects.filter(dialogue_id=OuterRef("dialogue_id"))
    if is_past(day):
        rounds = rounds.filter(held_on__lte=day)
    latest_round = rounds.order_by("-number")
    commitments = (
        Commitment.objects.as_of(day)
        .filter(participations__agency=agency)
        .annotate(round_id=Subquery(latest_round.values("pk")[:1]))
        .annotate(round_number=Subquery(latest_round.values("number")[:1]))
        .filter(round_id__isnull=False)
        .order_by("announced_on", "id")
        .values_list(
            "pk",
            "title",
            "dialogue__name",
            "dialogue__parties",
            "round_id",
            "round_number",
            "title_fr",
            "dialogue__name_fr",
        )
    )
    candidates = [row for row in commitments if agency.country in row[3].split(",")]
    assessed = latest_assessments(
        rounds={row[4] for row in candidates}, commitments=[row[0] for row in candidates], day=day
    )
    rows = [
        ScoreRow(
            pk, title, dialogue, number, assessed.get((pk, agency.country, round_id)), title_fr, dialogue_fr
        )
        for pk, title, dialogue, _parties, round_id, number, title_fr, dialogue_fr in candidates
    ]
    return CountryScores(
        country=country_name(agency.country),
        rows=rows[:preview],
        total=len(rows),
        summary=rules.summarize_scores(row.cell for row in rows),
    )

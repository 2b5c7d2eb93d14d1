"""The scorecard: a dialogue's commitments × its parties at one round, each cell the assessment
that counts (selectors.latest_assessment_facts: the rule of latest_assessments), with an average per party, per commitment and overall.

The averages follow rules.summarize_scores: "no evidence available" and cells nobody assessed are
left out of every average and counted beside it (rules.PERCENTAGE_RULE says so on the page).

Rows are grouped by the dialogue's own themes; each commitment sits in one group only (its first
theme in the dialogue's order), so a commitment is counted once in every average.

Reads, computed: the dialogue's themes, its commitments (filtered), their theme links, the
assessments of the round, and for the filter form the agencies taking part (5 queries).
"""

import datetime
from dataclasses import dataclass, field

from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext

from .. import caching, rules
from ..filters import ActiveFilter, CommitmentFilter
from ..formatting import percent, signed
from ..models import (
    Agency,
    Assessment,
    Commitment,
    Dialogue,
    Participation,
    Round,
    Score,
    Theme,
    country_name,
    score_display,
)
from .assessments import AssessmentFacts, latest_assessment_facts
from .commitment_list import agency_label

# The filters a scorecard accepts, with the commitment list's meaning (tracker/filters.py).
FILTER_NAMES = ("theme", "agency")


def held_by(rounds: list[Round], day: datetime.date | None) -> list[Round]:
    """The rounds among `rounds` held by `day` (None: today): a round planned ahead has no
    assessments yet, so it is never the round a page shows by default."""
    judged = day or timezone.localdate()
    return [r for r in rounds if r.held_on <= judged]


def party_names(dialogue: Dialogue) -> list[tuple[str, str]]:
    """(code, country name) for each party, in the dialogue's order."""
    return [(code, country_name(code)) for code in dialogue.party_codes]


# --- grouping by objective ----------------------------------------------------------------------


@dataclass
class ObjectiveGroup:
    """The rows under one of the dialogue's themes; `theme` None is "Other": the rows with no theme
    of this dialogue."""

    theme: Theme | None
    rows: list = field(default_factory=list)

    @property
    def is_governance(self) -> bool:
        return self.theme is not None and self.theme.is_governance


@dataclass
class Grouped:
    objectives: list[ObjectiveGroup]
    governance: list[ObjectiveGroup]
    other: ObjectiveGroup

    def __iter__(self):
        """Every group, in the order a page shows them: objectives, governance, then "Other"."""
        yield from self.objectives
        yield from self.governance
        yield self.other


def dialogue_themes(dialogue: Dialogue) -> list[Theme]:
    """The dialogue's own themes, in its own order (1 query)."""
    return list(Theme.objects.filter(dialogue=dialogue).order_by("order", "name"))


def theme_links(dialogue: Dialogue, commitments=None) -> dict[int, set[int]]:
    """For each commitment of the dialogue (or of `commitments`, ids), the ids of its themes that
    are the dialogue's own (1 query): another dialogue's theme never groups this one's commitments."""
    rows = Commitment.themes.through.objects.filter(commitment__dialogue=dialogue, theme__dialogue=dialogue)
    if commitments is not None:
        rows = rows.filter(commitment_id__in=commitments)
    links: dict[int, set[int]] = {}
    for commitment_id, theme_id in rows.values_list("commitment_id", "theme_id"):
        links.setdefault(commitment_id, set()).add(theme_id)
    return links


def group_by_objective(themes: list[Theme], links: dict[int, set[int]], rows, commitment_of) -> Grouped:
    """`rows` grouped under the dialogue's `themes`: each under its first theme in the dialogue's
    order, announced objectives before governance; a row with none of them under "Other".
    `commitment_of(row)` gives a row's commitment."""
    ordered = [t for t in themes if not t.is_governance] + [t for t in themes if t.is_governance]
    groups = {t.pk: ObjectiveGroup(t) for t in ordered}
    other = ObjectiveGroup(None)
    for row in rows:
        mine = links.get(commitment_of(row).pk, ())
        first = next((t for t in ordered if t.pk in mine), None)
        (groups[first.pk] if first else other).rows.append(row)
    return Grouped(
        objectives=[groups[t.pk] for t in ordered if not t.is_governance],
        governance=[groups[t.pk] for t in ordered if t.is_governance],
        other=other,
    )


# --- cells and averages -------------------------------------------------------------------------


@dataclass(frozen=True)
class Face:
    """How a kind of cell reads: a symbol (none for the two answers without a score), words, and a
    class for its colour, which only ever comes with the symbol and the words."""

    symbol: str
    label: str
    css: str

    def __str__(self):
        return f"{self.symbol} {self.label}" if self.symbol else self.label


def cell_faces() -> dict:
    """A Face for each cell value (models.score_display says how each reads), its words translated
    once for a whole scorecard."""
    faces = {}
    for value in (*Score.values, rules.NO_EVIDENCE, rules.UNASSESSED):
        display = score_display(value)
        faces[value] = Face(display.symbol, str(display.words), display.css)
    return faces


@dataclass(frozen=True)
class Cell:
    party: str
    value: object  # +1, 0, −1, rules.NO_EVIDENCE or rules.UNASSESSED
    face: Face
    assessment: Assessment | AssessmentFacts | None = None  # facts in the scorecard and the briefing


@dataclass(frozen=True)
class Summary:
    """A ScoreSummary as a page shows it."""

    scores: rules.ScoreSummary

    @property
    def mean(self) -> float | None:
        return self.scores.mean

    @property
    def percentage(self) -> float | None:
        return self.scores.percentage

    @property
    def mean_text(self) -> str:
        return "—" if self.mean is None else signed(self.mean, 2)

    @property
    def percentage_text(self) -> str:
        return percent(None if self.percentage is None else round(self.percentage))

    @property
    def left_out_text(self) -> str:
        """What the average leaves out, e.g. "2 no evidence, 1 not assessed" ("" when nothing)."""
        parts = []
        if self.scores.no_evidence:
            parts.append(gettext("%(n)d no evidence") % {"n": self.scores.no_evidence})
        if self.scores.unassessed:
            parts.append(gettext("%(n)d not assessed") % {"n": self.scores.unassessed})
        return ", ".join(parts)


def summarize(cells) -> Summary:
    return Summary(rules.summarize_scores(cell.value for cell in cells))


@dataclass
class Row:
    commitment: Commitment
    cells: list[Cell]
    summary: Summary
    url: str  # the commitment's page, as of the scorecard's day


@dataclass
class Column:
    party: str
    name: str
    summary: Summary


def commitment_link_maker(day: datetime.date | None):
    """A function giving a commitment's page (as of `day`) from its id: the URL reversed once,
    where a scorecard links hundreds of rows."""
    base = reverse("tracker:commitment_list")
    suffix = f"?as_of={day.isoformat()}" if day else ""
    return lambda pk: f"{base}{pk}/{suffix}"


# --- the scorecard ------------------------------------------------------------------------------


def filter_data(query_dict) -> QueryDict:
    """Only the scorecard's filters from a query string: the list's other filters (status, sort…)
    mean nothing here."""
    data = QueryDict(mutable=True)
    for name in FILTER_NAMES:
        data.setlist(name, query_dict.getlist(name))
    return data


class Scorecard(caching.CachedPage):
    """A dialogue's commitments × parties at `round` (None: no round held; every cell is then
    unassessed), as they stood on `day`, filtered by `query_dict`'s theme and agency when given."""

    def __init__(
        self,
        dialogue: Dialogue,
        round: Round | None,
        query_dict=None,
        day: datetime.date | None = None,
    ):
        self.dialogue = dialogue
        self.round = round
        self.day = day
        self.query_dict = query_dict
        self.filterable = query_dict is not None
        self.filterset = CommitmentFilter(
            filter_data(query_dict) if self.filterable else None,
            queryset=Commitment.objects.as_of(day).filter(dialogue=dialogue),
            day=day,
        )
        self.valid = self.filterset.is_valid() if self.filterable else True

    def cache_parts(self) -> tuple:
        # The filters as typed, not as understood: a page refusing a bad value says so, and must not
        # be served for the unfiltered scorecard.
        typed = (
            tuple((name, tuple(self.query_dict.getlist(name))) for name in FILTER_NAMES)
            if self.filterable
            else ()
        )
        return ("scorecard", self.dialogue.pk, self.round.pk if self.round else None, typed)

    @cached_property
    def chosen_filters(self) -> tuple:
        """The chosen filters in a canonical form: what the rows depend on."""
        if not self.filterable or not self.valid:
            return ()
        return tuple(
            (name, tuple(sorted(self.filterset.form.cleaned_data.get(name) or []))) for name in FILTER_NAMES
        )

    @property
    def chosen(self) -> dict[str, tuple]:
        """The values chosen for each filter, by name."""
        return dict(self.chosen_filters)

    @property
    def is_filtered(self) -> bool:
        return any(values for _, values in self.chosen_filters)

    @cached_property
    def link_query(self) -> QueryDict:
        """The query string the page's links keep (the filters as typed and the day), built from
        what the cache key holds, so a cached page never carries another request's extra parameters."""
        query = filter_data(self.query_dict) if self.filterable else QueryDict(mutable=True)
        if self.day:
            query["as_of"] = self.day.isoformat()
        return query

    @cached_property
    def problems(self) -> list[str]:
        """Filters that could not be used (a value no slug can be), as the list words them."""
        return [] if self.valid else self.filterset.problems()

    @cached_property
    def parties(self) -> list[tuple[str, str]]:
        return party_names(self.dialogue)

    @cached_property
    def themes(self) -> list[Theme]:
        return dialogue_themes(self.dialogue)

    @property
    def theme_choices(self) -> list[Theme]:
        """The themes the filter offers, as the page orders them: objectives, then governance."""
        return [t for t in self.themes if not t.is_governance] + [t for t in self.themes if t.is_governance]

    @cached_property
    def agencies(self) -> list[Agency]:
        """The agencies taking part in the dialogue's commitments, for the filter form (1 query)."""
        taking_part = Participation.objects.filter(commitment__dialogue=self.dialogue).values("agency_id")
        return list(Agency.objects.filter(pk__in=taking_part).order_by("country", "name"))

    @property
    def active_filters(self) -> list[ActiveFilter]:
        """The filters in force, in words, named from the themes and agencies the form offers."""
        names = {
            "theme": {t.slug: t.name for t in self.themes},
            "agency": {
                a.slug: agency_label(a.name, a.acronym, country_name(a.country)) for a in self.agencies
            },
        }
        return self.filterset.described(names, labels={"theme": gettext("Objective")})

    @cached_property
    def unknown(self) -> dict[str, list[str]]:
        """Chosen values that are not this dialogue's themes or agencies: they match nothing, as on
        the list, and the page says so."""
        known = {"theme": {t.slug for t in self.themes}, "agency": {a.slug for a in self.agencies}}
        return {
            name: [value for value in self.chosen.get(name, ()) if value not in known[name]]
            for name in FILTER_NAMES
            if any(value not in known[name] for value in self.chosen.get(name, ()))
        }

    @cached_property
    def chosen_commitments(self):
        """The commitments shown, as a queryset: the assessments and theme links are read for these
        in a subquery, which costs no query of its own."""
        if not self.valid:
            return Commitment.objects.none()
        return (self.filterset.qs if self.filterable else self.filterset.queryset).order_by(
            "announced_on", "id"
        )

    @cached_property
    def commitments(self) -> list[Commitment]:
        return list(self.chosen_commitments)

    @cached_property
    def rows(self) -> list[Row]:
        faces = cell_faces()
        rounds = [self.round] if self.round else []
        latest = (
            # As facts, not models: a row needs only each cell's score, and building a thousand
            # Assessment and User objects cost the 500-commitment dialogue page more than its SQL.
            latest_assessment_facts(rounds=rounds, commitments=self.chosen_commitments, day=self.day)
            if self.commitments
            else {}
        )
        round_id = self.round.pk if self.round else None
        link = commitment_link_maker(self.day)
        rows = []
        for commitment in self.commitments:
            cells = []
            for party, _name in self.parties:
                assessment = latest.get((commitment.pk, party, round_id))
                value = rules.UNASSESSED if assessment is None else assessment.cell
                cells.append(Cell(party, value, faces[value], assessment))
            rows.append(Row(commitment, cells, summarize(cells), link(commitment.pk)))
        return rows

    @cached_property
    def groups(self) -> Grouped:
        links = theme_links(self.dialogue, self.chosen_commitments.values("pk")) if self.commitments else {}
        return group_by_objective(self.themes, links, self.rows, lambda row: row.commitment)

    @cached_property
    def columns(self) -> list[Column]:
        return [
            Column(party, name, summarize(row.cells[i] for row in self.rows))
            for i, (party, name) in enumerate(self.parties)
        ]

    @cached_property
    def overall(self) -> Summary:
        return summarize(cell for row in self.rows for cell in row.cells)

    @cached_property
    def ordered_rows(self) -> list[tuple[ObjectiveGroup, Row]]:
        """(group, row) in the order the page and the export show them."""
        return [(group, row) for group in self.groups for row in group.rows]

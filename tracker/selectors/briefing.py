"""The briefing for a dialogue's next round: where every commitment stands, what moved in a period,
what each side delivered, what is blocked and why, and what is due next.

One Briefing feeds the page, its printout, the PDF and the Word file (tracker/exports/), so the four
can never disagree. It reads, whatever the number of commitments: the dialogue's themes, its
agencies' participations, the commitments (filtered, as they stood at the period's end), their theme
links, their state at the period's start, the updates in the period, the latest round's assessments
and the commitments that block them (8 queries; the view adds the dialogue and its rounds).
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from django.http import QueryDict
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .. import charts, rules
from ..filters import CommitmentFilter
from ..formatting import colon, date_writer, percent, person, signed
from ..models import (
    Commitment,
    Dialogue,
    Participation,
    Role,
    Round,
    SourceDocument,
    Status,
    StatusUpdate,
    agency_label,
    country_name,
    state_expressions,
)
from ..models.content import Localized, active_language, localized_text
from ..models.content import localized as localized_value
from ..rules import STATE_PROGRESS, STATE_STATUS
from .assessments import latest_assessment_facts
from .charts import MonthMix
from .common import DayState, states_on
from .scorecard import (
    Cell,
    Column,
    ObjectiveGroup,
    Summary,
    cell_faces,
    dialogue_themes,
    group_by_objective,
    party_names,
    summarize,
    theme_links,
)

# What every format of the briefing reads of a commitment and its source (the rest, long texts
# among them, stays in the database: a third less time to read and build 500 commitments).
COMMITMENT_FIELDS = (
    "title",
    "title_fr",
    "quote",
    "announced_on",
    "due_on",
    "status",
    "progress",
    "slip_reason",
    "dialogue",
    "source__title",
    "source__publisher",
    "source__published_on",
    "source__url",
    "source__language",
)
# The list's filters a briefing narrows by, with the list's meaning (tracker/filters.py).
FILTER_NAMES = ("theme", "agency", "country")
DUE_AHEAD_DAYS = 90  # "due next": the summary lists what falls due within this many days
CHART_MONTHS = 12  # the status chart shows at most the last 12 months of a long period, as the time pages do
LONG_DATE = "j F Y"  # the briefing's long dates (a due date, the cover's period): "30 June 2022"
SHORT_DATE = "SHORT_DATE_FORMAT"  # and its short ones, in lists and bylines (config/formats/<language>)


# What an item's facts say, translated once per briefing (Words.term, Words.label).
NEW_IN_PERIOD = gettext_noop("(announced in the period)")
NO_DUE_DATE = gettext_noop("No due date")
LEAD = gettext_noop("lead")
PARTNERS = gettext_noop("partners")
PROGRESS = gettext_noop("Progress")
REASON = gettext_noop("Reason for slippage")
DUE = gettext_noop("Due")
AGENCIES = gettext_noop("Agencies")
STATUS = gettext_noop("Status")
ASSESSMENTS = gettext_noop("Assessments")
ONLINE = gettext_noop("Online")
BLOCKED_BY = gettext_noop("Blocked by")
BLOCKED_BY_LABEL = gettext_noop("Blocked by:")  # in the summary's list of what is blocked
DUE_DAY = gettext_noop("due %(day)s")  # a blocker's due date: "due 30/06/2022"


def _label(message: str) -> str:
    return colon(_(message))


def _choice_label(choices, value: str) -> str:
    return str(choices(value).label)


class BriefingAgency(NamedTuple):
    """An agency as the briefing shows it (its name, its slug in the form), read as values: a
    dialogue at 100,000 commitments has a thousand agencies, and a model instance of each cost the
    page about 8 ms (17 ms built by keyword). `label` is its name as Agency writes it, written once
    (of_row) for the hundreds of commitments that name it."""

    pk: int
    slug: str
    name: str
    acronym: str
    country: str
    label: str

    @classmethod
    def of_row(cls, pk: int, slug: str, name: str, acronym: str, country: str) -> "BriefingAgency":
        return cls(pk, slug, name, acronym, country, agency_label(name, acronym, country))

    def __str__(self) -> str:
        return self.label


class Words:
    """Words of the reader's language, each written once per briefing: its hundreds of items share a
    few dozen days (the round's, the due dates), 101 percentages, six statuses and a few labels, and
    translating or formatting one costs more than looking it up. `term` and `label` take one of the
    messages below, marked with gettext_noop so that makemessages finds them."""

    def __init__(self):
        self._written: dict[tuple, str] = {}
        self._date_writers: dict[str, object] = {}

    def _once(self, key: tuple, write, *args) -> str:
        """`write(*args)`, written once per `key` (no closure made for each of thousands of lookups)."""
        written = self._written.get(key)
        if written is None:
            written = self._written[key] = write(*args)
        return written

    def term(self, message: str) -> str:
        """`message` in the reader's language."""
        return self._once(("term", message), _, message)

    def label(self, message: str) -> str:
        """`message` translated, with its colon: "Due:", "Échéance :"."""
        return self._once(("label", message), _label, message)

    def colon(self, text: str) -> str:
        """A name (already in the reader's language) with its colon: "France :"."""
        return self._once(("colon", text), colon, text)

    @cached_property
    def semicolon(self) -> str:
        """What separates parts that hold commas themselves: "; ", " ; " in French."""
        return _("; ")

    def join(self, parts) -> str:
        """Parts that hold commas themselves, joined: "a; b", "a ; b"."""
        return self.semicolon.join(parts)

    def choice(self, choices, value: str) -> str:
        """A value of TextChoices (a status, a reason for slippage) in words."""
        return self._once(("choice", choices.__name__, value), _choice_label, choices, value)

    def due(self, day: datetime.date) -> str:
        """A due date in a list: "due 30/06/2022", "échéance le 30/06/2022"."""
        return self._once(("due", day), self._write_due, day)

    def _write_due(self, day: datetime.date) -> str:
        return _(DUE_DAY) % {"day": self.day(day)}

    def day(self, day: datetime.date | None, name: str = SHORT_DATE) -> str:
        if day is None:
            return ""
        return self._once(("day", day, name), self._write_day, day, name)

    def _write_day(self, day: datetime.date, name: str) -> str:
        return self._date_writer(name)(day)

    def _date_writer(self, name: str):
        """One writer per format, its format read and parsed once (a briefing writes hundreds of
        different days: the updates' and the due dates)."""
        writer = self._date_writers.get(name)
        if writer is None:
            writer = self._date_writers[name] = date_writer(name)
        return writer

    def percent(self, value: int) -> str:
        return self._once(("percent", value), percent, value)

    def person(self, user) -> str:
        """Who wrote an update or made an assessment: the full name, else the login."""
        return self._once(("person", user.pk), person, user)


def commitment_path_pattern() -> tuple[str, str]:
    """A commitment page's path around its id, reversed once for the hundreds a briefing links to."""
    before, after = reverse("tracker:commitment_detail", args=[0]).rsplit("0", 1)
    return before, after


@dataclass(frozen=True)
class Period:
    """What the briefing covers: changes after the end of `start` up to the end of `end`.

    `since_round` is the round `start` is the date of (None when a date was given, or no round has
    been held); `latest_round` the latest round held by `end`, whose assessments count."""

    start: datetime.date
    end: datetime.date
    since_round: Round | None
    latest_round: Round | None
    as_of: datetime.date | None  # None: the briefing is about today

    @property
    def days(self) -> int:
        return (self.end - self.start).days


@dataclass(frozen=True)
class Blocker:
    pk: int
    title: str
    status: str
    progress: int
    due_on: datetime.date | None
    troubling: bool  # off track, at risk or overdue on the period's end (rules.is_troubling_blocker)
    title_fr: str = ""

    @property
    def status_label(self) -> str:
        return Status(self.status).label


@dataclass
class Side:
    """A party's cell for one commitment, with the party's name, in words once for every format.
    Not frozen: a frozen dataclass sets each field through object.__setattr__, and a briefing makes
    two per commitment."""

    name: str
    cell: Cell
    label: str = ""  # the name with its colon: "United States:"
    byline: str = ""  # who assessed it and when: "Ann Lee, 1 Sep 2024" ("" when not assessed)

    @property
    def verdict(self) -> str:
        """The party and its score: "United States: +1 Full compliance"."""
        return f"{self.label} {self.cell.face}"

    @property
    def rationale(self) -> str:
        return self.cell.assessment.rationale if self.cell.assessment else ""

    @property
    def words(self) -> str:
        """The whole side in a line: "United States: +1 Full compliance — Archive opened. (Ann Lee, 1 Sep 2024)"."""
        return f"{self.verdict} — {self.rationale} ({self.byline})" if self.byline else self.verdict


@dataclass(frozen=True)
class UpdateLine:
    """An update of the period in words: the day, who reported it, the status and progress, the text."""

    day: str
    author: str
    status: str
    progress: str
    text: str

    @property
    def words(self) -> str:
        """The whole update in a line: "1 Jun 2024 · Ann Lee · On track 50% — Half shared."."""
        return f"{self.day} · {self.author} · {self.status} {self.progress} — {self.text}"


@dataclass
class Item:
    """One commitment in the briefing: its state then and now, both sides' assessments, the period's
    updates and what blocks it."""

    commitment: Commitment  # as it stood on the period's end (status, progress, is_blocked)
    then: DayState | None  # None: announced after the period's start
    cells: list[Cell] = field(default_factory=list)  # in the dialogue's party order
    updates: list[StatusUpdate] = field(default_factory=list)
    blockers: list[Blocker] = field(default_factory=list)
    leads: list[BriefingAgency] = field(default_factory=list)
    partners: list[BriefingAgency] = field(default_factory=list)
    parties: list[tuple[str, str]] = field(default_factory=list)  # (code, name), the dialogue's
    path: str = ""  # the commitment's page, without the site's address
    site: str = ""  # the site's address ("https://tracker.example"), to write links out in full
    words: Words = field(default_factory=Words)  # shared by the briefing's items

    # What every format shows of the item, in words, worked out once here: the page renders
    # hundreds of items, and each lookup a template makes costs more than the Python behind it.

    @property
    def pk(self) -> int:
        return self.commitment.pk

    @cached_property
    def title(self) -> Localized:
        return self.commitment.localized("title")

    @property
    def quote(self) -> str:
        return self.commitment.quote

    @property
    def quote_language(self) -> str:
        """The language of the quote: its source's (quotes are never translated)."""
        source = self.commitment.source
        return source.language if source else ""

    @property
    def lead_names(self) -> str:
        return ", ".join(agency.label for agency in self.leads)

    @property
    def partner_names(self) -> str:
        return ", ".join(agency.label for agency in self.partners)

    @cached_property
    def status_words(self) -> str:
        """The status then and now: "On track → At risk", or "(announced in the period) On track"."""
        if self.then:
            return f"{self.then_status_label} → {self.status_label}"
        return f"{self.words.term(NEW_IN_PERIOD)} {self.status_label}"

    @cached_property
    def progress_words(self) -> str:
        now = self.words.percent(self.commitment.progress)
        return f"{self.words.percent(self.then.progress)} → {now}" if self.then else now

    @cached_property
    def due_words(self) -> str:
        due_on = self.commitment.due_on
        return self.words.day(due_on, LONG_DATE) if due_on else self.words.term(NO_DUE_DATE)

    @cached_property
    def due_short(self) -> str:
        return self.words.day(self.commitment.due_on)

    @cached_property
    def agencies_words(self) -> str:
        """The lead and partner agencies: "NASA (lead); CNES, ESA (partners)"; "" for none."""
        parts = []
        if self.leads:
            parts.append(f"{self.lead_names} ({self.words.term(LEAD)})")
        if self.partners:
            parts.append(f"{self.partner_names} ({self.words.term(PARTNERS)})")
        return self.words.join(parts)

    @cached_property
    def facts_words(self) -> str:
        """The facts after the status, one "Label: value" pair after another: progress, reason for
        slippage, due date, agencies (the page shows what blocks it and its address after them)."""
        label = self.words.label
        pairs = [f"{label(PROGRESS)} {self.progress_words}"]
        if self.slip_reason_label:
            pairs.append(f"{label(REASON)} {self.slip_reason_label}")
        pairs.append(f"{label(DUE)} {self.due_words}")
        if self.agencies_words:
            pairs.append(f"{label(AGENCIES)} {self.agencies_words}")
        return self.words.join(pairs)

    @cached_property
    def sides(self) -> list[Side]:
        sides = []
        for (_code, name), cell in zip(self.parties, self.cells, strict=True):
            a = cell.assessment
            byline = f"{a.assessor}, {self.words.day(a.assessed_on)}" if a else ""
            sides.append(Side(name, cell, self.words.colon(name), byline))
        return sides

    @cached_property
    def assessments_words(self) -> str:
        return self.words.join(side.words for side in self.sides)

    @cached_property
    def update_lines(self) -> list[UpdateLine]:
        return [
            UpdateLine(
                self.words.day(u.reported_on),
                self.words.person(u.author),
                self.words.choice(Status, u.status),
                self.words.percent(u.progress),
                u.text,
            )
            for u in self.updates
        ]

    @property
    def url(self) -> str:
        """The commitment's page, the site's address written out (for paper and files)."""
        return f"{self.site}{self.path}"

    @cached_property
    def shown(self) -> dict:
        """What the page prints of the item (_briefing_items.html), as a dict. A template looks each
        name up in a dict first and reads an object's attribute only once that lookup has failed;
        with hundreds of items and a dozen values each, the failed lookups cost the 500-commitment
        page about 8 ms. Labels and separators are joined to their text here, not printed beside
        it: every value the template prints costs a lookup and an escape (about 3 µs each, 500
        times over). The facts line is one text from the status to the link, cut only where a
        blocker's title may need its own `lang` (shown_blockers); the title's `lang` is given only
        when it is not the page's language. All of it is text: the template escapes it."""
        words = self.words
        title = self.title
        online = f"{words.semicolon}{words.label(ONLINE)}"
        blockers = self.shown_blockers(online)
        return {
            "pk": str(self.pk),  # text: an int would go through number formatting 500 times
            "title": title.text,
            "title_lang": title.lang if title.foreign else "",
            "quote": self.quote,
            "quote_language": self.quote_language,
            "status_line": f"{words.label(STATUS)} {self.status_words}",
            "facts_line": f"{words.semicolon}{self.facts_words}{'' if blockers else online}",
            "blockers": blockers,
            "url": self.url,
            "assessments_line": f"{words.label(ASSESSMENTS)} {self.assessments_words}",
            "update_lines": [line.words for line in self.update_lines],
        }

    def shown_blockers(self, after_last: str) -> list[dict]:
        """The facts line's "; Blocked by: ⊘ Title — Off track, due 1/2/2025; …" in pieces, each
        blocker's title apart (it is in English on a French page when it has no French) with the
        words before and after it; `after_last` ends the last one (the "; Online:" label)."""
        words = self.words
        last = len(self.blockers) - 1
        pieces = []
        for place, blocker in enumerate(self.blockers):
            before = f"{words.semicolon}{words.label(BLOCKED_BY)} " if place == 0 else ""
            title = localized_value(blocker, "title")
            due = f", {words.due(blocker.due_on)}" if blocker.due_on else ""
            pieces.append(
                {
                    "before": f"{before}⊘ " if blocker.troubling else before,
                    "title": title,
                    "after": f" — {words.choice(Status, blocker.status)}{due}"
                    f"{after_last if place == last else words.semicolon}",
                }
            )
        return pieces

    def listed(self, *, show_due: bool = False, show_blockers: bool = False) -> dict:
        """What one of the summary's lists prints of the item (_briefing_list.html), as a dict like
        `shown`: its title (with its `lang` when not the page's), then the words after it in one
        text ("— At risk, due 1/2/2025, funding", ". Blocked by:" when it lists blockers), then each
        troubling blocker's title and "(at risk)"."""
        words = self.words
        title = self.title
        after = f" — {self.status_label}"
        if show_due:
            after += f", {words.due(self.commitment.due_on)}"
        if self.slip_reason_label:
            after += f", {self.slip_reason_label.lower()}"
        blockers = []
        if show_blockers:
            after += f". {words.term(BLOCKED_BY_LABEL)} "
            troubling = self.troubling_blockers
            for place, blocker in enumerate(troubling, start=1):
                status = words.choice(Status, blocker.status).lower()
                blockers.append(
                    {
                        "title": localized_value(blocker, "title"),
                        "after": f" ({status}){words.semicolon if place < len(troubling) else ''}",
                    }
                )
        return {
            "pk": str(self.pk),
            "title": title.text,
            "title_lang": title.lang if title.foreign else "",
            "after": after,
            "blockers": blockers,
        }

    @property
    def troubling_blockers(self) -> list[Blocker]:
        """The blockers that make it blocked: off track, at risk or overdue."""
        return [b for b in self.blockers if b.troubling]

    @property
    def is_new(self) -> bool:
        return self.then is None

    @property
    def status_label(self) -> str:
        """The status now in words (Status.label: get_status_display rebuilds the field's choices on
        every call, which a 500-commitment briefing felt)."""
        return self.words.choice(Status, self.commitment.status)

    @property
    def then_status_label(self) -> str:
        return self.words.choice(Status, self.then.status) if self.then else ""

    @property
    def movement(self) -> str:
        """rules.movement from the period's start (a new commitment starts not started, at 0 %)."""
        status, progress = (self.then.status, self.then.progress) if self.then else (Status.NOT_STARTED, 0)
        c = self.commitment
        return rules.movement(status, progress, c.status, c.progress)

    @property
    def slipped(self) -> bool:
        return self.movement == rules.SLIPPED

    @property
    def slip_reason_label(self) -> str:
        reason = self.commitment.slip_reason
        return self.words.choice(rules.SlipReason, reason) if reason else ""


@dataclass
class StatusChange:
    value: str
    label: str
    now: int
    then: int

    @property
    def change(self) -> int:
        return self.now - self.then

    @property
    def change_words(self) -> str:
        """The change with its sign, as scores are written: "+2", "0", "−8"."""
        return signed(self.change)


@dataclass
class Section:
    """One objective (or governance, or "Other") and its commitments, in the briefing's order."""

    group: ObjectiveGroup
    anchor: str

    @property
    def title(self) -> Localized:
        """The objective's name in the reader's language (with the language it is in)."""
        if self.group.theme:
            return self.group.theme.localized("name")
        return localized_text(str(_("Other commitments")), base_language=active_language())

    @property
    def items(self) -> list[Item]:
        return self.group.rows

    @property
    def shown_items(self) -> list[dict]:
        return [item.shown for item in self.items]


@dataclass
class Passage:
    commitment: Commitment
    quote: str


@dataclass
class SourcePassages:
    source: SourceDocument
    passages: list[Passage]


class FilterProblem(ValueError):
    """A filter value the briefing cannot use; the message says which and why."""


def filter_data(query_dict) -> QueryDict:
    """Only the briefing's filters from a query string."""
    data = QueryDict(mutable=True)
    for name in FILTER_NAMES:
        data.setlist(name, [v for v in query_dict.getlist(name) if v.strip()])
    return data


def month_ends_between(start: datetime.date, end: datetime.date, most: int = CHART_MONTHS) -> list:
    """The last day of each month from `start`'s month to `end`'s (the last one being `end` itself),
    at most the `most` latest."""
    ends = []
    year, month = start.year, start.month
    while (year, month) < (end.year, end.month):
        next_first = datetime.date(year + month // 12, month % 12 + 1, 1)
        ends.append(next_first - datetime.timedelta(days=1))
        year, month = next_first.year, next_first.month
    ends.append(end)
    return ends[-most:]


def status_by_month(items: list[Item], ends: list[datetime.date]) -> list[MonthMix]:
    """The items counted by status at each of `ends`, from what the briefing already holds: each
    item's state at the period's start and its updates in the period (no query of its own)."""
    months = [MonthMix(end, dict.fromkeys(Status.values, 0)) for end in ends]
    for item in items:
        announced = item.commitment.announced_on
        status = item.then.status if item.then else Status.NOT_STARTED
        progress = item.then.progress if item.then else 0
        updates = iter(item.updates)
        update = next(updates, None)
        for month in months:
            while update is not None and update.reported_on <= month.end:
                status, progress = update.status, update.progress
                update = next(updates, None)
            if announced <= month.end:
                month.counts[status] += 1
                month.progress_sum += progress
    return months


class Briefing:
    """A dialogue's briefing for `period`, narrowed by `query_dict`'s theme, agency and country."""

    def __init__(self, dialogue: Dialogue, period: Period, query_dict=None, site: str = ""):
        self.dialogue = dialogue
        self.site = site  # the site's address, for the links every format writes out in full
        self.period = period
        self.query_dict = filter_data(query_dict or QueryDict())
        day = period.as_of
        self.filterset = CommitmentFilter(
            self.query_dict,
            queryset=Commitment.objects.as_of(day)
            .with_blocked(day)
            .filter(dialogue=dialogue)
            .select_related("source")
            .only(*COMMITMENT_FIELDS),
            day=day,
        )
        self.valid = self.filterset.is_valid()
        self.words = Words()

    # --- the filters --------------------------------------------------------------------------

    @cached_property
    def themes(self):
        return dialogue_themes(self.dialogue)

    @cached_property
    def participations(self) -> list[tuple[int, str, BriefingAgency]]:
        """(commitment id, role, agency) for every agency's part in the dialogue's commitments (1
        query): the agencies the form offers, and each commitment's lead and partner agencies.
        Read as values, one BriefingAgency made per agency: a 500-commitment dialogue has thousands
        of participations but a few dozen to a thousand agencies."""
        rows = (
            Participation.objects.filter(commitment__dialogue=self.dialogue)
            .order_by("role", "agency__country", "agency__name")
            .values_list(
                "commitment_id",
                "role",
                "agency_id",
                "agency__slug",
                "agency__name",
                "agency__acronym",
                "agency__country",
            )
        )
        agencies: dict[int, BriefingAgency] = {}
        parts = []
        for commitment_id, role, *agency_row in rows:
            agency = agencies.get(agency_row[0])
            if agency is None:
                agency = agencies[agency_row[0]] = BriefingAgency.of_row(*agency_row)
            parts.append((commitment_id, role, agency))
        return parts

    @cached_property
    def agencies(self) -> list[BriefingAgency]:
        unique = {agency.pk: agency for _commitment, _role, agency in self.participations}
        return sorted(unique.values(), key=lambda a: (a.country, a.name))

    @cached_property
    def parties(self) -> list[tuple[str, str]]:
        return party_names(self.dialogue)

    @cached_property
    def countries(self) -> list[tuple[str, str]]:
        """(code, name): the dialogue's parties, then any other country an agency comes from."""
        codes = [code for code, _name in self.parties]
        codes += sorted({a.country for a in self.agencies} - set(codes))
        return [(code, country_name(code)) for code in codes]

    @cached_property
    def chosen(self) -> dict[str, list[str]]:
        return {name: self.query_dict.getlist(name) for name in FILTER_NAMES}

    def _options(self, name: str, choices) -> list[dict]:
        """The choices of one of the form's lists: each its value, its words ("label") and whether
        the request chose it ("selected"). Dicts, not objects: the template reads three values of
        each of up to a thousand agencies, and it tries a dict lookup before an attribute."""
        chosen = set(self.chosen[name])
        return [{"value": value, "label": label, "selected": value in chosen} for value, label in choices]

    @property
    def theme_options(self) -> list[dict]:
        return self._options("theme", ((t.slug, localized_value(t, "name").text) for t in self.themes))

    @property
    def agency_options(self) -> list[dict]:
        """The dialogue's agencies, each with its country's name (a few dozen to a thousand)."""
        countries = dict(self.countries)
        return self._options(
            "agency", ((a.slug, f"{a.label} · {countries[a.country]}") for a in self.agencies)
        )

    @property
    def country_options(self) -> list[dict]:
        return self._options("country", self.countries)

    @cached_property
    def problems(self) -> list[str]:
        """What in the filters cannot be used: a malformed value, or one that names nothing in this
        dialogue (the briefing says so rather than print an empty document)."""
        if not self.valid:
            return self.filterset.problems()
        known = {
            "theme": {t.slug: t.name for t in self.themes},
            "agency": {a.slug: a.name for a in self.agencies},
            "country": dict(self.countries),
        }
        words = {
            "theme": _("No objective “%(value)s” in this dialogue."),
            "agency": _("No agency “%(value)s” takes part in this dialogue."),
            "country": _("No agency of country “%(value)s” takes part in this dialogue."),
        }
        return [
            words[name] % {"value": value[:60]}
            for name in FILTER_NAMES
            for value in self.chosen[name]
            if value not in known[name]
        ]

    @property
    def filter_words(self) -> list[str]:
        """The chosen filters in words, for the cover and every format's header."""
        names = {
            "theme": {t.slug: t.name for t in self.themes},
            "agency": {a.slug: str(a) for a in self.agencies},
            "country": dict(self.countries),
        }
        headings = {"theme": _("Objective"), "agency": _("Agency"), "country": _("Country")}
        return [
            f"{headings[name]}: {', '.join(names[name].get(v, v) for v in values)}"
            for name, values in self.chosen.items()
            if values
        ]

    @property
    def is_filtered(self) -> bool:
        return any(self.chosen.values())

    # --- the commitments ----------------------------------------------------------------------

    @cached_property
    def chosen_commitments(self):
        if self.problems:
            return Commitment.objects.none()
        return self.filterset.qs.order_by("announced_on", "id")

    @cached_property
    def _ids(self):
        """The chosen commitments as a subquery, for the reads that follow them."""
        return self.chosen_commitments.order_by().values("pk")

    @cached_property
    def items(self) -> list[Item]:
        commitments = list(self.chosen_commitments)
        if not commitments:
            return []
        then = states_on(self.period.start, Commitment.objects.filter(pk__in=self._ids))
        before, after = commitment_path_pattern()
        items = [
            Item(
                c,
                then.get(c.pk),
                parties=self.parties,
                path=f"{before}{c.pk}{after}",
                site=self.site,
                words=self.words,
            )
            for c in commitments
        ]
        by_pk = {item.commitment.pk: item for item in items}
        self._add_agencies(by_pk)
        self._add_updates(by_pk)
        self._add_assessments(items)
        self._add_blockers(by_pk)
        return items

    def _add_agencies(self, by_pk: dict[int, Item]) -> None:
        for commitment_id, role, agency in self.participations:
            item = by_pk.get(commitment_id)
            if item:
                (item.leads if role == Role.LEAD else item.partners).append(agency)

    def _add_updates(self, by_pk: dict[int, Item]) -> None:
        """The updates reported in the period, oldest first (1 query)."""
        updates = (
            StatusUpdate.objects.counting()
            .filter(
                commitment__in=self._ids,
                reported_on__gt=self.period.start,
                reported_on__lte=self.period.end,
            )
            .select_related("author")
            .order_by("reported_on", "created_at", "id")
        )
        for update in updates:
            by_pk[update.commitment_id].updates.append(update)

    def _add_assessments(self, items: list[Item]) -> None:
        """Each side's assessment that counts at the latest round held (1 query)."""
        faces = cell_faces()
        latest_round = self.period.latest_round
        latest = (
            latest_assessment_facts(rounds=[latest_round], commitments=self._ids, day=self.period.as_of)
            if latest_round
            else {}
        )
        round_id = latest_round.pk if latest_round else None
        for item in items:
            for party, _name in self.parties:
                facts = latest.get((item.commitment.pk, party, round_id))
                value = rules.UNASSESSED if facts is None else facts.cell
                item.cells.append(Cell(party, value, faces[value], facts))

    def _add_blockers(self, by_pk: dict[int, Item]) -> None:
        """What each commitment is blocked by, as those stood on the period's end (1 query)."""
        links = (
            Commitment.blocked_by.through.objects.filter(from_commitment__in=self._ids)
            .annotate(**state_expressions(self.period.as_of, commitment="to_commitment"))
            .order_by("to_commitment__announced_on", "to_commitment_id")
            .values_list(
                "from_commitment_id",
                "to_commitment_id",
                "to_commitment__title",
                "to_commitment__due_on",
                STATE_STATUS,
                STATE_PROGRESS,
                "to_commitment__title_fr",
            )
        )
        for blocked_id, pk, title, due_on, status, progress, title_fr in links:
            troubling = rules.is_troubling_blocker(status, due_on, self.period.end)
            by_pk[blocked_id].blockers.append(
                Blocker(pk, title, status, progress, due_on, troubling, title_fr)
            )

    # --- the summary --------------------------------------------------------------------------

    @cached_property
    def status_changes(self) -> list[StatusChange]:
        """Each status: how many commitments had it at the period's end, and at its start."""
        now = defaultdict(int)
        then = defaultdict(int)
        for item in self.items:
            now[item.commitment.status] += 1
            if item.then:
                then[item.then.status] += 1
        return [StatusChange(value, label, now[value], then[value]) for value, label in Status.choices]

    @property
    def total_now(self) -> int:
        return len(self.items)

    @property
    def total_then(self) -> int:
        return sum(1 for item in self.items if item.then)

    @property
    def total_change(self) -> int:
        return self.total_now - self.total_then

    @property
    def total_change_words(self) -> str:
        return signed(self.total_change)

    @cached_property
    def columns(self) -> list[Column]:
        """Each party's average and percentage at the latest round, over the chosen commitments."""
        return [
            Column(party, name, summarize(item.cells[i] for item in self.items))
            for i, (party, name) in enumerate(self.parties)
        ]

    @cached_property
    def overall(self) -> Summary:
        return summarize(cell for item in self.items for cell in item.cells)

    @cached_property
    def slipped(self) -> list[Item]:
        return [item for item in self.items if item.slipped]

    @cached_property
    def due_next(self) -> list[Item]:
        """Open commitments falling due within DUE_AHEAD_DAYS of the period's end, soonest first."""
        end = self.period.end
        horizon = end + datetime.timedelta(days=DUE_AHEAD_DAYS)
        due = [
            item
            for item in self.items
            if item.commitment.due_on
            and end <= item.commitment.due_on <= horizon
            and item.commitment.status not in rules.CLOSED_STATUSES
        ]
        return sorted(due, key=lambda item: (item.commitment.due_on, item.commitment.pk))

    @cached_property
    def overdue(self) -> list[Item]:
        end = self.period.end
        return [
            item
            for item in self.items
            if rules.is_overdue(item.commitment.status, item.commitment.due_on, end)
        ]

    @cached_property
    def blocked(self) -> list[Item]:
        return [item for item in self.items if item.commitment.is_blocked]

    @cached_property
    def listed(self) -> dict[str, list[dict]]:
        """The summary's lists as the page prints them (Item.listed): what slipped, what falls due
        next and what is overdue (with the due date), what is blocked (with its blockers)."""
        return {
            "slipped": [item.listed() for item in self.slipped],
            "due_next": [item.listed(show_due=True) for item in self.due_next],
            "overdue": [item.listed(show_due=True) for item in self.overdue],
            "blocked": [item.listed(show_blockers=True) for item in self.blocked],
        }

    @cached_property
    def n_updates(self) -> int:
        return sum(len(item.updates) for item in self.items)

    @cached_property
    def status_chart(self) -> charts.BarChart | None:
        """Commitments by status at each month's end over the period (the time pages' chart)."""
        if not self.items:
            return None
        months = status_by_month(self.items, month_ends_between(self.period.start, self.period.end))
        return charts.stacked_bars(months, charts.Frame(width=640, height=220))

    # --- the body and the annex ---------------------------------------------------------------

    @cached_property
    def sections(self) -> list[Section]:
        """One section per objective with commitments, then governance, then "Other" (1 query)."""
        links = theme_links(self.dialogue, self._ids) if self.items else {}
        grouped = group_by_objective(self.themes, links, self.items, lambda item: item.commitment)
        return [
            Section(group, f"objective-{group.theme.slug}" if group.theme else "objective-other")
            for group in grouped
            if group.rows
        ]

    @cached_property
    def annex(self) -> list[SourcePassages]:
        """The quoted passages by source document, in order of publication."""
        by_source: dict[int, SourcePassages] = {}
        for item in self.items:
            c = item.commitment
            if c.source_id and c.quote:
                entry = by_source.setdefault(c.source_id, SourcePassages(c.source, []))
                entry.passages.append(Passage(c, c.quote))
        return sorted(by_source.values(), key=lambda s: (s.source.published_on, s.source.pk))

"""The overview: one card per objective (by dialogue, or for one dialogue), what needs attention,
why things slip, the latest updates."""

import datetime
import functools
from collections import Counter
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Subquery,
    Sum,
    Value,
    When,
)
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .. import caching, charts, formatting, links, rules
from ..compiled import CompiledQuery, compile_once
from ..counts import open_status_and_reason_counts, theme_status_counts
from ..models import (
    Commitment,
    CountDimension,
    Dialogue,
    SlipReason,
    Status,
    StatusUpdate,
    Theme,
    is_past,
    localized,
    localized_text,
    state_expressions,
)
from ..models.commitment import day_states_sql, on_day, troubling_blocker_links
from ..models.content import active_language
from ..rules import STATE_LAST_UPDATE, STATE_PROGRESS, STATE_REASON, STATE_STATUS
from .charts import status_months_by_theme
from .common import StatusCount


@dataclass
class DialogueSection:
    """One dialogue's cards on the overview: its announced objectives, and apart from them the
    themes that hold the running of the dialogue itself (governance). `dialogue` is None for
    themes that belong to no dialogue."""

    dialogue: Dialogue | None
    objectives: list[Theme]
    governance: list[Theme]
    # Its heading, ready for the page (heading_display): the dialogue's name in the reader's language,
    # that language when it is not the page's, and the links to its overview and its briefing.
    heading: dict | None = None


@dataclass
class ReasonCount:
    value: str
    label: str
    count: int
    url: str


class DialogueRow(NamedTuple):
    """A dialogue as read for the overview: the switch offers every one, a model instance is made
    only for those shown (dialogue_of)."""

    pk: int
    name: str
    name_fr: str
    slug: str
    announced_on: datetime.date


def dialogue_of(row: DialogueRow) -> Dialogue:
    return Dialogue(
        pk=row.pk, name=row.name, name_fr=row.name_fr, slug=row.slug, announced_on=row.announced_on
    )


@dataclass(frozen=True)
class DialogueChoice:
    """An option of the dialogue switch, ready to print: 200 dialogues are 200 options."""

    slug: str
    name: str  # in the reader's language
    selected: bool


class ThemeRow(NamedTuple):
    """A theme as read for the overview: a model instance is made only for the cards shown
    (theme_of), not for every theme (making 1,200 of them took longer than the page's budget)."""

    order: int
    name: str
    pk: int
    name_fr: str
    slug: str
    kind: str
    dialogue_id: int | None


def theme_of(row: ThemeRow) -> Theme:
    return Theme(
        pk=row.pk,
        name=row.name,
        name_fr=row.name_fr,
        slug=row.slug,
        order=row.order,
        kind=row.kind,
        dialogue_id=row.dialogue_id,
    )


@dataclass
class PastFigures:
    """A past day's cards, attention counts and the ids of its list of ten (see past_figures)."""

    counts: Counter  # commitments by (theme id, status)
    progress: Counter  # summed progress by theme id
    attention: dict[str, int]  # as attention_summary gives
    chosen: list[int]  # the ids attention_list would choose, in no order


# The columns every part of past_figures' statement gives after its kind: an id, a status, a
# reason, a count and three more numbers. Typed NULLs: PostgreSQL types an untyped NULL of the
# first part as text, which a later part's id then does not match.
NO_ID, NO_TEXT = "CAST(NULL AS bigint)", "CAST(NULL AS text)"
PAST_PARTS = {
    "card": f"theme_id, {{status}}, {NO_TEXT}, n, progress, 0, 0",
    "open": f"{NO_ID}, {{status}}, {{reason}}, n, overdue, stale, due_soon",
    "blocked": f"{NO_ID}, {NO_TEXT}, {NO_TEXT}, n, 0, 0, 0",
    "chosen": f"id, {NO_TEXT}, {NO_TEXT}, 0, 0, 0, 0",
}


# How many dialogues' cards the overview of every dialogue shows at a time, newest first: about 30
# cards. Drawing every card made the page's work grow with the number of dialogues (1,200 cards,
# half a second, at 200 dialogues), and nobody reads a page that long; the switch reaches any one.
DIALOGUES_PER_PAGE = 5


class Overview(caching.CachedPage):
    """The overview's figures on `day`, for one dialogue (its slug in `dialogue`) or all of them,
    each computed only if the cached page body is missing (5 queries).

    Every dialogue's cards come a page of dialogues at a time (`page`, DIALOGUES_PER_PAGE); what
    needs attention, why things slip and the latest updates are of every dialogue, on every page.
    An unknown dialogue is not an error that empties the page: the overview says that nothing is
    called that and shows every dialogue, as the list names a filter value it does not know; a page
    number that is not one shows the first page, one past the end the last (as the list does).
    """

    def __init__(
        self,
        day: datetime.date | None = None,
        dialogue: list[str] | str | None = None,
        page: str | None = None,
    ):
        self.day = day
        self.asked = [dialogue] if isinstance(dialogue, str) else list(dialogue or [])
        self.asked_page = page or ""

    def cache_parts(self) -> tuple:
        return (tuple(self.asked), self.asked_page[:20])

    # Today the figures are counted in SQL from the stored state (and the maintained counts); for a
    # past day, in one statement from every commitment's state then, read once (past_figures).

    @cached_property
    def _dialogues_and_themes(self) -> tuple[list[DialogueRow], list[ThemeRow]]:
        return dialogues_and_themes()

    @property
    def dialogues(self) -> list[DialogueRow]:
        """Every dialogue, newest first."""
        return self._dialogues_and_themes[0]

    @cached_property
    def dialogue(self) -> Dialogue | None:
        """The dialogue asked for, or None for all of them (also when the one asked for is unknown)."""
        if len(self.asked) != 1:
            return None
        return next((dialogue_of(d) for d in self.dialogues if d.slug == self.asked[0]), None)

    @cached_property
    def dialogue_choices(self) -> list[DialogueChoice]:
        """The switch's options: every dialogue, newest first, the one shown selected."""
        chosen = self.dialogue.pk if self.dialogue else None
        language = active_language()  # read once for every name, not once a name
        return [
            DialogueChoice(d.slug, localized_text(d.name, d.name_fr, language=language).text, d.pk == chosen)
            for d in self.dialogues
        ]

    @property
    def dialogue_id(self) -> int | None:
        return self.dialogue.pk if self.dialogue else None

    @cached_property
    def problem(self) -> str:
        """Why the dialogue asked for is not the one shown ("" when it is)."""
        if len(self.asked) > 1:
            return _("Choose one dialogue at a time: showing all dialogues.")
        if self.asked and self.dialogue is None and self.asked[0]:
            return _("No dialogue is called “%(slug)s”: showing all dialogues.") % {
                "slug": self.asked[0][:100]
            }
        return ""

    @cached_property
    def past(self) -> PastFigures:
        """The past day's cards, attention counts and list of ten (1 query)."""
        return past_figures(self.day, self.dialogue_id, [theme.pk for theme in self.shown_themes])

    @cached_property
    def themes(self) -> list[Theme]:
        """The cards shown, in order: the dialogue's own themes, or every theme."""
        shown = self.shown_themes
        if is_past(self.day):
            counts, progress = self.past.counts, self.past.progress
        else:
            counts, progress = theme_counts(self.day, self.dialogue_id, [theme.pk for theme in shown])
        return cards(shown, counts, progress)

    @cached_property
    def shown_themes(self) -> list[Theme]:
        """The themes whose cards are shown: the dialogue's, or those of the page's dialogues."""
        rows = self._dialogues_and_themes[1]
        if self.dialogue:
            shown = {self.dialogue.pk}
        else:
            shown = set(self.dialogue_page.object_list) if self.dialogue_page else set()
        return [theme_of(row) for row in rows if row.dialogue_id in shown]

    @cached_property
    def dialogue_page(self) -> Page | None:
        """The page of dialogues whose cards are shown (their ids; None for the themes of no
        dialogue, last), when every dialogue is asked for; None for one dialogue."""
        if self.dialogue:
            return None
        with_themes = {row.dialogue_id for row in self._dialogues_and_themes[1]}
        sections = [dialogue.pk for dialogue in self.dialogues if dialogue.pk in with_themes]
        if None in with_themes:
            sections.append(None)
        return Paginator(sections, DIALOGUES_PER_PAGE).get_page(self.asked_page)

    @property
    def page_number(self) -> int | None:
        """The page of dialogues shown, for links that must show the same cards (None: the first)."""
        page = self.dialogue_page
        return page.number if page and page.number > 1 else None

    @cached_property
    def sections(self) -> list[DialogueSection]:
        """The cards by dialogue (one section for the dialogue chosen), governance apart; themes of
        no dialogue last. Two dialogues' objectives of the same name stay two cards."""
        by_dialogue: dict[int | None, list[Theme]] = {}
        card_display(self.themes, self.day, self.dialogue)
        for theme in self.themes:
            by_dialogue.setdefault(theme.dialogue_id, []).append(theme)
        sections = [
            section(self.dialogue or dialogue_of(dialogue), by_dialogue[dialogue.pk])
            for dialogue in self.dialogues
            if dialogue.pk in by_dialogue
        ]
        if None in by_dialogue:
            sections.append(section(None, by_dialogue[None]))
        heading_display(sections, self.day)
        return sections

    @cached_property
    def attention(self) -> dict[str, int]:
        if is_past(self.day):
            return self.past.attention
        return attention_summary(self.day, self.dialogue_id)

    @cached_property
    def reasons(self) -> list[ReasonCount]:
        """Open commitments by the reason their latest update gave for slipping, each linked to the
        list of them (open and slipped is at risk or off track: discontinued is closed)."""
        base = reverse("tracker:commitment_list")
        chosen = [("dialogue", self.dialogue.slug)] if self.dialogue else []
        slipping = [
            ("status", status) for status in rules.SLIP_STATUSES if status not in rules.CLOSED_STATUSES
        ]
        return [
            ReasonCount(
                value,
                label,
                self.attention.get(f"reason_{value}", 0),
                f"{base}?{urlencode([('reason', value), *slipping, *chosen])}",
            )
            for value, label in SlipReason.choices
        ]

    @cached_property
    def attention_list(self):
        if is_past(self.day):
            rows = Commitment.objects.as_of(self.day).select_related("dialogue").in_bulk(self.past.chosen)
            return in_attention_order(rows.values(), self.day)
        troubled = {status: self.attention[status] for status in rules.TROUBLED_STATUSES}
        return list(attention_list(self.day, self.dialogue_id, troubled=troubled))

    @cached_property
    def latest_updates(self):
        return list(latest_updates(self.day, self.dialogue_id))

    @cached_property
    def attention_rows(self) -> list[dict]:
        """attention_list as the page prints it (see ListWriter); today read as rows, not models."""
        writer = ListWriter(self.day)
        if is_past(self.day):
            return [writer.commitment(commitment) for commitment in self.attention_list]
        troubled = {status: self.attention[status] for status in rules.TROUBLED_STATUSES}
        return [writer.attention_row(row) for row in attention_rows(self.day, self.dialogue_id, troubled)]

    @cached_property
    def latest_rows(self) -> list[dict]:
        """latest_updates as the page prints it (see ListWriter); today read as rows, not models."""
        writer = ListWriter(self.day)
        if is_past(self.day):
            return [writer.update(update) for update in self.latest_updates]
        return [writer.update_row(row) for row in update_rows(self.day, self.dialogue_id)]

    @cached_property
    def chart_themes(self) -> list[Theme]:
        """The themes in card order, for the charts (1 query): they are drawn on their own request."""
        return self.shown_themes

    @cached_property
    def status_charts(self) -> dict:
        """Each theme's small chart of its status mix over the last 12 months, by theme id (3 queries)."""
        frame = charts.Frame(240, 64, left=2, right=2, top=4, bottom=16)
        return {
            theme_id: charts.stacked_bars(months, frame)
            for theme_id, months in status_months_by_theme(self.day, self.dialogue_id).items()
        }


class ListWriter:
    """What the overview prints of its two short lists, what needs attention and the latest updates,
    as text in dicts the template only prints (as card_display does for the cards): each link from a
    pattern reversed once, titles and names in the reader's language read once, the status labels,
    flags, percentages and dates written here. Through the template's tags and filters ({% dated %}
    of get_absolute_url, {% localized %}, {% status_badge %}, {% flags %}, |percent, |date), the 18
    rows cost about as much as the 30 cards."""

    def __init__(self, day: datetime.date | None):
        self.day = day
        self.language = active_language()
        self._labels = {value: str(label) for value, label in Status.choices}
        self._page = links.id_reverser("tracker:commitment_detail")
        self._day = formatting.date_writer("SHORT_DATE_FORMAT")
        self._overdue, self._stale = _("Overdue"), _("Stale")

    def text(self, item, field: str) -> tuple[str, str]:
        """`item`'s `field` for the reader and, when not in the page's language, the language it is
        in (as {% localized %} marks it)."""
        return self.shown(item.localized(field, self.language))

    def row_text(self, english: str, french: str) -> tuple[str, str]:
        """text() of a row's column and its French (titles and names of dialogues are English)."""
        return self.shown(localized_text(english, french, language=self.language))

    @staticmethod
    def shown(text) -> tuple[str, str]:
        return text.text, text.lang if text.foreign else ""

    def link(self, commitment) -> tuple[str, str, str]:
        title, lang = self.text(commitment, "title")
        return links.dated(self._page(commitment.pk), self.day), title, lang

    def commitment(self, commitment) -> dict:
        """A commitment that needs attention (a model: a past day's)."""
        return self.attention_dict(
            self.link(commitment),
            commitment.status,
            commitment.is_overdue,
            commitment.is_stale,
            self.text(commitment.dialogue, "name"),
        )

    def attention_row(self, row: "AttentionRow") -> dict:
        """A commitment that needs attention, read as a row (today's)."""
        day = self.day or timezone.localdate()
        return self.attention_dict(
            (links.dated(self._page(row.pk), self.day), *self.row_text(row.title, row.title_fr)),
            row.status,
            rules.is_overdue(row.status, row.due_on, day),
            rules.is_stale(row.status, row.last_update_on, row.announced_on, day),
            self.row_text(row.dialogue_name, row.dialogue_name_fr),
        )

    def linked_status(self, link, status: str) -> dict:
        """What both lists' rows start with: the commitment's link and title (`link`: url, title and
        the title's language when not the page's) and the status, with its label."""
        url, title, title_lang = link
        return {
            "url": url,
            "title": title,
            "title_lang": title_lang,
            "status": status,
            "status_label": self._labels[status],
        }

    def attention_dict(self, link, status: str, overdue: bool, stale: bool, dialogue) -> dict:
        """Its link and title, status, flags (overdue and stale: these rows are not read with whether
        they are blocked) and dialogue."""
        flags = (("overdue", self._overdue, overdue), ("stale", self._stale, stale))
        return {
            **self.linked_status(link, status),
            "flags": [(kind, label) for kind, label, shown in flags if shown],
            "dialogue": dialogue[0],
            "dialogue_lang": dialogue[1],
        }

    def update(self, update) -> dict:
        """One of the latest updates (a model: a past day's)."""
        return self.update_dict(
            self.link(update.commitment),
            update.status,
            update.progress,
            update.reported_on,
            update.author.get_username(),
        )

    def update_row(self, row: "UpdateRow") -> dict:
        """One of the latest updates, read as a row (today's)."""
        link = (links.dated(self._page(row.commitment_id), self.day), *self.row_text(row.title, row.title_fr))
        return self.update_dict(link, row.status, row.progress, row.reported_on, row.author)

    def update_dict(self, link, status: str, progress: int, reported_on: datetime.date, author: str) -> dict:
        """Its commitment's link and title, status, progress, day and author's login."""
        return {
            **self.linked_status(link, status),
            "progress": formatting.percent(progress),
            "day": self._day(reported_on),
            "author": author,
        }


def section(dialogue, themes: list[Theme]) -> DialogueSection:
    return DialogueSection(
        dialogue,
        [theme for theme in themes if not theme.is_governance],
        [theme for theme in themes if theme.is_governance],
    )


def heading_display(sections: list[DialogueSection], day: datetime.date | None) -> None:
    """Each dialogue's heading as the page prints it (`section.heading`), its links written from
    patterns reversed once ({% dated_url %} and {% localized %} took twice as long for five)."""
    overview, briefing = reverse("tracker:overview"), links.reverser("tracker:dialogue_briefing")
    for shown in sections:
        if shown.dialogue is None:
            continue
        name = localized(shown.dialogue, "name")
        shown.heading = {
            "name": name.text,
            "lang": name.lang if name.foreign else "",
            "url": links.dated(links.with_query(overview, {"dialogue": shown.dialogue.slug}), day),
            "briefing_url": links.dated(briefing(shown.dialogue.slug), day),
        }


def dialogues_and_themes() -> tuple[list[DialogueRow], list[ThemeRow]]:
    """Every dialogue (newest first) and every theme (in display order), from one UNION query: the
    switch needs all dialogues, the pages of cards which dialogues have themes, and each card its
    dialogue. Run from its SQL compiled once (run_compiled; the day plays no part): building the
    UNION through the ORM took twice as long as running it."""
    found_dialogues, found_themes = [], []
    rows = run_compiled(dialogues_and_themes_query, timezone.localdate(), None)
    for kind, pk, name, slug, order, theme_kind, dialogue_id, announced_on, name_fr in rows:
        if kind == "dialogue":
            found_dialogues.append(DialogueRow(pk, name, name_fr, slug, announced_on))
        else:
            found_themes.append(ThemeRow(order, name, pk, name_fr, slug, theme_kind, dialogue_id))
    found_dialogues.sort(key=lambda d: (-d.announced_on.toordinal(), d.name))
    found_themes.sort()  # by order, name, then id: its first fields
    return found_dialogues, found_themes


def dialogues_and_themes_query(day: datetime.date | None = None, dialogue_id: int | None = None):
    """dialogues_and_themes' UNION: every dialogue and every theme, whatever `day` and `dialogue_id`
    (taken only to be run as the overview's other queries are, by run_compiled)."""
    no_date, no_number, no_text = Value(None, DateField()), Value(None, IntegerField()), Value("")
    dialogues = Dialogue.objects.order_by().values_list(
        Value("dialogue"), "pk", "name", "slug", Value(0), no_text, no_number, "announced_on", "name_fr"
    )
    themes = Theme.objects.order_by().values_list(
        Value("theme"), "pk", "name", "slug", "order", "kind", "dialogue_id", no_date, "name_fr"
    )
    return dialogues.union(themes, all=True)


def theme_links_as_of(day: datetime.date | None, dialogue_id: int | None = None):
    """The commitment–theme links, each annotated with its commitment's state on `day` (links of
    commitments not yet announced then left out), of one dialogue's commitments when given."""
    links = Commitment.themes.through.objects.annotate(**state_expressions(day, "commitment"))
    if dialogue_id is not None:
        links = links.filter(commitment__dialogue_id=dialogue_id)
    return links.filter(commitment__announced_on__lte=day) if is_past(day) else links


def theme_counts(
    day: datetime.date | None = None, dialogue_id: int | None = None, theme_ids: list[int] | None = None
) -> tuple[Counter, Counter]:
    """Commitments counted by (theme id, status), and their summed progress by theme id (1 query);
    today, of the themes `theme_ids` only when given (a past day counts every theme).

    Today, read from the maintained counts (tracker/counts.py). For a past day, counted from the
    theme links grouped by (theme, status), which reads far fewer rows than joining every
    commitment to every theme and aggregating per theme.
    """
    counts, progress = Counter(), Counter()
    if not is_past(day):
        if theme_ids is None:
            rows = theme_status_counts(dialogue_id, theme_ids)
        elif not theme_ids:
            rows = []  # no cards: nothing to count (as the ORM, which asks nothing of `IN ()`)
        else:  # the page's: its SQL compiled once for as many themes (run_compiled)
            codes = [str(theme_id) for theme_id in theme_ids]
            rows = run_compiled(theme_counts_query, day or timezone.localdate(), dialogue_id, listed=codes)
        for theme_id, status, n, summed in rows:
            counts[(int(theme_id), status)] += n
            progress[int(theme_id)] += summed
        return counts, progress
    rows = (
        theme_links_as_of(day, dialogue_id)
        .values("theme_id", STATE_STATUS)
        .annotate(n=Count("pk"), progress=Sum(STATE_PROGRESS))
        .order_by()
    )
    for row in rows:
        counts[(row["theme_id"], row[STATE_STATUS])] = row["n"]
        progress[row["theme_id"]] += row["progress"]
    return counts, progress


def theme_counts_query(judged_on: datetime.date, dialogue_id: int | None, codes: list[str]):
    """theme_status_counts of the themes with these codes (the day plays no part: the counts are
    today's)."""
    return theme_status_counts(dialogue_id, codes)


def cards(themes: list[Theme], counts: Counter, progress: Counter) -> list[Theme]:
    """`themes` with their counts by (theme id, status) and their summed progress (no query)."""
    for theme in themes:
        theme.by_status = [StatusCount(v, label, counts[(theme.pk, v)]) for v, label in Status.choices]
        theme.n = sum(s.count for s in theme.by_status)
        theme.share_completed = round(100 * counts[(theme.pk, Status.COMPLETED)] / theme.n) if theme.n else 0
        theme.mean_progress = round(progress[theme.pk] / theme.n) if theme.n else 0
    return themes


def card_display(themes: list[Theme], day: datetime.date | None, dialogue: Dialogue | None) -> None:
    """What each card shows, ready for the page as a dict the template only prints (`theme.card`):
    its objective's name in the reader's language (`lang` when it is not the page's) and page as of
    `day` (`url`), its size, share completed, mean progress and the name of its progress bar in
    words, whether it is governance, and a link for each status it counts commitments in, to the
    list of them in the dialogue shown (`status_links`: (value, text, url)).

    Prepared once for the page: a reverse(), a |colon and three {% blocktranslate %} per card in
    the template were over half of the overview's rendering. So the URLs are reversed and their
    query strings quoted once, each label translated once, and each distinct number put into words
    once (a page of 120 cards repeats the same few). A dict, because the template reads a dict's
    key at once where a model's attribute costs a failed key lookup first, and its tags
    ({% localized %}, {% progress_bar %}) are written in place: a card's two dozen values drawn
    through the theme and its tags took 4 ms of the overview's 30 cards."""
    theme_page = links.reverser("tracker:theme_detail")
    commitment_list = reverse("tracker:commitment_list")
    labels = {value: formatting.colon(label) for value, label in Status.choices}
    status_query = {value: urlencode({"status": value}) for value in Status.values}
    tail = urlencode({**({"dialogue": dialogue.slug} if dialogue else {}), **links.as_of_params(day)})
    tail = f"&{tail}" if tail else ""
    completed, named = _("%(share)s completed"), _("Mean progress of %(theme)s")
    number = formatting.integer_writer()
    size_text = functools.cache(
        lambda n: ngettext("%(n)s commitment", "%(n)s commitments", n) % {"n": number(n)}
    )
    completed_text = functools.cache(lambda share: completed % {"share": formatting.percent(share)})
    progress_shown = functools.cache(formatting.percent)
    for theme in themes:
        name = localized(theme, "name")
        theme_list = f"{commitment_list}?{urlencode({'theme': theme.slug})}"
        theme.card = {
            "pk": str(theme.pk),  # text: the template prints an int through number formatting
            "name": name.text,
            "lang": name.lang if name.foreign else "",
            "url": links.dated(theme_page(theme.slug), day),
            "governance": theme.is_governance,
            "size_text": size_text(theme.n),
            "completed_text": completed_text(theme.share_completed),
            "progress": str(theme.mean_progress),
            "progress_shown": progress_shown(theme.mean_progress),
            "progress_label": named % {"theme": name.text},
            # (value, text, url) tuples, which the template's loop unpacks into plain names: cheaper
            # to print than a dict's keys, 180 times a page.
            "status_links": [
                (
                    status.value,
                    f"{labels[status.value]} {number(status.count)}",
                    f"{theme_list}&{status_query[status.value]}{tail}",
                )
                for status in theme.by_status
                if status.count
            ],
        }


def attention_summary(day: datetime.date | None = None, dialogue_id: int | None = None) -> dict[str, int]:
    """How many open commitments (of one dialogue, when given) are overdue, at risk, off track, stale,
    due soon (rules.due_soon_q) or blocked today, and how many give each reason for slipping (1 query:
    attention_summary_query).

    Today only (a past day is counted from its states). The query's SQL is compiled once per process
    (run_compiled) and run with the day's dates and the dialogue: building it through the ORM took
    2.5-3 ms a time at 10,000 commitments, as long as the database took to answer it.
    """
    rows = run_compiled(attention_summary_query, day or timezone.localdate(), dialogue_id)
    return attention_summary_of(rows)


def attention_summary_of(rows) -> dict[str, int]:
    """attention_summary's figures from the rows of attention_summary_query."""
    summary = dict.fromkeys(["overdue", "at_risk", "off_track", "stale", "due_soon", "blocked"], 0)
    summary.update({f"reason_{value}": 0 for value in SlipReason.values})
    for kind, code, status, n, stale, due_soon in rows:
        if kind == CountDimension.REASON:
            summary[f"reason_{code}"] += n
        elif kind == CountDimension.ALL:
            if status in rules.TROUBLED_STATUSES:  # at_risk, off_track
                summary[status] = n
        elif kind == "dates":
            summary.update(overdue=n, stale=stale, due_soon=due_soon)
        else:
            summary[kind] = n
    return summary


def run_compiled(
    build, judged_on: datetime.date, dialogue_id: int | None, *variant, listed: list[str] = ()
) -> list[tuple]:
    """The rows of `build(judged_on, dialogue_id, *variant)`'s query (given `listed` values, of
    `build(judged_on, dialogue_id, *variant, listed)`), run from its SQL compiled once
    (compiled_query, tracker/compiled.py) with this request's day, dialogue and values: the columns
    as the database driver gives them (dates as dates on SQLite and PostgreSQL alike), no model
    instances. Building the overview's queries through the ORM took about as long as the database
    took to answer them."""
    query = compiled_query(
        build,
        variant,
        len(listed),
        dialogue_id is not None,
        connection.vendor,
        settings.TRACKER_STALE_AFTER_DAYS,
        settings.TRACKER_DUE_SOON_DAYS,
        settings.TRACKER_REVIEW_EVERY_DAYS,
    )
    return query.rows([judged_on, *listed, *([] if dialogue_id is None else [dialogue_id])])


@functools.cache
def compiled_query(
    build,
    variant: tuple,
    listed: int,
    one_dialogue: bool,
    vendor: str,
    stale_days: int,
    due_soon_days: int,
    review_days: int,
) -> CompiledQuery:
    """`build`'s query compiled once per variant, number of listed values, all dialogues or one,
    database vendor, and the settings its dates and review cadence are worked out from (their
    values only key the compiled query: the rules read them from the settings)."""
    kinds = [datetime.date, *[str] * listed, *([int] if one_dialogue else [])]

    def built(values):
        day, codes = values[0], list(values[1 : 1 + listed])
        dialogue_id = values[-1] if one_dialogue else None
        return build(day, dialogue_id, *variant, *([codes] if listed else []))

    # The day itself may go unread: the dialogues and themes, today's maintained counts.
    return compile_once(built, kinds, optional=[0], derived=judged_dates)


def judged_dates(values) -> list[datetime.date]:
    """The dates the rules work out from the day judged on (`values[0]`), which a query compiled for
    one day reads for another: the stale cutoff, the due-soon horizon and the review cutoff."""
    day = values[0]
    return [rules.stale_cutoff(day), rules.due_soon_horizon(day), rules.review_cutoff(day)]


def blocked_links(judged_on: datetime.date, dialogue_id: int | None = None):
    """The "blocked by" links of open commitments (of the dialogue, if given) whose blocker is in
    trouble on `judged_on` (today or later: the commitments' state is their columns).

    Each link's two commitments are looked up by id, in a subquery each: joined, PostgreSQL hashed
    every commitment in trouble (4,400 of 10,000) to match the 333 links, 1.7 ms; looked up, 0.7."""

    def holds(commitment: str, condition):
        found = Commitment.objects.as_of(judged_on).filter(pk=OuterRef(commitment)).order_by()
        if dialogue_id is not None and commitment == "from_commitment_id":
            found = found.filter(dialogue_id=dialogue_id)
        return Subquery(found.values(holds=ExpressionWrapper(condition, output_field=BooleanField())))

    return (
        Commitment.blocked_by.through.objects.annotate(
            blocker_troubling=holds("to_commitment_id", rules.troubling_blocker_q(judged_on)),
            blocked_open=holds("from_commitment_id", rules.open_q()),
        )
        .filter(blocker_troubling=True, blocked_open=True)
        .order_by()
    )


def attention_summary_query(judged_on: datetime.date, dialogue_id: int | None = None):
    """attention_summary's query, judged on `judged_on` (today or later: the commitments' state is
    their columns): (kind, code, status, n, stale, due soon) rows.

    One UNION: the counts by status and by reason read from the maintained counts (tracker/counts.py);
    overdue, stale and due soon counted together in one pass over the narrow index of the columns
    they read (commitment_attention); blocked counted from the "blocked by" links, a few per hundred
    commitments, rather than by looking every troubled commitment up. One aggregate of thirteen
    filtered counts over the wide rows cost 26 ms at 10,000 commitments; the three date counts as a
    COUNT each cost a pass over the index each, and three parts of the UNION to build.
    """
    open_commitments = Commitment.objects.as_of(judged_on).open().order_by()
    if dialogue_id is not None:
        open_commitments = open_commitments.filter(dialogue_id=dialogue_id)
    blocked = blocked_links(judged_on, dialogue_id)
    # Every part of the UNION gives (kind, code, status, n, stale, due soon): the dates' part puts
    # its three counts in one row (overdue as n), the others leave the last two at 0.
    none = Value(0)
    kept = open_status_and_reason_counts(dialogue_id).annotate(stale=none, due_soon=none)
    dates = open_commitments.values(kind=Value("dates"), code=Value(""), no_status=Value("")).annotate(
        overdue=Count("pk", filter=rules.past_due_q(judged_on)),
        stale=Count("pk", filter=rules.quiet_too_long_q(judged_on)),
        due_soon=Count("pk", filter=rules.due_or_review_soon_q(judged_on)),
    )
    blocked = blocked.values(kind=Value("blocked"), code=Value(""), no_status=Value("")).annotate(
        n=Count("from_commitment_id", distinct=True), stale=none, due_soon=none
    )
    columns = ("kind", "code", "no_status")
    return kept.values_list("dimension", "code", "status", "commitments", "stale", "due_soon").union(
        dates.values_list(*columns, "overdue", "stale", "due_soon"),
        blocked.values_list(*columns, "n", "stale", "due_soon"),
        all=True,
    )


def attention_list(
    day: datetime.date | None = None,
    dialogue_id: int | None = None,
    limit=10,
    troubled: dict[str, int] | None = None,
):
    """The open commitments most in need of a look on `day`: off track, at risk, overdue, then
    stale (1 query; attention_list_query says how they are chosen)."""
    judged_on = day or timezone.localdate()
    return attention_list_query(judged_on, dialogue_id, attention_among(troubled, limit), limit)


def attention_among(troubled: dict[str, int] | None, limit: int = 10) -> str:
    """Among which commitments attention_list_query chooses its `limit`, given how many are off track
    and at risk (`troubled`, by status; unknown: None): "off_track", "troubled" or "all"."""
    troubled = troubled or {}
    if troubled.get(Status.OFF_TRACK, 0) >= limit:
        return Status.OFF_TRACK
    return "troubled" if sum(troubled.values()) >= limit else "all"


def attention_list_query(judged_on: datetime.date, dialogue_id: int | None, among: str, limit: int = 10):
    """attention_list's query, judged on `judged_on` (today or later), choosing `among` the off track
    ones, the troubled ones or all (attention_among).

    The order is chosen over the narrow index of the columns it reads (commitment_attention), and
    only the chosen rows are read: sorting every row that needs attention, descriptions and quotes
    and all, to keep ten cost 7 ms at 10,000 commitments and ten times that at 100,000. When the
    number off track and at risk is known and there are `limit` of them, the first come from among
    them alone: only those are sorted, not every one that needs attention (half the commitments, in
    the benchmark's data), by the one question that still orders them (off track first), with no
    test of whether they need attention (a commitment in trouble does)."""
    if among == Status.OFF_TRACK:
        commitments = Commitment.objects.as_of(judged_on).filter(**{STATE_STATUS: Status.OFF_TRACK})
        urgency = None  # all off track: the same urgency
    elif among == "troubled":
        commitments = Commitment.objects.as_of(judged_on).filter(
            **{f"{STATE_STATUS}__in": rules.TROUBLED_STATUSES}
        )
        urgency = Case(When(**{STATE_STATUS: Status.OFF_TRACK}, then=Value(0)), default=Value(1))
    else:
        commitments = Commitment.objects.as_of(judged_on).needing_attention(judged_on)
        urgency = attention_urgency(judged_on)
    if dialogue_id is not None:
        commitments = commitments.filter(dialogue_id=dialogue_id)
    order = attention_order(urgency)
    chosen = commitments.order_by(*order).values("pk")[:limit]
    return (
        Commitment.objects.as_of(judged_on).filter(pk__in=chosen).select_related("dialogue").order_by(*order)
    )


class AttentionRow(NamedTuple):
    """A commitment of attention_list as the page prints it (ListWriter.attention_row)."""

    pk: int
    title: str
    title_fr: str
    status: str
    due_on: datetime.date | None
    last_update_on: datetime.date | None
    announced_on: datetime.date
    dialogue_name: str
    dialogue_name_fr: str


def attention_rows_query(judged_on: datetime.date, dialogue_id: int | None, among: str):
    """attention_list_query's commitments as AttentionRow's columns (for run_compiled)."""
    return attention_list_query(judged_on, dialogue_id, among).values_list(
        "pk",
        "title",
        "title_fr",
        STATE_STATUS,
        "due_on",
        STATE_LAST_UPDATE,
        "announced_on",
        "dialogue__name",
        "dialogue__name_fr",
    )


def attention_rows(
    day: datetime.date | None, dialogue_id: int | None, troubled: dict[str, int]
) -> list[AttentionRow]:
    """attention_list today, as rows (1 query, compiled once: run_compiled). Building the query and
    making its model instances cost five times what the database took to answer it."""
    among = attention_among(troubled)
    rows = run_compiled(attention_rows_query, day or timezone.localdate(), dialogue_id, among)
    return [AttentionRow(*row) for row in rows]


def past_figures(
    day: datetime.date, dialogue_id: int | None, theme_ids: list[int], limit: int = 10
) -> PastFigures:
    """The overview's figures on a past day (of one dialogue's commitments when given), in one
    statement: the cards of `theme_ids` (commitments by theme and status, summed progress), what
    needs attention (attention_summary's counts) and the list of ten's ids (attention_list's
    choice), every commitment's state read once into a table (day_states_sql) that each part
    joins (on_day), the rules (rules.py) compiled by the ORM as for today.

    It replaces reading every commitment's state into Python and judging it there (9,000 states
    and 25,000 theme links at 10,000 commitments a year back: 155 ms of the page's CPU time);
    only counts and ten ids come back."""
    commitment = f'"{Commitment._meta.db_table}"."id"'
    commitments = on_day(Commitment.objects.order_by(), commitment, dialogue_id)
    open_ones = commitments.filter(rules.open_q())
    themes = Commitment.themes.through
    cards = (
        on_day(
            themes.objects.filter(theme_id__in=theme_ids),
            f'"{themes._meta.db_table}"."commitment_id"',
            dialogue_id,
        )
        .order_by()
        .values("theme_id", STATE_STATUS)
        .annotate(n=Count("pk"), progress=Sum(STATE_PROGRESS))
    )
    # By status and reason: the reasons' counts too, in the same pass.
    by_status = open_ones.values(STATE_STATUS, STATE_REASON).annotate(
        n=Count("pk"),
        overdue=Count("pk", filter=rules.overdue_q(day)),
        stale=Count("pk", filter=rules.stale_q(day)),
        due_soon=Count("pk", filter=rules.due_soon_q(day)),
    )
    # Blockers judged as they stood then, and only those announced by then (as the blocked are).
    troubling = troubling_blocker_links(day).filter(to_commitment__announced_on__lte=day).values("pk")
    links = Commitment.blocked_by.through
    blocked = (
        on_day(
            links.objects.filter(pk__in=troubling),
            f'"{links._meta.db_table}"."from_commitment_id"',
            dialogue_id,
        )
        .filter(rules.open_q())
        .values(kind=Value("blocked"))
        .annotate(n=Count("from_commitment_id", distinct=True))
    )
    chosen = (
        commitments.filter(rules.needs_attention_q(day))
        .order_by(*attention_order(attention_urgency(day)))
        .values("id")[:limit]
    )
    columns = {"status": STATE_STATUS, "reason": STATE_REASON}
    head, params = day_states_sql(day)
    parts = []
    for kind, queryset in (
        ("card", cards),
        ("open", by_status),
        ("blocked", blocked),
        ("chosen", chosen),
    ):
        try:
            sql, part_params = queryset.query.sql_with_params()
        except EmptyResultSet:  # no theme shown: a part that cannot match
            continue
        # Each part read as a table of its own: its ORDER BY and LIMIT stay its own, and the UNION
        # is written the same way on both databases.
        parts.append(f"SELECT %s, {PAST_PARTS[kind].format(**columns)} FROM ({sql}) part_{kind}")  # noqa: S608 -- SQL Django compiled, parameters apart
        params += [kind, *part_params]
    counts, progress = Counter(), Counter()
    attention = dict.fromkeys(["overdue", "at_risk", "off_track", "stale", "due_soon", "blocked"], 0)
    attention.update({f"reason_{value}": 0 for value in SlipReason.values})
    ids = []
    with connection.cursor() as cursor:
        cursor.execute(head + " UNION ALL ".join(parts), params)
        for kind, pk, status, reason, n, a, b, c in cursor.fetchall():
            if kind == "card":
                counts[(pk, status)] += n
                progress[pk] += a
            elif kind == "open":
                attention["overdue"] += a
                attention["stale"] += b
                attention["due_soon"] += c
                if status in rules.TROUBLED_STATUSES:
                    attention[status] += n
                if reason:
                    attention[f"reason_{reason}"] += n
            elif kind == "blocked":
                attention["blocked"] = n
            else:
                ids.append(pk)
    return PastFigures(counts, progress, attention, ids)


def attention_urgency(day: datetime.date) -> Case:
    """rules.attention_urgency over the state fields: off track, at risk, overdue, then the rest."""
    return Case(
        When(**{STATE_STATUS: Status.OFF_TRACK}, then=Value(0)),
        When(**{STATE_STATUS: Status.AT_RISK}, then=Value(1)),
        When(due_on__lt=day, then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )


def attention_order(urgency=None) -> tuple:
    """The list of ten's order: by `urgency` (an expression; None when every row has the same),
    then soonest due first (none last), then longest without an update first."""
    order = (F("due_on").asc(nulls_last=True), F(STATE_LAST_UPDATE).asc(nulls_first=True), "id")
    return order if urgency is None else (urgency.asc(), *order)


def in_attention_order(commitments, day: datetime.date) -> list:
    """Commitments read as of `day`, in the list of ten's order (attention_order, in Python: the
    rows are few)."""

    def order(commitment):
        return (
            rules.attention_urgency(commitment.status, commitment.due_on, day),
            (commitment.due_on is None, commitment.due_on or day),
            (commitment.last_update_on is not None, commitment.last_update_on or day),
            commitment.pk,
        )

    return sorted(commitments, key=order)


def latest_updates(day: datetime.date | None = None, dialogue_id: int | None = None, limit=8):
    """The updates most recently recorded among those reported by `day` and not withdrawn, on one
    dialogue's commitments when given (1 query)."""
    updates = StatusUpdate.objects.counting().filter(reported_on__lte=day or timezone.localdate())
    if dialogue_id is not None:
        updates = updates.filter(commitment__dialogue_id=dialogue_id)
    return updates.select_related("commitment", "author").order_by("-created_at", "-id")[:limit]


class UpdateRow(NamedTuple):
    """One of latest_updates as the page prints it (ListWriter.update_row)."""

    commitment_id: int
    title: str
    title_fr: str
    status: str
    progress: int
    reported_on: datetime.date
    author: str


def update_rows_query(judged_on: datetime.date, dialogue_id: int | None):
    """latest_updates' updates as UpdateRow's columns (for run_compiled)."""
    return latest_updates(judged_on, dialogue_id).values_list(
        "commitment_id",
        "commitment__title",
        "commitment__title_fr",
        "status",
        "progress",
        "reported_on",
        f"author__{get_user_model().USERNAME_FIELD}",
    )


def update_rows(day: datetime.date | None, dialogue_id: int | None) -> list[UpdateRow]:
    """latest_updates today, as rows (1 query, compiled once: run_compiled)."""
    rows = run_compiled(update_rows_query, day or timezone.localdate(), dialogue_id)
    return [UpdateRow(*row) for row in rows]

"""The rows of a commitment table (the list, an objective's page, an agency's page), prepared once per page.

A table repeats the same cells on every row: a link, names in the reader's language, a status, flags,
a progress bar, three dates. Working each out in a template tag per cell cost about half a
millisecond a row; here each row is worked out in one pass, with what every row shares (the link's
pattern, the labels, the page's language) looked up once, and the template only prints.
"""

import datetime
from dataclasses import dataclass, field

from django.utils import dateformat, timezone
from django.utils.formats import get_format
from django.utils.translation import gettext

from .. import formatting, links
from ..models import Commitment, Participation, Role, Status, localized_text
from ..models.content import active_language
from ..rules import CLOSED_STATUSES


@dataclass(frozen=True, slots=True)
class Shown:
    """A name or title as the row shows it, with the language to mark it in (`lang`) when that is
    not the page's (see tracker/models/content.py), else "" (nothing to mark)."""

    text: str
    lang: str


@dataclass(slots=True)
class CommitmentRow:
    url: str
    title: Shown
    progress_label: str  # the progress bar's name for screen readers: "Progress of <title>"
    dialogue: Shown
    status: str
    status_label: str
    overdue: bool
    stale: bool
    blocked: bool
    progress: int
    progress_shown: str
    due: str  # "" when it has no due date
    next_review: str  # "" for a finished commitment, which has none
    review_late: bool
    last_update: str  # "" when it has none yet
    themes: list[Shown] = field(default_factory=list)
    leads: list[Shown] = field(default_factory=list)


def commitment_rows(
    commitments, day: datetime.date | None, *, themes: bool = False, leads: bool = False
) -> list[CommitmentRow]:
    """Rows for `commitments` (read with `Commitment.objects.as_of(day)`, their dialogue joined, and
    `.with_blocked(day)` for the blocked flag), with each one's themes and lead agencies when asked
    (a query each, however many rows)."""
    commitments = list(commitments)
    ids = [c.pk for c in commitments]
    page_language = active_language()

    def shown(value) -> Shown:
        return Shown(value.text, value.lang if value.text and value.lang != page_language else "")

    themes_of = _themes_of(ids, shown, page_language) if themes and ids else {}
    leads_of = _leads_of(ids, shown, page_language) if leads and ids else {}
    link = links.reverser("tracker:commitment_detail", links.ID_PLACEHOLDER)
    status_labels = {value: str(label) for value, label in Status.choices}
    today = timezone.localdate()
    short_date = get_format("SHORT_DATE_FORMAT")  # the reader's language's, looked up once
    progress_of = gettext("Progress of %(title)s")

    def dated(day: datetime.date | None) -> str:
        return dateformat.format(day, short_date) if day else ""

    def row(c: Commitment) -> CommitmentRow:
        title = shown(c.localized("title", page_language))
        judged_on = c.judged_on or today
        closed = c.status in CLOSED_STATUSES
        review = None if closed else c.next_review_on
        return CommitmentRow(
            url=links.dated(link(c.pk), day),
            title=title,
            progress_label=progress_of % {"title": title.text},
            dialogue=shown(c.dialogue.localized("name", page_language)),
            status=c.status,
            status_label=status_labels.get(c.status, c.status),
            overdue=c.is_overdue,
            stale=c.is_stale,
            blocked=getattr(c, "is_blocked", False),
            progress=c.progress,
            progress_shown=formatting.percent(c.progress),
            due=dated(c.due_on),
            next_review=dated(review),
            review_late=review is not None and review < judged_on,
            last_update=dated(c.last_update_on),
            themes=themes_of.get(c.pk, []),
            leads=leads_of.get(c.pk, []),
        )

    return [row(c) for c in commitments]


def _themes_of(ids: list[int], shown, language: str) -> dict[int, list[Shown]]:
    """Each commitment's themes' names, in the themes' display order (1 query)."""
    rows = (
        Commitment.themes.through.objects.filter(commitment_id__in=ids)
        .order_by("theme__order", "theme__name")
        .values_list("commitment_id", "theme__name", "theme__name_fr")
    )
    names: dict[int, list[Shown]] = {}
    for pk, name, name_fr in rows:
        names.setdefault(pk, []).append(shown(localized_text(name, name_fr, language=language)))
    return names


def _leads_of(ids: list[int], shown, language: str) -> dict[int, list[Shown]]:
    """Each commitment's lead agencies, by country and name: the acronym, or the name in the reader's
    language (an agency decides which language its name is in: Agency.content_language) (1 query)."""
    participations = (
        Participation.objects.filter(commitment_id__in=ids, role=Role.LEAD)
        .select_related("agency")
        .only("commitment_id", "agency__acronym", "agency__name", "agency__name_fr", "agency__country")
        .order_by("agency__country", "agency__name")
    )
    names: dict[int, list[Shown]] = {}
    for p in participations:
        agency = p.agency
        names.setdefault(p.commitment_id, []).append(
            Shown(agency.acronym, "") if agency.acronym else shown(agency.localized("name", language))
        )
    return names
